/**
 * @module PowerPool's two counter kinds (spec §10.1). A minute counter collects `incr`s until the
 * minute ends, then keeps the last 60 minutes; a second counter does the same per second and rolls
 * its seconds up into minutes. Rotation is driven from outside (`tick` per second, `tock` per
 * minute) so one clock drives every counter and tests can drive it by hand.
 */

const SLOTS = 60;

export interface CounterSnapshot {
  /** Everything counted since start, up to the last rotation. */
  readonly total: number;
  /** The last completed minute. */
  readonly min_total: number;
  /** The last 60 completed minutes. */
  readonly hour_total: number;
  /** hour_total / 60. */
  readonly min_avg: number;
  /** Second counters only: the last 60 completed seconds / 60. */
  readonly second_avg?: number;
}

/** A fixed ring of the last 60 values, oldest overwritten first. */
class Ring {
  private readonly slots = new Float64Array(SLOTS);
  private next = 0;
  private filled = 0;
  push(v: number): void {
    this.slots[this.next] = v;
    this.next = (this.next + 1) % SLOTS;
    if (this.filled < SLOTS) this.filled++;
  }
  get last(): number {
    return this.filled === 0 ? 0 : (this.slots[(this.next + SLOTS - 1) % SLOTS] ?? 0);
  }
  get sum(): number {
    let s = 0;
    for (let i = 0; i < this.filled; i++) s += this.slots[i] ?? 0;
    return s;
  }
}

export class MinuteCounter {
  private pending = 0;
  private total = 0;
  private readonly minutes = new Ring();

  incr(n = 1): void {
    this.pending += n;
  }

  tock(): void {
    this.minutes.push(this.pending);
    this.total += this.pending;
    this.pending = 0;
  }

  /** The last completed minute's sum. */
  get lastMinute(): number {
    return this.minutes.last;
  }

  snapshot(): CounterSnapshot {
    const hour = this.minutes.sum;
    return { total: this.total, min_total: this.minutes.last, hour_total: hour, min_avg: hour / SLOTS };
  }
}

export class SecondCounter {
  private pending = 0;
  private total = 0;
  private readonly seconds = new Ring();
  private readonly minutes = new Ring();

  incr(n = 1): void {
    this.pending += n;
  }

  tick(): void {
    this.seconds.push(this.pending);
    this.total += this.pending;
    this.pending = 0;
  }

  tock(): void {
    this.minutes.push(this.seconds.sum);
  }

  snapshot(): CounterSnapshot {
    const hour = this.minutes.sum;
    return { total: this.total, min_total: this.minutes.last, hour_total: hour, min_avg: hour / SLOTS, second_avg: this.seconds.sum / SLOTS };
  }
}
