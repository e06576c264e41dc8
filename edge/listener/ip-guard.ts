/**
 * @module Per-IP admission and bans, built so that an honest miner is never punished and a farm
 * of many machines behind one NAT address lives normally.
 *
 * - What counts against a client is only what no honest miner sends: protocol garbage, oversize
 *   lines, floods of malformed or unauthorised requests, a high ratio of invalid shares. A valid
 *   share never does, whatever the rate (a fast miner is paced and gets a higher difficulty).
 * - Counted per connection first: the offending connection is closed (an "offence"). Only when an
 *   address collects `ip_ban_offences` offences within `ban_seconds` is the address banned for
 *   `ban_seconds` — and never while it has miners on it that authorised and had a share accepted
 *   (a broken machine in a farm loses its own connection, not the farm's).
 * - Bans are shared by every port of an edge (a banned address cannot hop ports), carry their
 *   reason, and can be lifted (the monitor's route, through Redis: edge/forward/bans.ts).
 * - Connection counts per port (`IpConnections`) separate sockets that have not authorised (a tight
 *   limit) from authorised miners (only the generous overall limit).
 */

/** `::ffff:1.2.3.4` and `1.2.3.4` are one client; an address Bun could not tell (a reset before open) is "unknown". */
export function normalizeIp(ip: string | undefined): string {
  if (!ip) return "unknown";
  return ip.startsWith("::ffff:") && ip.includes(".") ? ip.slice(7) : ip;
}

/** Why a connection was closed or an address banned: the label of the ban metrics. */
export type OffenceKind = "oversize_line" | "junk" | "unauthorized" | "invalid_shares";
export const OFFENCE_KINDS: readonly OffenceKind[] = ["oversize_line", "junk", "unauthorized", "invalid_shares"];

export interface BanEntry {
  readonly ip: string;
  readonly kind: OffenceKind;
  /** What happened, as logged. */
  readonly reason: string;
  /** The stratum port key where the last offence happened. */
  readonly port: string;
  readonly since: number;
  readonly until: number;
}

export interface OffenceLimits {
  readonly ban_seconds: number;
  readonly ip_ban_offences: number;
}

/** What an offence led to: the address banned, only the connection closed, or the connection closed and the address spared for its honest miners. */
export type OffenceOutcome = { readonly banned: true; readonly entry: BanEntry } | { readonly banned: false; readonly offences: number; readonly honest: number };

interface Offences {
  count: number;
  since: number;
}

export class IpGuard {
  private readonly bans = new Map<string, BanEntry>();
  private readonly offences = new Map<string, Offences>();
  /** Live connections per address that authorised and had at least one share accepted. */
  private readonly honestByIp = new Map<string, number>();
  /** Addresses banned and connections closed, by kind, since the edge started. */
  readonly bansByKind: Record<OffenceKind, number> = { oversize_line: 0, junk: 0, unauthorized: 0, invalid_shares: 0 };
  readonly closesByKind: Record<OffenceKind, number> = { oversize_line: 0, junk: 0, unauthorized: 0, invalid_shares: 0 };
  lifted = 0;

  isBanned(ip: string, now: number): boolean {
    const b = this.bans.get(ip);
    if (b === undefined) return false;
    if (now < b.until) return true;
    this.bans.delete(ip);
    return false;
  }

  /** A connection from `ip` misbehaved and is being closed: bans the address once it has had enough offences. */
  offence(ip: string, kind: OffenceKind, reason: string, port: string, now: number, limits: OffenceLimits): OffenceOutcome {
    this.closesByKind[kind]++;
    const windowMs = limits.ban_seconds * 1000;
    let o = this.offences.get(ip);
    if (!o || now - o.since > windowMs) this.offences.set(ip, (o = { count: 0, since: now }));
    o.count++;
    const honest = this.honestByIp.get(ip) ?? 0;
    if (o.count < limits.ip_ban_offences || honest > 0) return { banned: false, offences: o.count, honest };
    const entry: BanEntry = { ip, kind, reason, port, since: now, until: now + windowMs };
    const prev = this.bans.get(ip);
    if (!prev || prev.until < entry.until) this.bans.set(ip, entry);
    this.offences.delete(ip);
    this.bansByKind[kind]++;
    return { banned: true, entry };
  }

  /** Counts (+1) or uncounts (-1) an honest connection of `ip`. */
  honest(ip: string, delta: 1 | -1): void {
    const n = (this.honestByIp.get(ip) ?? 0) + delta;
    if (n <= 0) this.honestByIp.delete(ip);
    else this.honestByIp.set(ip, n);
  }

  honestCount(ip: string): number {
    return this.honestByIp.get(ip) ?? 0;
  }

  /** The operator lifts a ban (and forgets the address's offences); true when there was one. */
  lift(ip: string): boolean {
    this.offences.delete(ip);
    const had = this.bans.delete(ip);
    if (had) this.lifted++;
    return had;
  }

  /** Active bans, newest first. */
  list(now: number): BanEntry[] {
    const out: BanEntry[] = [];
    for (const b of this.bans.values()) if (now < b.until) out.push(b);
    return out.sort((a, b) => b.since - a.since);
  }

  /** Forgets expired bans and offences (the port timer), so the maps cannot grow without bound. */
  purge(now: number, windowMs: number): void {
    for (const [ip, b] of this.bans) if (now >= b.until) this.bans.delete(ip);
    for (const [ip, o] of this.offences) if (now - o.since > windowMs) this.offences.delete(ip);
  }

  get size(): number {
    return this.bans.size;
  }
}

/** Why a connection was refused at the door (`refuse`'s answer), or null when it is admitted. */
export type Refusal = "total" | "unauthorized" | null;

/**
 * Live connections per address on one port: all of them, and those not authorised yet. A new
 * socket counts as unauthorised until its miner authorises.
 */
export class IpConnections {
  private readonly total = new Map<string, number>();
  private readonly unauthorized = new Map<string, number>();

  /** Counts a new connection from `ip` (as unauthorised), or says which limit refuses it (and counts nothing). */
  acquire(ip: string, maxTotal: number, maxUnauthorized: number): Refusal {
    const t = this.total.get(ip) ?? 0;
    if (t >= maxTotal) return "total";
    const u = this.unauthorized.get(ip) ?? 0;
    if (u >= maxUnauthorized) return "unauthorized";
    this.total.set(ip, t + 1);
    this.unauthorized.set(ip, u + 1);
    return null;
  }

  /** The connection's miner authorised: it no longer counts against the unauthorised limit. */
  authorized(ip: string): void {
    dec(this.unauthorized, ip);
  }

  release(ip: string, wasAuthorized: boolean): void {
    dec(this.total, ip);
    if (!wasAuthorized) dec(this.unauthorized, ip);
  }

  count(ip: string): number {
    return this.total.get(ip) ?? 0;
  }

  unauthorizedCount(ip: string): number {
    return this.unauthorized.get(ip) ?? 0;
  }
}

function dec(m: Map<string, number>, key: string): void {
  const n = m.get(key) ?? 0;
  if (n <= 1) m.delete(key);
  else m.set(key, n - 1);
}

/**
 * Junk input within a sliding minute: bad JSON, lines that are not requests, unknown methods,
 * requests that need an authorised miner from a socket that never authorised. A miner never sends
 * much of it; a port scanner, an HTTP client or a flood does.
 */
export const JUNK_STRIKES_BEFORE_BAN = 10;
export const JUNK_WINDOW_MS = 60_000;

/**
 * Requests allowed per connection: a token bucket holding one second's worth. The state lives in
 * the connection itself (two numbers), not in an object of its own. Running out never counts
 * against the client: the connection stops reading until the bucket refills (backpressure).
 */
export interface TokenBucket {
  tokens: number;
  /** When `tokens` was last refilled, ms. */
  tokensAt: number;
}

/** Refills the bucket for the time passed since the last refill. */
export function refill(b: TokenBucket, perSecond: number, now: number): void {
  if (now > b.tokensAt) {
    b.tokens = Math.min(perSecond, b.tokens + ((now - b.tokensAt) * perSecond) / 1000);
    b.tokensAt = now;
  }
}

/** Takes one request's token; false when the connection is over its rate. */
export function takeToken(b: TokenBucket, perSecond: number, now: number): boolean {
  refill(b, perSecond, now);
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}
