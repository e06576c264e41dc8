/**
 * @module The edge id: a number leased from Redis that prefixes every extranonce1 this edge hands
 * out, so two edges never produce the same extranonce1 (PowerPool's collisions, spec §15 item 25).
 *
 *   lease  SET edgeIdLease(id) "<edge>:<session>" NX PX ttl   (the id from edgeIdByName(edge) first)
 *   renew  with each heartbeat, by script: extend if still ours; re-take if it expired and is free;
 *          otherwise it is lost
 *
 * An edge partitioned from Redis cannot renew. Once a TTL has passed since its last renewal, another
 * edge may hold the id, so `valid` turns false and the allocator refuses new connections until a
 * renewal succeeds. A renewal that finds another owner logs loudly, leases a fresh id for new
 * connections and tells the listeners (existing connections keep their extranonce1: the stratum
 * layer decides whether to drop them). The TTL is long (minutes) so that ordinary Redis outages
 * do not stop new connections; a restarted edge whose old lease has not expired yet gets another id.
 */
import type { Logger } from "../../shared/log.ts";
import type { Forwarder } from "./forwarder.ts";

export const DEFAULT_LEASE_TTL_MS = 10 * 60_000;
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

export interface EdgeIdLeaseOptions {
  readonly forwarder: Forwarder;
  readonly extranonce1Size: number;
  readonly log: Logger;
  readonly ttlMs?: number;
  readonly now?: () => number;
}

export class EdgeIdLease {
  private current: number | undefined;
  private renewedAt = -Infinity;
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

  /** True while the lease cannot have expired: renewed less than a TTL ago. */
  get valid(): boolean {
    return this.current !== undefined && this.now() - this.renewedAt < this.ttlMs;
  }

  onChange(fn: (id: number | undefined, previous: number | undefined) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Leases an id (the edge's last one if free); throws when Redis is unreachable or every id is held. */
  async acquire(): Promise<number> {
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
        this.renewedAt = sentAt;
        this.change(id);
        this.opts.log.info(`edge id ${id} leased (extranonce1 prefix ${id.toString(16).padStart(edgeIdBytes(this.opts.extranonce1Size) * 2, "0")})`);
        return id;
      }
    }
    throw new RangeError(`edge id lease: expected a free id in 0..${this.maxId}, got all held`);
  }

  /** Extends the lease (the heartbeat calls this); on loss leases a new id. Throws when Redis fails. */
  async renew(): Promise<"held" | "replaced" | "none"> {
    const id = this.current;
    if (id === undefined) {
      await this.acquire();
      return "replaced";
    }
    const sentAt = this.now();
    const { link, names } = this.opts.forwarder;
    const r = Number(await link.client.eval(RENEW_SCRIPT, 1, names.edgeIdLease(id), this.owner, this.ttlMs));
    if (r === 1 || r === 2) {
      this.renewedAt = sentAt;
      return "held";
    }
    const holder = await link.client.get(names.edgeIdLease(id));
    this.opts.log.error(`EDGE ID ${id} LOST to ${holder ?? "?"} (this edge could not renew it for its TTL): no new connections under it; existing connections keep extranonce1 values that may now collide with that edge's`);
    this.change(undefined);
    try {
      await this.acquire();
      return "replaced";
    } catch (e) {
      this.opts.log.error(`edge id lease: no replacement id: ${(e as Error).message}`);
      return "none";
    }
  }

  /** Gives the id back (clean shutdown) if it is still ours. */
  async release(): Promise<void> {
    const id = this.current;
    if (id === undefined) return;
    const { link, names } = this.opts.forwarder;
    await link.client.eval(RELEASE_SCRIPT, 1, names.edgeIdLease(id), this.owner);
    this.change(undefined);
  }

  private change(id: number | undefined): void {
    const previous = this.current;
    this.current = id;
    if (id === previous) return;
    for (const fn of this.listeners) fn(id, previous);
  }
}
