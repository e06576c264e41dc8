/**
 * @module Edges whose audits keep finding no job: a sampled record is "unverifiable" when the job
 * archive no longer holds (or cannot decode) its job. A few are normal (a spool replayed after an
 * outage longer than the archive TTL); many in a short time say the edge reports work on jobs the
 * core cannot check — old ones on purpose, or a clock or spool gone wrong — and the operator
 * should look. Counted per edge over a sliding window (the core's clock); crossing the threshold
 * raises the edge's alert once, which clears when the count falls back under half of it.
 */

export interface UnverifiableWatchOptions {
  /** Unverifiable audits within `windowMs` that raise the alert; default 20. */
  readonly threshold?: number;
  /** Default ten minutes. */
  readonly windowMs?: number;
}

export const DEFAULT_UNVERIFIABLE_THRESHOLD = 20;
export const DEFAULT_UNVERIFIABLE_WINDOW_MS = 10 * 60_000;
const BUCKETS = 10;

/** An edge's raised alert. */
export interface UnverifiableAlert {
  /** When the count crossed the threshold (core clock, ms). */
  readonly since: number;
  readonly threshold: number;
  readonly windowMs: number;
}

interface EdgeWindow {
  readonly counts: Float64Array;
  bucket: number;
  alert: UnverifiableAlert | null;
}

export class UnverifiableWatch {
  readonly threshold: number;
  readonly windowMs: number;
  private readonly bucketMs: number;
  private readonly edges = new Map<string, EdgeWindow>();

  constructor(o: UnverifiableWatchOptions = {}) {
    this.threshold = o.threshold ?? DEFAULT_UNVERIFIABLE_THRESHOLD;
    this.windowMs = o.windowMs ?? DEFAULT_UNVERIFIABLE_WINDOW_MS;
    if (!(this.threshold >= 1) || !(this.windowMs > 0)) throw new RangeError(`UnverifiableWatch: expected threshold ≥ 1 and windowMs > 0, got ${this.threshold}, ${this.windowMs}`);
    this.bucketMs = this.windowMs / BUCKETS;
  }

  /** Counts `n` unverifiable audits of `edge` at `now`; true when this raised its alert (log it). */
  add(edge: string, n: number, now: number): boolean {
    const w = this.window(edge, now);
    w.counts[w.bucket % BUCKETS]! += n;
    if (w.alert !== null || sum(w.counts) < this.threshold) return false;
    w.alert = { since: now, threshold: this.threshold, windowMs: this.windowMs };
    return true;
  }

  /** Unverifiable audits of `edge` within the window ending `now`. */
  recent(edge: string, now: number): number {
    return this.edges.has(edge) ? sum(this.window(edge, now).counts) : 0;
  }

  /** The edge's alert while raised (cleared once its count falls under half the threshold). */
  alert(edge: string, now: number): UnverifiableAlert | null {
    return this.edges.has(edge) ? this.window(edge, now).alert : null;
  }

  /** The edge's buckets advanced to `now`; an alert whose count fell low enough is cleared. */
  private window(edge: string, now: number): EdgeWindow {
    const bucket = Math.floor(now / this.bucketMs);
    let w = this.edges.get(edge);
    if (!w) {
      w = { counts: new Float64Array(BUCKETS), bucket, alert: null };
      this.edges.set(edge, w);
      return w;
    }
    if (bucket > w.bucket) {
      const gap = Math.min(bucket - w.bucket, BUCKETS);
      for (let i = 1; i <= gap; i++) w.counts[(w.bucket + i) % BUCKETS] = 0;
      w.bucket = bucket;
      if (w.alert !== null && sum(w.counts) * 2 < this.threshold) w.alert = null;
    }
    return w;
  }
}

function sum(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s;
}
