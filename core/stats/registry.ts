/**
 * @module Every counter of the core, by owning component, and the one clock that rotates them: a
 * "tick" per elapsed wall-clock second and a "tock" per elapsed wall-clock minute, aligned to
 * minute boundaries as PowerPool's manager did (spec §10.1).
 */
import { MinuteCounter, SecondCounter, type CounterSnapshot } from "./counters.ts";

export interface CounterEntry extends CounterSnapshot {
  readonly name: string;
  readonly owner: string;
  readonly kind: "minute" | "second";
}

/** After a suspend, catch up at most this much instead of spinning through every missed second. */
const MAX_CATCH_UP_SECONDS = 3600;

export class StatsRegistry {
  private readonly minuteCounters = new Map<string, Map<string, MinuteCounter>>();
  private readonly secondCounters = new Map<string, Map<string, SecondCounter>>();
  private lastSecond: number;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(nowMs = Date.now()) {
    this.lastSecond = Math.floor(nowMs / 1000);
  }

  /** The minute counter `name` of `owner` (created on first use). */
  minute(owner: string, name: string): MinuteCounter {
    return getOrCreate(this.minuteCounters, owner, name, () => new MinuteCounter());
  }

  second(owner: string, name: string): SecondCounter {
    return getOrCreate(this.secondCounters, owner, name, () => new SecondCounter());
  }

  /** Runs the ticks and tocks due up to `nowMs`. */
  advance(nowMs = Date.now()): void {
    const now = Math.floor(nowMs / 1000);
    if (now <= this.lastSecond) return;
    let from = this.lastSecond;
    if (now - from > MAX_CATCH_UP_SECONDS) from = now - MAX_CATCH_UP_SECONDS;
    for (let s = from + 1; s <= now; s++) {
      for (const byName of this.secondCounters.values()) for (const c of byName.values()) c.tick();
      if (s % 60 === 0) {
        for (const byName of this.secondCounters.values()) for (const c of byName.values()) c.tock();
        for (const byName of this.minuteCounters.values()) for (const c of byName.values()) c.tock();
      }
    }
    this.lastSecond = now;
  }

  /** Rotates about every second until stop(); the interval is unref'd so it never keeps the process alive. */
  start(): void {
    if (this.timer) return;
    this.advance();
    this.timer = setInterval(() => this.advance(), 250);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Minute counters first, then second counters (PowerPool's /counters/ order). */
  counters(): CounterEntry[] {
    const out: CounterEntry[] = [];
    for (const [owner, byName] of this.minuteCounters) for (const [name, c] of byName) out.push({ name, owner, kind: "minute", ...c.snapshot() });
    for (const [owner, byName] of this.secondCounters) for (const [name, c] of byName) out.push({ name, owner, kind: "second", ...c.snapshot() });
    return out;
  }
}

function getOrCreate<T>(map: Map<string, Map<string, T>>, owner: string, name: string, make: () => T): T {
  let byName = map.get(owner);
  if (!byName) map.set(owner, (byName = new Map()));
  let c = byName.get(name);
  if (!c) byName.set(name, (c = make()));
  return c;
}
