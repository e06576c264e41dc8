/**
 * @module Retry pacing for a loop that talks to Redis: exponential delay up to a cap, one log line
 * when it starts failing and one when it works again (never a line per attempt), and a sleep that
 * `wake()` cuts short so stopping never waits for a delay.
 */
import type { Logger } from "../../shared/log.ts";

export class Backoff {
  private failures = 0;
  private since = 0;
  private wakeUp: (() => void) | undefined;
  lastError: string | undefined;

  constructor(
    private readonly log: Logger,
    private readonly what: string,
    private readonly minMs = 100,
    private readonly maxMs = 5000,
  ) {}

  get failing(): boolean {
    return this.failures > 0;
  }

  /** Records a failure and sleeps before the next try. */
  async failed(e: unknown): Promise<void> {
    const message = e instanceof Error ? e.message : String(e);
    if (this.failures === 0) {
      this.since = Date.now();
      this.log.warn(`${this.what}: failing, retrying with backoff`, { error: message });
    } else if (message !== this.lastError) {
      this.log.warn(`${this.what}: still failing, now with a different error`, { error: message });
    }
    this.lastError = message;
    this.failures++;
    const delay = Math.min(this.maxMs, this.minMs * 2 ** Math.min(this.failures - 1, 16));
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, delay);
      this.wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wakeUp = undefined;
  }

  /** Records a success; logs the recovery once. */
  ok(): void {
    if (this.failures === 0) return;
    this.log.info(`${this.what}: working again after ${this.failures} failed attempts over ${((Date.now() - this.since) / 1000).toFixed(1)}s`);
    this.failures = 0;
    this.lastError = undefined;
  }

  wake(): void {
    this.wakeUp?.();
  }
}
