/**
 * @module Hashrate from the first accepted share: accepted difficulty summed over a sliding window
 * (a minute, as PowerPool's figure), divided by the time actually observed — the whole window once
 * the meter has run that long, the time since it started before that. A new pool, port or worker
 * therefore shows a figure with its first shares, and says how long it was measured over, rather
 * than 0 until a full wall-clock minute has passed.
 *
 * Fixed buckets (5 s by default), so adding a share is O(1) and allocation-free; the window slides
 * a bucket at a time, and the span reported is exactly the time the counted buckets cover.
 */

export const HASHRATE_WINDOW_MS = 60_000;
const BUCKET_MS = 5_000;
/** Below this the estimate is mostly the luck of the first share: divide by at least this much. */
const MIN_SPAN_MS = 1_000;

export interface RateEstimate {
  /** Units (accepted difficulty) per second. */
  readonly perSecond: number;
  /** The time the estimate covers (ms): at most the window. */
  readonly spanMs: number;
}

export class RateWindow {
  private readonly buckets: Float64Array;
  /** Absolute index (time / bucketMs) of the newest bucket. */
  private head: number;

  constructor(
    /** When observing began (ms): a port's start, a connection's. */
    readonly startedAt: number,
    windowMs = HASHRATE_WINDOW_MS,
    private readonly bucketMs = BUCKET_MS,
  ) {
    if (!(bucketMs > 0) || !(windowMs >= bucketMs)) throw new RangeError(`RateWindow: expected 0 < bucket <= window, got ${bucketMs} and ${windowMs}`);
    this.buckets = new Float64Array(Math.round(windowMs / bucketMs));
    this.head = Math.floor(startedAt / bucketMs);
  }

  add(value: number, now: number): void {
    this.roll(now);
    this.buckets[this.head % this.buckets.length]! += value;
  }

  estimate(now: number): RateEstimate {
    this.roll(now);
    const n = this.buckets.length;
    const windowStart = (this.head - n + 1) * this.bucketMs;
    const spanMs = Math.max(0, now - Math.max(this.startedAt, windowStart));
    let sum = 0;
    for (let i = 0; i < n; i++) sum += this.buckets[i]!;
    return { perSecond: sum === 0 ? 0 : (sum * 1000) / Math.max(spanMs, MIN_SPAN_MS), spanMs };
  }

  private roll(now: number): void {
    const idx = Math.floor(now / this.bucketMs);
    if (idx <= this.head) return; // a clock step backwards counts into the newest bucket
    const n = this.buckets.length;
    if (idx - this.head >= n) this.buckets.fill(0);
    else for (let i = this.head + 1; i <= idx; i++) this.buckets[i % n] = 0;
    this.head = idx;
  }
}
