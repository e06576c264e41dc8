/**
 * @module Per-IP admission: temporary bans (shared by every port of an edge, so a banned address
 * cannot hop ports) and live connection counts (per port, as `max_connections_per_ip` is).
 */

/** `::ffff:1.2.3.4` and `1.2.3.4` are one client. */
export function normalizeIp(ip: string): string {
  return ip.startsWith("::ffff:") && ip.includes(".") ? ip.slice(7) : ip;
}

export class BanList {
  private readonly until = new Map<string, number>();

  ban(ip: string, untilMs: number): void {
    this.until.set(ip, Math.max(untilMs, this.until.get(ip) ?? 0));
  }

  isBanned(ip: string, now: number): boolean {
    const t = this.until.get(ip);
    if (t === undefined) return false;
    if (now < t) return true;
    this.until.delete(ip);
    return false;
  }

  /** Forgets expired bans (called from the port timer so the map cannot grow without bound). */
  purge(now: number): void {
    for (const [ip, t] of this.until) if (now >= t) this.until.delete(ip);
  }

  get size(): number {
    return this.until.size;
  }
}

export class IpConnections {
  private readonly counts = new Map<string, number>();

  /** Counts a new connection from `ip`; false (and not counted) when it already has `limit`. */
  acquire(ip: string, limit: number): boolean {
    const n = this.counts.get(ip) ?? 0;
    if (n >= limit) return false;
    this.counts.set(ip, n + 1);
    return true;
  }

  release(ip: string): void {
    const n = this.counts.get(ip) ?? 0;
    if (n <= 1) this.counts.delete(ip);
    else this.counts.set(ip, n - 1);
  }

  count(ip: string): number {
    return this.counts.get(ip) ?? 0;
  }
}

/**
 * Junk input within a sliding minute: bad JSON, lines that are not requests, unknown methods,
 * requests over the rate limit. A miner never sends much of it; a port scanner, an HTTP client
 * or a flood does.
 */
export const JUNK_STRIKES_BEFORE_BAN = 10;
export const JUNK_WINDOW_MS = 60_000;

/**
 * Requests allowed per connection: a token bucket holding one second's worth. The state lives in
 * the connection itself (two numbers), not in an object of its own.
 */
export interface TokenBucket {
  tokens: number;
  /** When `tokens` was last refilled, ms. */
  tokensAt: number;
}

/** Takes one request's token; false when the connection is over its rate. */
export function takeToken(b: TokenBucket, perSecond: number, now: number): boolean {
  if (now > b.tokensAt) {
    b.tokens = Math.min(perSecond, b.tokens + ((now - b.tokensAt) * perSecond) / 1000);
    b.tokensAt = now;
  }
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}
