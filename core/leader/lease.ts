/**
 * @module The leader lease (issue 16 §1): one key naming the active core and its epoch, with a TTL
 * the active core renews well inside. A core takes the lease only when it is absent (expired or
 * released), and every take INCRs the epoch counter — the fence every write of the core checks
 * (fence.ts) — so epochs only grow and a deposed core's epoch never matches again.
 *
 * Keys (core-only, under `redis.prefix`; the core's ACL user has `~*`): `core:leader` = "<id> <epoch>",
 * `core:epoch` (counter), `core:status:<id>` (each core's status, status.ts).
 */
import type Redis from "ioredis";

export interface LeaderKeys {
  readonly lease: string;
  readonly epoch: string;
  status(id: string): string;
  readonly statusPattern: string;
}

export function leaderKeys(prefix: string): LeaderKeys {
  return {
    lease: `${prefix}core:leader`,
    epoch: `${prefix}core:epoch`,
    status: (id) => `${prefix}core:status:${id}`,
    statusPattern: `${prefix}core:status:*`,
  };
}

/** Takes the lease if nobody holds it: {'acquired', epoch} or {'held', holder}. */
const ACQUIRE_LUA = `
local cur = redis.call('GET', KEYS[1])
if cur then return {'held', cur} end
local epoch = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. epoch, 'PX', ARGV[2])
return {'acquired', epoch}
`;
/** Extends the lease only if it is still ours (this id and epoch): 1, else 0. */
const RENEW_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
return 0
`;
const RELEASE_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

export type AcquireResult = { readonly kind: "acquired"; readonly epoch: number } | { readonly kind: "held"; readonly holder: string; readonly epoch: number };

export interface LeaseHolder {
  readonly id: string;
  readonly epoch: number;
}

/** Parses "<id> <epoch>" (ids have no spaces). */
export function parseLease(value: string): LeaseHolder | null {
  const m = /^(\S+) (\d+)$/.exec(value);
  return m ? { id: m[1]!, epoch: Number(m[2]) } : null;
}

export class LeaderLease {
  constructor(
    private readonly redis: Redis,
    readonly keys: LeaderKeys,
    readonly id: string,
    private readonly ttlMs: number,
  ) {
    if (/\s/.test(id)) throw new RangeError(`LeaderLease: expected an id without spaces, got ${JSON.stringify(id)}`);
  }

  async acquire(): Promise<AcquireResult> {
    const reply = (await this.redis.eval(ACQUIRE_LUA, 2, this.keys.lease, this.keys.epoch, this.id, this.ttlMs)) as unknown;
    if (!Array.isArray(reply)) throw new TypeError(`lease acquire: expected an array, got ${typeof reply}`);
    if (reply[0] === "acquired") return { kind: "acquired", epoch: Number(reply[1]) };
    const holder = parseLease(String(reply[1]));
    return { kind: "held", holder: holder?.id ?? String(reply[1]), epoch: holder?.epoch ?? 0 };
  }

  /** True while the lease is still this core's at `epoch`. */
  async renew(epoch: number): Promise<boolean> {
    return (await this.redis.eval(RENEW_LUA, 1, this.keys.lease, `${this.id} ${epoch}`, this.ttlMs)) === 1;
  }

  /** Gives the lease up at once (a clean stop), so a standby need not wait for the TTL. */
  async release(epoch: number): Promise<void> {
    await this.redis.eval(RELEASE_LUA, 1, this.keys.lease, `${this.id} ${epoch}`);
  }

  /** The current epoch counter (the fence). */
  async currentEpoch(): Promise<number | null> {
    const v = await this.redis.get(this.keys.epoch);
    return v === null ? null : Number(v);
  }

  async holder(): Promise<LeaseHolder | null> {
    const v = await this.redis.get(this.keys.lease);
    return v === null ? null : parseLease(v);
  }
}
