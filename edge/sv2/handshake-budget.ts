/**
 * @module Handshakes per source IP: each costs the edge ~4 ms of CPU (two x-only ECDH and an
 * ElligatorSwift encoding in JS), so one address could otherwise keep a core busy with handshakes
 * alone. Over its budget an address's handshakes are not refused but delayed: each takes the next
 * token in advance (the bucket goes negative), so a farm behind one NAT reconnecting at once is
 * answered at `perSecond`, evenly, and other addresses are not slowed.
 */
export class HandshakeBudget {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perSecond: number,
    /** Handshakes an address may make at once before the rate applies. */
    private readonly burst: number,
  ) {}

  /** Takes a handshake token for `ip`: 0 to go now, else the ms to wait for it. */
  take(ip: string, now: number): number {
    let b = this.buckets.get(ip);
    if (!b) this.buckets.set(ip, (b = { tokens: this.burst, at: now }));
    else if (now > b.at) {
      b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) * this.perSecond) / 1000);
      b.at = now;
    }
    b.tokens -= 1;
    return b.tokens >= 0 ? 0 : Math.ceil((-b.tokens * 1000) / this.perSecond);
  }

  /** Forgets addresses whose bucket has refilled (the port timer). */
  purge(now: number): void {
    for (const [ip, b] of this.buckets) if (b.tokens + ((now - b.at) * this.perSecond) / 1000 >= this.burst) this.buckets.delete(ip);
  }

  get size(): number {
    return this.buckets.size;
  }
}
