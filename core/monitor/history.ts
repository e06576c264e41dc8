/**
 * @module A short in-memory hashrate history for the dashboard's chart: one point per interval
 * (10 s by default) for the last hour. It lives in the core process only and starts empty after a
 * restart; long-term graphs are Prometheus' job (/metrics).
 */

export const DEFAULT_HISTORY_INTERVAL_MS = 10_000;
export const DEFAULT_HISTORY_POINTS = 360;

export interface HistoryPoint {
  /** ms since the epoch. */
  readonly t: number;
  /** Pool total, hashes/s. */
  readonly pool: number;
  /** Per currency, hashes/s. */
  readonly coins: Readonly<Record<string, number>>;
  /** Authorised connections over all edges. */
  readonly workers: number;
}

export class HashrateHistory {
  private readonly points: HistoryPoint[] = [];

  constructor(
    /** How often the monitor adds a point (it owns the timer). */
    readonly intervalMs = DEFAULT_HISTORY_INTERVAL_MS,
    readonly capacity = DEFAULT_HISTORY_POINTS,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`HashrateHistory: expected a positive integer capacity, got ${capacity}`);
    if (!(intervalMs > 0)) throw new RangeError(`HashrateHistory: expected a positive interval, got ${intervalMs}`);
  }

  add(point: HistoryPoint): void {
    this.points.push(point);
    if (this.points.length > this.capacity) this.points.splice(0, this.points.length - this.capacity);
  }

  /** Oldest first. */
  all(): readonly HistoryPoint[] {
    return this.points;
  }
}
