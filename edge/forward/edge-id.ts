/**
 * @module The edge id: a number that prefixes every extranonce1 this edge hands out, so two edges
 * never produce the same extranonce1 (PowerPool's collisions, spec §15 item 25).
 *
 * From contract v2 (GET contractVersion ≥ 2) the core assigns it (core/edge-ids/, issue 20: no
 * edge's credentials can take, renew or free another's id, or exhaust the pool):
 *
 *   acquire  SET edgeIdWant(edge) <session> PX ttl, then poll GET + PTTL edgeIdGrant(edge) until it
 *            names this session (`<id>:<session>`); a bounded wait, then a clear error
 *   renew    with each heartbeat: the same SET, GET + PTTL; held while the grant names this session
 *   release  DEL the want (the core keeps the id for this edge's next start until the TTL passes)
 *
 * Valid no longer than the grant's PTTL as read (measured from when the read was sent): the core
 * frees an id only once its lease key, which it writes with the grant and never lets expire
 * earlier, is gone, so the id cannot be another edge's while it is valid here.
 *
 * With an older core (contract key absent, or NOPERM reading it) the edge leases its id itself, as
 * before (a v2 core honours those leases):
 *
 *   lease  SET edgeIdLease(id) "<edge>:<session>" NX PX ttl   (the id from edgeIdByName(edge) first)
 *   renew  with each heartbeat, by script: extend if still ours; re-take if it expired and is free;
 *          otherwise it is lost
 * and NOPERM there (an edge ACL without the legacy rights) turns to the core instead.
 *
 * An edge partitioned from Redis cannot renew. Once a TTL has passed since its last renewal, another
 * edge may hold the id, so `valid` turns false and the allocator refuses new connections until a
 * renewal succeeds. A renewal that finds another owner logs loudly, takes a fresh id for new
 * connections and tells the listeners (existing connections keep their extranonce1: the stratum
 * layer decides whether to drop them). The TTL is long (minutes) so that ordinary Redis outages
 * do not stop new connections.
 */
import type { Logger } from "../../shared/log.ts";
import type { Forwarder } from "./forwarder.ts";

export const DEFAULT_LEASE_TTL_MS = 10 * 60_000;
/** How long acquire waits for the core's grant before giving up: long enough for a standby core to take over. */
export const DEFAULT_GRANT_WAIT_MS = 60_000;
/** After this long without a grant acquire says it is still waiting (once). */
const GRANT_SLOW_MS = 3000;
const GRANT_POLL_MS = 100;
/** How long edgeIdByName remembers an edge's id across restarts. */
const NAME_TTL_SECONDS = 30 * 86_400;
const SCAN_CHUNK = 64;

const RENEW_SCRIPT = `local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if not v then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 2 end
return 0`;
const RELEASE_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/** Bytes of the extranonce1 taken by the edge id: 1 for 4- and 5-byte extranonce1, 2 from 6 bytes. */
export function edgeIdBytes(extranonce1Size: number): 1 | 2 {
  if (!Number.isInteger(extranonce1Size) || extranonce1Size < 4 || extranonce1Size > 8) {
    throw new RangeError(`edgeIdBytes: expected extranonce1 size 4..8, got ${extranonce1Size}`);
  }
  return extranonce1Size >= 6 ? 2 : 1;
}

const isNoPerm = (e: unknown) => e instanceof Error && e.message.startsWith("NOPERM");

/** Who assigns the id: the core (contract v2) or this edge itself (v1). */
export type EdgeIdSourceMode = "core" | "self";

export interface EdgeIdLeaseOptions {
  readonly forwarder: Forwarder;
  readonly extranonce1Size: number;
  readonly log: Logger;
  readonly ttlMs?: number;
  readonly now?: () => number;
  /** How long acquire waits for a core's grant (contract v2); default DEFAULT_GRANT_WAIT_MS. */
  readonly grantWaitMs?: number;
}

interface GrantRead {
  readonly id: number;
  readonly session: string;
  /** Remaining lifetime of the grant in Redis. */
  readonly ttlMs: number;
}

export class EdgeIdLease {
  private current: number | undefined;
  /** Until when (this edge's clock) the id cannot be another edge's. */
  private validUntil = -Infinity;
  private mode: EdgeIdSourceMode | undefined;
  private readonly listeners = new Set<(id: number | undefined, previous: number | undefined) => void>();
  readonly ttlMs: number;
  readonly maxId: number;
  private readonly owner: string;
  private readonly now: () => number;

  constructor(private readonly opts: EdgeIdLeaseOptions) {
    this.ttlMs = opts.ttlMs ?? DEFAULT_LEASE_TTL_MS;
    this.maxId = 256 ** edgeIdBytes(opts.extranonce1Size) - 1;
    this.owner = `${opts.forwarder.edge}:${opts.forwarder.session}`;
    this.now = opts.now ?? Date.now;
  }

  get id(): number | undefined {
    return this.current;
  }

  /** Who assigned the id (after acquire): the core (contract v2) or this edge (v1). */
  get source(): EdgeIdSourceMode | undefined {
    return this.mode;
  }

  /** True while the id cannot have gone to another edge: renewed less than a TTL (and the grant's TTL) ago. */
  get valid(): boolean {
    return this.current !== undefined && this.now() < this.validUntil;
  }

  onChange(fn: (id: number | undefined, previous: number | undefined) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /**
   * Gets an id: from the core when it speaks contract v2 (waiting up to `grantWaitMs`), else leased
   * here. Throws when Redis is unreachable, no core answers, or every id is held.
   */
  async acquire(): Promise<number> {
    this.mode = await this.detectMode();
    if (this.mode === "core") return this.acquireFromCore();
    try {
      return await this.acquireSelf();
    } catch (e) {
      if (!isNoPerm(e)) throw e;
      // Expected while the core has not said v2 yet but the ACL already has core-assigned ids (no legacy rules).
      this.opts.log.info("edge id: this edge's Redis user may not lease ids itself (an ACL for core-assigned ids): asking the core for one");
      this.mode = "core";
      return this.acquireFromCore();
    }
  }

  /** Extends the lease (the heartbeat calls this); on loss takes a new id. Throws when Redis fails. */
  async renew(): Promise<"held" | "replaced" | "none"> {
    if (this.mode === undefined) {
      await this.acquire();
      return "replaced";
    }
    if (this.mode === "core") return this.renewFromCore();
    const id = this.current;
    // Self-leasing stays so until a restart (the core honours such leases): no wait for a grant inside a heartbeat.
    if (id === undefined) return this.reacquireSelf();
    const sentAt = this.now();
    const { link, names } = this.opts.forwarder;
    let r: number;
    try {
      r = Number(await link.client.eval(RENEW_SCRIPT, 1, names.edgeIdLease(id), this.owner, this.ttlMs));
    } catch (e) {
      if (!isNoPerm(e)) throw e;
      // The ACL moved to core-assigned ids under this edge: the core honours the lease until it expires, then assigns.
      this.opts.log.warn(`edge id ${id}: this edge's Redis user may no longer renew it itself (an ACL for core-assigned ids): asking the core for one`);
      this.mode = "core";
      return this.renewFromCore();
    }
    if (r === 1 || r === 2) {
      this.validUntil = sentAt + this.ttlMs;
      return "held";
    }
    const holder = await link.client.get(names.edgeIdLease(id));
    this.opts.log.error(`EDGE ID ${id} LOST to ${holder ?? "?"} (this edge could not renew it for its TTL): no new connections under it; existing connections keep extranonce1 values that may now collide with that edge's`);
    this.change(undefined);
    try {
      return await this.reacquireSelf();
    } catch (e) {
      this.opts.log.error(`edge id lease: no replacement id: ${(e as Error).message}`);
      return "none";
    }
  }

  private async reacquireSelf(): Promise<"replaced" | "none"> {
    try {
      await this.acquireSelf();
      return "replaced";
    } catch (e) {
      if (!isNoPerm(e)) throw e;
      this.opts.log.info("edge id: this edge's Redis user may not lease ids itself (an ACL for core-assigned ids): asking the core for one");
      this.mode = "core";
      const r = await this.renewFromCore();
      return r === "held" ? "replaced" : r;
    }
  }

  /** Gives the id back (clean shutdown): stops asking the core, or deletes the lease if it is still ours. */
  async release(): Promise<void> {
    const { link, names, edge } = this.opts.forwarder;
    if (this.mode === "core") {
      await link.client.del(names.edgeIdWant(edge));
    } else {
      const id = this.current;
      if (id === undefined) return;
      await link.client.eval(RELEASE_SCRIPT, 1, names.edgeIdLease(id), this.owner);
    }
    this.validUntil = -Infinity;
    this.change(undefined);
  }

  /** v2 when the core says so; its absence, or an ACL that predates it (NOPERM), means an older core. */
  private async detectMode(): Promise<EdgeIdSourceMode> {
    const { link, names } = this.opts.forwarder;
    try {
      const v = await link.client.get(names.contractVersion);
      return v !== null && Number(v) >= 2 ? "core" : "self";
    } catch (e) {
      if (isNoPerm(e)) return "self";
      throw e;
    }
  }

  private async acquireFromCore(): Promise<number> {
    const waitMs = this.opts.grantWaitMs ?? DEFAULT_GRANT_WAIT_MS;
    const deadline = Date.now() + waitMs;
    const { link, names, edge, session } = this.opts.forwarder;
    let sentAt = this.now();
    await link.client.set(names.edgeIdWant(edge), session, "PX", this.ttlMs);
    let slow = Date.now() + GRANT_SLOW_MS;
    for (;;) {
      const g = await this.readGrant();
      if (g && g.session === session) {
        this.take(g, sentAt);
        this.opts.log.info(`edge id ${g.id} granted by the core (extranonce1 prefix ${this.hex(g.id)})`);
        return g.id;
      }
      if (Date.now() >= deadline) {
        throw new Error(`no core assigned an edge id within ${waitMs / 1000} s: is a v2 core running (and leading)? (asked with ${names.edgeIdWant(edge)})`);
      }
      if (Date.now() >= slow) {
        this.opts.log.warn(`no edge id from the core yet after ${GRANT_SLOW_MS / 1000} s: is a v2 core running (and leading)? waiting up to ${waitMs / 1000} s`);
        slow = Infinity;
      }
      await Bun.sleep(GRANT_POLL_MS);
      // The want may have been read already: a grant seen from now on is at least this fresh.
      sentAt = this.now();
    }
  }

  private async renewFromCore(): Promise<"held" | "replaced" | "none"> {
    const { link, names, edge, session } = this.opts.forwarder;
    const sentAt = this.now();
    await link.client.set(names.edgeIdWant(edge), session, "PX", this.ttlMs);
    const g = await this.readGrant();
    const id = this.current;
    if (g && g.session === session) {
      if (g.id === id) {
        this.validUntil = sentAt + Math.min(this.ttlMs, g.ttlMs);
        return "held";
      }
      if (id !== undefined) this.opts.log.error(`EDGE ID ${id} REPLACED by the core with ${g.id} (another edge holds ${id}): existing connections keep extranonce1 values that may collide`);
      else this.opts.log.notice(`edge id ${g.id} granted by the core (extranonce1 prefix ${this.hex(g.id)})`);
      this.change(undefined);
      this.take(g, sentAt);
      return "replaced";
    }
    if (id === undefined) return "none";
    this.opts.log.error(
      `EDGE ID ${id} LOST: ${g ? `the core granted it to session ${g.session} of this edge (a second process under the name ${edge}?)` : "the core's grant is gone (no core renewed it within its TTL: is a v2 core running?)"}; no new connections until the core grants one again`,
    );
    this.validUntil = -Infinity;
    this.change(undefined);
    return "none";
  }

  /** The grant as Redis holds it, or undefined when absent or unreadable (logged). */
  private async readGrant(): Promise<GrantRead | undefined> {
    const { link, names, edge } = this.opts.forwarder;
    const key = names.edgeIdGrant(edge);
    const [raw, pttl] = await Promise.all([link.client.get(key), link.client.pttl(key)]);
    if (raw === null) return undefined;
    const m = /^(\d{1,5}):(.+)$/.exec(raw);
    const id = m ? Number(m[1]) : NaN;
    if (!m || id > this.maxId) {
      this.opts.log.error(`edge id grant ${key}: expected "<id 0..${this.maxId}>:<session>", got ${JSON.stringify(raw.slice(0, 80))} (is the core's extranonce1 size the edges'?)`);
      return undefined;
    }
    // -1: no TTL (the core always sets one); -2: gone between the two reads.
    if (pttl === -2) return undefined;
    return { id, session: m[2]!, ttlMs: pttl < 0 ? this.ttlMs : pttl };
  }

  private take(g: GrantRead, sentAt: number): void {
    this.validUntil = sentAt + Math.min(this.ttlMs, g.ttlMs);
    this.change(g.id);
  }

  /** Leases an id (the edge's last one if free); throws when every id is held. */
  private async acquireSelf(): Promise<number> {
    const { client } = this.opts.forwarder.link;
    const names = this.opts.forwarder.names;
    const edge = this.opts.forwarder.edge;
    const remembered = await client.get(names.edgeIdByName(edge));
    const last = remembered === null ? -1 : Number(remembered);
    const order = Number.isInteger(last) && last >= 0 && last <= this.maxId ? [last] : [];
    for (let from = 0; from <= this.maxId; from += SCAN_CHUNK) {
      const ids = [...order.splice(0)];
      for (let id = from; id <= Math.min(from + SCAN_CHUNK - 1, this.maxId); id++) if (id !== last) ids.push(id);
      // Concurrent GETs (auto-pipelined, one key each: fine on Cluster) to skip held ids; SET NX decides.
      const holders = await Promise.all(ids.map((id) => client.get(names.edgeIdLease(id))));
      for (let i = 0; i < ids.length; i++) {
        if (holders[i] !== null) continue;
        const id = ids[i]!;
        const sentAt = this.now();
        if ((await client.set(names.edgeIdLease(id), this.owner, "PX", this.ttlMs, "NX")) !== "OK") continue;
        await client.set(names.edgeIdByName(edge), String(id), "EX", NAME_TTL_SECONDS);
        this.validUntil = sentAt + this.ttlMs;
        this.change(id);
        this.opts.log.info(`edge id ${id} leased (extranonce1 prefix ${this.hex(id)})`);
        return id;
      }
    }
    throw new RangeError(`edge id lease: expected a free id in 0..${this.maxId}, got all held`);
  }

  private hex(id: number): string {
    return id.toString(16).padStart(edgeIdBytes(this.opts.extranonce1Size) * 2, "0");
  }

  private change(id: number | undefined): void {
    const previous = this.current;
    this.current = id;
    if (id === previous) return;
    for (const fn of this.listeners) fn(id, previous);
  }
}
