/**
 * @module At most `burst` log lines per window, so a datagram flood cannot flood the log. The next
 * line let through says how many were held back.
 */
import type { Logger } from "../../shared/log.ts";

export class RateLimitedLog {
  private windowStart = -Infinity;
  private inWindow = 0;
  private suppressed = 0;

  constructor(
    private readonly log: Logger,
    private readonly burst = 10,
    private readonly windowMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  warn(msg: string, fields?: Record<string, unknown>): void {
    this.emit("warn", msg, fields);
  }

  error(msg: string, fields?: Record<string, unknown>): void {
    this.emit("error", msg, fields);
  }

  private emit(level: "warn" | "error", msg: string, fields?: Record<string, unknown>): void {
    const t = this.now();
    if (t - this.windowStart >= this.windowMs) {
      this.windowStart = t;
      this.inWindow = 0;
    }
    if (this.inWindow >= this.burst) {
      this.suppressed++;
      return;
    }
    this.inWindow++;
    const note = this.suppressed > 0 ? ` (${this.suppressed} similar lines suppressed before this one)` : "";
    this.suppressed = 0;
    this.log[level](`${msg}${note}`, fields);
  }
}
