/**
 * @module One connection's accepted difficulty per minute, the input of its vardiff.
 *
 * PowerPool measured the rate per payout address and skipped minutes without shares (spec §15
 * item 26), so rigs sharing an address got the combined rate and a silent miner looked as busy as
 * its last active minute. Here the rate is this connection's own: the accepted difficulty of the
 * last WINDOW_MINUTES whole minutes plus the current one, divided by the real time it covers
 * (silent minutes included).
 */

const MINUTE_MS = 60_000;
export const WINDOW_MINUTES = 10;
const BUCKETS = WINDOW_MINUTES + 1;

export class ShareRate {
  // One fixed ring per connection, allocated once: sums at [0, BUCKETS), their minutes after.
  // Adding a share allocates nothing.
  private readonly ring = new Float64Array(2 * BUCKETS).fill(-1, BUCKETS);

  /** `since`: when measuring started (connect or authorize time), ms. */
  constructor(private readonly since: number) {}

  add(difficulty: number, now: number): void {
    const r = this.ring;
    const minute = Math.floor(now / MINUTE_MS);
    const i = minute % BUCKETS;
    if (r[BUCKETS + i] !== minute) {
      r[BUCKETS + i] = minute;
      r[i] = 0;
    }
    r[i]! += difficulty;
  }

  /** Accepted difficulty per minute over the window ending at `now`. */
  perMinute(now: number): number {
    const minute = Math.floor(now / MINUTE_MS);
    const first = minute - WINDOW_MINUTES;
    const r = this.ring;
    let sum = 0;
    for (let i = 0; i < BUCKETS; i++) {
      const m = r[BUCKETS + i]!;
      if (m >= first && m <= minute) sum += r[i]!;
    }
    const start = Math.max(this.since, first * MINUTE_MS);
    // A floor of one second keeps a share that arrives right at the start from reading as infinite.
    const minutes = Math.max(now - start, 1000) / MINUTE_MS;
    return sum / minutes;
  }
}
