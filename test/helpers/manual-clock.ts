/** @module A Clock that moves only when the test says so, for timer-driven code (tip watcher). */
import type { Cancel, Clock } from "../../core/coinserver/clock.ts";

export class ManualClock implements Clock {
  private t = 1_700_000_000_000;
  private seq = 0;
  private timers: { at: number; seq: number; fn: () => void }[] = [];

  now(): number {
    return this.t;
  }

  after(ms: number, fn: () => void): Cancel {
    const timer = { at: this.t + ms, seq: this.seq++, fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((x) => x !== timer);
    };
  }

  /** Scheduled callbacks not yet run. */
  get pending(): number {
    return this.timers.length;
  }

  /** Moves time forward, running due timers in order and letting promise chains settle after each. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      const next = this.timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!next) break;
      this.timers = this.timers.filter((x) => x !== next);
      this.t = next.at;
      next.fn();
      await settle();
    }
    this.t = end;
    await settle();
  }
}

/** Lets pending promise callbacks (fake RPC answers) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Bun.sleep(0);
}
