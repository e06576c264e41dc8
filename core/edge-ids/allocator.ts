/**
 * @module The core assigns edge ids (issue 20: one edge's credentials must not be able to exhaust
 * the id pool, nor take, renew or free another edge's id, nor make other edges' miners collide).
 *
 *   edge  SET edgeIdWant(edge) <session> PX ttl (every heartbeat); GET + PTTL edgeIdGrant(edge)
 *   core  (leader, every `intervalMs`) one SCAN of edgeIdKeysPattern: the wants and every held
 *         lease; for each valid want, one fenced script writes
 *           edgeIdLease(id) = "<edge>:<session>"  PX ttl   (v1 edges leasing ids themselves see it taken)
 *           edgeIdGrant(edge) = "<id>:<session>"   PX ttl
 *           edgeIdByName(edge) = id                EX 30 days (the id a restarted edge gets back)
 *         renewed every `renewMs` while the want lives, never after.
 *
 * An id is free only once its lease key is gone from Redis: a TTL after the core last renewed it
 * for an edge that stopped asking, or a TTL after a v1 edge stopped renewing its own. The edge
 * treats its id as valid no longer than the grant's PTTL it last read (edge/forward/edge-id.ts),
 * and the grant never outlives the lease, so an id is never in two edges' hands — across core
 * failovers too, since the state that decides is in Redis (a new leader adopts live grants).
 *
 * One identity (an edge name, or `<edge>/<i>` for its workers) holds one id: a new session of the
 * same identity (a restart) takes that id over at once. Two live processes under one name then
 * share a prefix, which harms only that edge's own miners; each renewal of the other one sees the
 * grant name another session and it stops handing out values. Worker indexes are capped (the
 * config's `edges.<name>.workers`), so one edge's credentials can hold at most 1 + workers ids.
 *
 * Want keys are untrusted input (an edge writes them): a name or session that does not parse, a
 * worker index over the cap, or a key of the wrong type is ignored and logged once.
 */
import type Redis from "ioredis";
import { contractNames, isEdgeStreamName, type ContractNames } from "../../shared/contract/names.ts";
import type { Logger } from "../../shared/log.ts";
import { defineScript, type ScriptRunner } from "../accounting/scripts.ts";
import { isFenced } from "../leader/fence.ts";

/** Lease and grant lifetime: as long as the edges' own leases were, so a Redis outage of minutes stops no edge. */
export const DEFAULT_EDGE_ID_TTL_MS = 10 * 60_000;
export const DEFAULT_EDGE_ID_INTERVAL_MS = 500;
/** Edge workers per edge when the config does not say (`workers: 0`, or an edge the core's config does not list). */
export const DEFAULT_MAX_WORKERS = 256;
const NAME_TTL_SECONDS = 30 * 86_400;
/** Ids tried per want and pass (a v1 edge may take one between the SCAN and the claim). */
const CLAIM_TRIES = 8;
/** Ids each identity was granted lately, for the share audit (records may be replayed from a spool after a change). */
const HISTORY = 4;
const SESSION = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Claims or renews an id for an identity: refused (0) when the lease is another identity's. The
 * same identity's lease (its previous session, or its own v1 self-lease) is taken over.
 * KEYS lease, grant, byName; ARGV identity, session, id, ttlMs, nameTtlSeconds.
 */
const CLAIM_LUA = `local v = redis.call('GET', KEYS[1])
if v and string.sub(v, 1, #ARGV[1] + 1) ~= ARGV[1] .. ':' then return 0 end
redis.call('SET', KEYS[1], ARGV[1] .. ':' .. ARGV[2], 'PX', ARGV[4])
redis.call('SET', KEYS[2], ARGV[3] .. ':' .. ARGV[2], 'PX', ARGV[4])
redis.call('SET', KEYS[3], ARGV[3], 'EX', ARGV[5])
return 1`;

/** Bytes of the extranonce1 the edge id takes (the same rule as edge/forward/edge-id.ts edgeIdBytes). */
export function edgeIdSpace(extranonce1Size: number): number {
  if (!Number.isInteger(extranonce1Size) || extranonce1Size < 4 || extranonce1Size > 8) {
    throw new RangeError(`edge ids: expected extranonce1 size 4..8, got ${extranonce1Size}`);
  }
  return extranonce1Size >= 6 ? 65536 : 256;
}

export interface EdgeIdAllocatorOptions {
  /** The core's connection (its leader fence, if any, attached): every write goes through it. */
  readonly redis: Redis;
  readonly prefix: string;
  /** `pool.extranonce_serv_size`: how many ids there are. */
  readonly extranonce1Size: number;
  readonly log: Logger;
  /** Worker processes an edge may run (its identities `<edge>/0 … <edge>/<n-1>`); default DEFAULT_MAX_WORKERS. */
  readonly maxWorkers?: (edge: string) => number;
  readonly ttlMs?: number;
  readonly intervalMs?: number;
  /** How often a live grant is written again; default ttl / 20. */
  readonly renewMs?: number;
  readonly now?: () => number;
}

interface Grant {
  id: number;
  session: string;
  renewedAt: number;
}

/** What one pass did (for tests and the log). */
export interface EdgeIdPass {
  readonly wants: number;
  readonly granted: number;
  readonly renewed: number;
  readonly ignored: number;
  readonly fenced: boolean;
}

export class EdgeIdAllocator {
  readonly maxId: number;
  readonly ttlMs: number;
  private readonly names: ContractNames;
  private readonly claim: ScriptRunner;
  private readonly now: () => number;
  private readonly intervalMs: number;
  private readonly renewMs: number;
  private readonly grants = new Map<string, Grant>();
  private readonly remembered = new Map<string, number>();
  private readonly history = new Map<string, number[]>();
  /** Ids leased by v1 edges themselves, by holder identity, as last read. */
  private selfLeased = new Map<string, number>();
  /** id → identity of `grants`, rebuilt on the next lookup after any change (grantHolderOf). */
  private byId: Map<number, string> | null = null;
  private readonly warned = new Set<string>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<void> | null = null;
  private stopped = false;
  private fencedLogged = false;

  constructor(private readonly opts: EdgeIdAllocatorOptions) {
    this.maxId = edgeIdSpace(opts.extranonce1Size) - 1;
    this.names = contractNames(opts.prefix);
    this.ttlMs = opts.ttlMs ?? DEFAULT_EDGE_ID_TTL_MS;
    this.intervalMs = opts.intervalMs ?? DEFAULT_EDGE_ID_INTERVAL_MS;
    this.renewMs = opts.renewMs ?? Math.max(1, Math.floor(this.ttlMs / 20));
    this.now = opts.now ?? Date.now;
    this.claim = defineScript(opts.redis, "ppEdgeIdClaim", CLAIM_LUA);
  }

  /** Runs a pass at once, then one every `intervalMs` (longer when a pass is slow: a big keyspace). */
  start(): void {
    this.stopped = false;
    const loop = async () => {
      const t0 = performance.now();
      this.running = this.pass().then(
        () => {},
        (e: unknown) => this.opts.log.warn(`edge id pass failed (${(e as Error).message}); retrying`),
      );
      await this.running;
      this.running = null;
      // SCAN walks the whole keyspace: keep it under a tenth of the connection's time.
      const wait = Math.max(this.intervalMs, 10 * (performance.now() - t0));
      if (!this.stopped) this.timer = setTimeout(() => void loop(), wait);
    };
    void loop();
  }

  /** Stops passing; waits for a running pass up to `waitMs` (one stuck on an unreachable Redis must not hold up a stepping-down core). */
  async stop(waitMs = 2000): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([this.running, new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)))]);
    clearTimeout(timer);
  }

  /**
   * The id the core granted `edge` (an edge name or `<edge>/<i>`), while its grant lives; undefined
   * otherwise (not granted, expired, or this core became leader and has not adopted it yet).
   */
  grantedId(edge: string): number | undefined {
    const g = this.grants.get(edge);
    return g && this.now() - g.renewedAt < this.ttlMs ? g.id : undefined;
  }

  /** True when `id` is one of the last few ids the core granted `edge` (records replayed from a spool may predate a change). */
  wasGranted(edge: string, id: number): boolean {
    return this.history.get(edge)?.includes(id) ?? false;
  }

  /** The id a v1 edge leased itself, as last seen (self-declared: trust it only while v1 edges are allowed). */
  selfLeasedId(edge: string): number | undefined {
    return this.selfLeased.get(edge);
  }

  /** The identity the core grants `id` to now (a live grant; never a self-lease); undefined when none. */
  grantHolderOf(id: number): string | undefined {
    if (this.byId === null) {
      this.byId = new Map();
      for (const [edge, g] of this.grants) this.byId.set(g.id, edge);
    }
    const edge = this.byId.get(id);
    return edge !== undefined && this.grantedId(edge) === id ? edge : undefined;
  }

  /** One pass: read wants and leases, grant, renew. */
  async pass(): Promise<EdgeIdPass> {
    const { redis, log } = this.opts;
    const wantHead = this.names.edgeIdWant("");
    const leaseHead = this.names.edgeIdLease(0).slice(0, -1);
    const grantHead = this.names.edgeIdGrant("");
    const wantKeys: string[] = [];
    const held = new Set<number>();
    const grantKeys = new Set<string>();
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", this.names.edgeIdKeysPattern, "COUNT", 1000);
      for (const key of keys) {
        if (key.startsWith(wantHead)) wantKeys.push(key);
        else if (key.startsWith(grantHead)) grantKeys.add(key.slice(grantHead.length));
        else if (key.startsWith(leaseHead)) {
          const id = parseId(key.slice(leaseHead.length), this.maxId);
          if (id !== undefined) held.add(id);
        }
      }
      cursor = next;
    } while (cursor !== "0");

    const now = this.now();
    for (const [edge, g] of this.grants) if (now - g.renewedAt >= this.ttlMs) this.dropGrant(edge);
    const ours = new Set([...this.grants.values()].map((g) => g.id));
    await this.readSelfLeases([...held].filter((id) => !ours.has(id)));

    let ignored = 0;
    const wants = new Map<string, string>();
    const sessions = await Promise.all(wantKeys.map((k) => redis.get(k).catch((e: Error) => e)));
    wantKeys.forEach((key, i) => {
      const edge = key.slice(wantHead.length);
      const session = sessions[i];
      if (session === null || session === undefined) return; // expired since the SCAN
      const problem = this.problem(edge, session);
      if (problem === undefined && typeof session === "string") wants.set(edge, session);
      else {
        ignored++;
        this.warnOnce(`${key}\u0000${problem}`, `edge id request ${JSON.stringify(key)} ignored: ${problem}`);
      }
    });

    // Identities holding an id first, then those with a remembered one, so a newcomer never takes an id its holder is about to renew.
    const rank = (edge: string) => (this.grants.has(edge) ? 0 : this.remembered.has(edge) ? 1 : 2);
    const order = [...wants.keys()].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : 1));
    let granted = 0;
    let renewed = 0;
    try {
      for (const edge of order) {
        const session = wants.get(edge)!;
        const g = this.grants.get(edge) ?? (await this.adopt(edge));
        if (g) {
          // Written again when due, or at once when its lease is missing (a Redis failover that lost the last writes).
          if (g.session === session && now - g.renewedAt < this.renewMs && held.has(g.id) && grantKeys.has(edge)) continue;
          if (await this.write(edge, session, g.id, now)) {
            if (g.session === session) renewed++;
            else {
              granted++;
              log.info(`edge id ${g.id} of ${edge} now granted to its session ${session} (was ${g.session}: a restart)`);
            }
            continue;
          }
          this.dropGrant(edge);
          held.add(g.id);
          log.error(`EDGE ID ${g.id} of ${edge} is leased by another edge (${this.holderOf(g.id) ?? "?"}): granting ${edge} a new id; its current connections may collide until it takes the new one`);
        }
        const id = await this.allocate(edge, session, held, now);
        if (id === undefined) {
          this.warnOnce(`full\u0000${edge}`, `no free edge id for ${edge}: all ${this.maxId + 1} ids are held`);
          continue;
        }
        granted++;
        log.info(`edge id ${id} granted to ${edge} (session ${session})`);
      }
    } catch (e) {
      if (!isFenced(e)) throw e;
      if (!this.fencedLogged) log.warn(`edge ids: this core is no longer the leader; writing nothing (${(e as Error).message})`);
      this.fencedLogged = true;
      return { wants: wants.size, granted, renewed, ignored, fenced: true };
    }
    return { wants: wants.size, granted, renewed, ignored, fenced: false };
  }

  /** Why a want cannot be served, or undefined. */
  private problem(edge: string, session: string | Error): string | undefined {
    if (session instanceof Error) return `unreadable (${session.message})`;
    if (!isEdgeStreamName(edge)) return "not an edge name";
    if (!SESSION.test(session)) return `session ${JSON.stringify(session.slice(0, 80))} is not 1-64 of [A-Za-z0-9_-]`;
    const slash = edge.indexOf("/");
    if (slash < 0) return undefined;
    const index = edge.slice(slash + 1);
    // `eu1/01` and `eu1/1` would be two identities with one worker: only the canonical spelling counts.
    if (String(Number(index)) !== index) return "worker index not in canonical form";
    const max = Math.min(this.opts.maxWorkers?.(edge.slice(0, slash)) ?? DEFAULT_MAX_WORKERS, DEFAULT_MAX_WORKERS);
    if (Number(index) >= max) return `worker index over the edge's ${max} workers`;
    return undefined;
  }

  /** A grant a previous leader wrote and that is still whole in Redis: this core renews it from now on. */
  private async adopt(edge: string): Promise<Grant | undefined> {
    const raw = await this.opts.redis.get(this.names.edgeIdGrant(edge));
    const m = raw === null ? null : /^(\d+):([A-Za-z0-9_-]{1,64})$/.exec(raw);
    const id = m ? parseId(m[1]!, this.maxId) : undefined;
    if (!m || id === undefined) return undefined;
    if ((await this.opts.redis.get(this.names.edgeIdLease(id))) !== `${edge}:${m[2]!}`) return undefined;
    const g: Grant = { id, session: m[2]!, renewedAt: -Infinity };
    this.grants.set(edge, g);
    this.byId = null;
    return g;
  }

  /** The edge's remembered id if free, else the lowest free one; claimed atomically against v1 edges. */
  private async allocate(edge: string, session: string, held: Set<number>, now: number): Promise<number | undefined> {
    let last = this.remembered.get(edge);
    if (last === undefined) {
      last = parseId((await this.opts.redis.get(this.names.edgeIdByName(edge))) ?? "", this.maxId);
      if (last !== undefined) this.remembered.set(edge, last);
    }
    const taken = new Set([...held, ...[...this.grants.values()].map((g) => g.id)]);
    let tries = 0;
    const candidates = function* (maxId: number) {
      if (last !== undefined) yield last;
      for (let id = 0; id <= maxId; id++) if (id !== last) yield id;
    };
    for (const id of candidates(this.maxId)) {
      // A lease of this identity's own (its last session, or its v1 self) is taken over by the claim.
      if (taken.has(id) && this.holderOf(id) !== edge) continue;
      if (await this.write(edge, session, id, now)) return id;
      held.add(id);
      if (++tries >= CLAIM_TRIES) return undefined;
    }
    return undefined;
  }

  private async write(edge: string, session: string, id: number, now: number): Promise<boolean> {
    const n = this.names;
    const r = Number(await this.claim([n.edgeIdLease(id), n.edgeIdGrant(edge), n.edgeIdByName(edge)], [edge, session, id, this.ttlMs, NAME_TTL_SECONDS]));
    if (r !== 1) return false;
    if (this.grants.get(edge)?.id !== id) this.byId = null;
    this.grants.set(edge, { id, session, renewedAt: now });
    this.remembered.set(edge, id);
    const h = this.history.get(edge) ?? [];
    if (h[h.length - 1] !== id) this.history.set(edge, [...h.filter((x) => x !== id), id].slice(-HISTORY));
    return true;
  }

  /** Reads the holders of leases the core did not write (v1 edges), for the log and selfLeasedId. */
  private async readSelfLeases(ids: number[]): Promise<void> {
    const values = await Promise.all(ids.map((id) => this.opts.redis.get(this.names.edgeIdLease(id)).catch(() => null)));
    const next = new Map<string, number>();
    ids.forEach((id, i) => {
      const v = values[i];
      const colon = v ? v.lastIndexOf(":") : -1;
      if (v && colon > 0) next.set(v.slice(0, colon), id);
    });
    this.selfLeased = next;
  }

  private dropGrant(edge: string): void {
    this.grants.delete(edge);
    this.byId = null;
  }

  private holderOf(id: number): string | undefined {
    for (const [edge, x] of this.selfLeased) if (x === id) return edge;
    for (const [edge, g] of this.grants) if (g.id === id) return edge;
    return undefined;
  }

  private warnOnce(key: string, msg: string): void {
    if (this.warned.has(key)) return;
    // Bounded: an edge writing ever new garbage must not grow the core's memory.
    if (this.warned.size >= 10_000) this.warned.clear();
    this.warned.add(key);
    this.opts.log.warn(msg);
  }
}


function parseId(text: string, maxId: number): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const id = Number(text);
  return String(id) === text && id <= maxId ? id : undefined;
}
