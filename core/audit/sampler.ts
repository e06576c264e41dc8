/**
 * @module Which accepted records get re-hashed: each with probability
 *
 *   p = clamp(max(min_fraction, per_hour / R), 0, 1)
 *
 * R being that edge's accepted records per hour of the algorithm, counted by the core's own clock
 * as batches arrive (never the records' claimed times, which the edge writes). So a small edge is
 * audited about per_hour times an hour, a big one at least min_fraction of its shares.
 *
 * Draws come from xoshiro128** seeded from the OS's CSPRNG: an edge cannot predict which of its
 * records are checked. (xoshiro is not a CSPRNG, but its state never leaves the core and draws are
 * not observable beyond a rare quarantine; a seeded instance is for tests only.)
 */

/** Uniform draws in [0, 1). */
export interface Random {
  next(): number;
}

/** xoshiro128** (Blackman & Vigna): four u32 of state, a draw costs a few integer operations. */
class Xoshiro128 implements Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: Uint32Array) {
    this.a = seed[0]! >>> 0;
    this.b = seed[1]! >>> 0;
    this.c = seed[2]! >>> 0;
    this.d = seed[3]! >>> 0;
    // An all-zero state would stay zero forever.
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 0x9e3779b9;
  }

  next(): number {
    const r = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return r / 0x1_0000_0000;
  }
}

const rotl = (x: number, k: number): number => (x << k) | (x >>> (32 - k));

/** Seeded from crypto.getRandomValues: what the running core uses. */
export function cryptoRandom(): Random {
  return new Xoshiro128(crypto.getRandomValues(new Uint32Array(4)));
}

/** Tests only: the same draws for the same seed (splitmix32 spreads the seed over the state). */
export function seededRandom(seed: number): Random {
  const s = new Uint32Array(4);
  let x = seed >>> 0;
  for (let i = 0; i < 4; i++) {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    s[i] = (z ^ (z >>> 16)) >>> 0;
  }
  return new Xoshiro128(s);
}

/** The audit probability of one record: clamp(max(minFraction, perHour / ratePerHour), 0, 1). */
export function auditProbability(perHour: number, minFraction: number, ratePerHour: number): number {
  const byRate = ratePerHour > 0 ? perHour / ratePerHour : perHour > 0 ? 1 : 0;
  const p = Math.max(minFraction, byRate);
  return p >= 1 ? 1 : p > 0 ? p : 0;
}

/** Counts over a sliding window, in buckets, per key (an edge and algorithm). */
export class RateWindow {
  private readonly bucketMs: number;
  private readonly keys = new Map<string, { counts: Float64Array; bucket: number; since: number }>();

  constructor(
    /** Length of the window, ms (about ten minutes: fast enough to follow an edge's load). */
    readonly windowMs = 600_000,
    private readonly buckets = 20,
    /** Shortest span a rate is taken over: an edge's first batch alone is not an hour's rate. */
    private readonly minSpanMs = 60_000,
  ) {
    if (!(windowMs > 0) || !Number.isInteger(buckets) || buckets < 1) throw new RangeError(`RateWindow: expected windowMs > 0 and buckets ≥ 1, got ${windowMs}, ${buckets}`);
    this.bucketMs = windowMs / buckets;
  }

  /** Records `n` events at `nowMs`. */
  add(key: string, n: number, nowMs: number): void {
    const w = this.window(key, nowMs);
    w.counts[w.bucket % this.buckets]! += n;
  }

  /**
   * Events per hour over the window (or since the key was first seen, at least `minSpanMs`), with
   * `extra` events counted as if added now.
   */
  perHour(key: string, nowMs: number, extra = 0): number {
    const w = this.window(key, nowMs);
    let sum = extra;
    for (let i = 0; i < this.buckets; i++) sum += w.counts[i]!;
    const span = Math.min(this.windowMs, Math.max(this.minSpanMs, nowMs - w.since));
    return (sum * 3_600_000) / span;
  }

  /** Forgets keys without events for a whole window (edges that went away). */
  prune(nowMs: number): void {
    for (const key of this.keys.keys()) if (this.window(key, nowMs).counts.every((c) => c === 0)) this.keys.delete(key);
  }

  get size(): number {
    return this.keys.size;
  }

  /** The key's buckets advanced to `nowMs` (buckets that fell out of the window cleared). */
  private window(key: string, nowMs: number) {
    const bucket = Math.floor(nowMs / this.bucketMs);
    let w = this.keys.get(key);
    if (!w) {
      w = { counts: new Float64Array(this.buckets), bucket, since: nowMs };
      this.keys.set(key, w);
      return w;
    }
    if (bucket > w.bucket) {
      const gap = Math.min(bucket - w.bucket, this.buckets);
      for (let i = 1; i <= gap; i++) w.counts[(w.bucket + i) % this.buckets] = 0;
      w.bucket = bucket;
    }
    return w;
  }
}
