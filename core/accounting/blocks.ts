/**
 * @module Found blocks in SimpleCoin's format (spec §8.2 (c)), for block submission to call.
 *
 * Accepted: one script renames `current_block_<cur>_<algo>` to `unproc_block_<hash>`, starts a
 * fresh current block, rotates every chain's live slice (`chain_<id>_slice` →
 * `chain_<id>_slice_<idx>`) and writes the block's fields — PowerPool did the HMSET as a second,
 * separately queued step; here both are one atomic unit, so no unproc_block is ever left without
 * its address. Recording the same hash twice is a no-op (the rotation runs once).
 *
 * Rejected (spec §15 item 13 fix): written to `rejected_block_<hash>` with the reason, no rotation,
 * so the miners' shares stay in the live slice for the next real block.
 *
 * The rotation builds `chain_<id>_slice*` keys inside the script from the current block's fields,
 * as PowerPool's did: they cannot be declared in KEYS up front, one more reason the accounting
 * Redis is a single primary.
 */
import type Redis from "ioredis";
import { currentBlockKey, rejectedBlockKey, unprocBlockKey } from "./keys.ts";
import { pyFloatRepr, pyNumber, pyStr } from "./py-format.ts";
import { fencedTx } from "../leader/fence.ts";
import { defineScript } from "./scripts.ts";

export interface BlockRecord {
  readonly currency: string;
  /** The job's algorithm name. */
  readonly algo: string;
  /** Block hash, display-order hex. */
  readonly hash: string;
  readonly height: number;
  readonly address: string;
  readonly worker: string;
  /** Satoshis (coinbasevalue). */
  readonly totalSubsidy: number | bigint;
  /** Satoshis; null for aux blocks (written as `None`). */
  readonly fees: number | bigint | null;
  /** `bits` as hex; written lower-case for main chains, upper-case for aux (merged) blocks. */
  readonly hexBits: string;
  readonly merged: boolean;
  readonly accepted: boolean;
  readonly rejectReason?: string;
}

export type RecordBlockResult =
  /** Accepted and rotated; `solveIndexes` maps each chain id to its `chain_<id>_solve_index`. */
  | { readonly kind: "recorded"; readonly key: string; readonly solveIndexes: Readonly<Record<string, number>> }
  /** `unproc_block_<hash>` already existed (a retried call): nothing changed. */
  | { readonly kind: "already-recorded"; readonly key: string }
  | { readonly kind: "rejected-recorded"; readonly key: string }
  /** Redis refused (a key of the wrong type, a command error); nothing was written. */
  | { readonly kind: "failed"; readonly error: string };

const ROTATE_LUA = `
if redis.call('EXISTS', KEYS[2]) == 1 then return {'exists'} end
local t = redis.call('TYPE', KEYS[1])['ok']
if t ~= 'none' and t ~= 'hash' then return {'badkey', KEYS[1] .. ' has type ' .. t} end
local fields = redis.call('HKEYS', KEYS[1])
local ids = {}
for _, f in ipairs(fields) do
  local id = string.match(f, '^chain_(%w+)_shares$')
  if id then
    local idxKey = 'chain_' .. id .. '_slice_index'
    local kt = redis.call('TYPE', idxKey)['ok']
    if kt ~= 'none' and not (kt == 'string' and tonumber(redis.call('GET', idxKey))) then return {'badkey', idxKey .. ' is not a counter'} end
    ids[#ids + 1] = id
  end
end
redis.call('HSET', KEYS[1], 'solve_time', ARGV[1])
redis.call('RENAME', KEYS[1], KEYS[2])
redis.call('HSET', KEYS[1], 'start_time', ARGV[1])
local out = {'ok'}
for _, id in ipairs(ids) do
  local idx = redis.call('INCR', 'chain_' .. id .. '_slice_index')
  redis.call('HSET', KEYS[1], 'chain_' .. id .. '_start_index', idx)
  -- A missing live slice or an existing target is not an error (PowerPool ignored both).
  redis.pcall('RENAMENX', 'chain_' .. id .. '_slice', 'chain_' .. id .. '_slice_' .. idx)
  redis.call('HSET', KEYS[2], 'chain_' .. id .. '_solve_index', idx)
  out[#out + 1] = id .. ':' .. idx
end
redis.call('HSET', KEYS[2], unpack(ARGV, 2))
return out
`;

export type BlockRecorder = (block: BlockRecord, nowMs?: number) => Promise<RecordBlockResult>;

export function createBlockRecorder(redis: Redis): BlockRecorder {
  const rotate = defineScript(redis, "ppRotateBlock", ROTATE_LUA);
  return async (block, nowMs = Date.now()) => {
    checkBlock(block);
    const now = pyFloatRepr(nowMs / 1000);
    const fields = blockFields(block);
    try {
      if (!block.accepted) {
        const key = rejectedBlockKey(block.hash);
        const [err] = (await fencedTx(redis).call("HSET", key, ...fields, "reject_reason", block.rejectReason ?? "None", "time", now).exec())?.[0] ?? [null];
        if (err) throw err;
        return { kind: "rejected-recorded", key };
      }
      const key = unprocBlockKey(block.hash);
      const reply = await rotate([currentBlockKey(block.currency, block.algo), key], [now, ...fields]);
      if (!Array.isArray(reply)) return { kind: "failed", error: `rotation: expected an array, got ${JSON.stringify(reply)}` };
      if (reply[0] === "exists") return { kind: "already-recorded", key };
      if (reply[0] === "badkey") return { kind: "failed", error: String(reply[1]) };
      const solveIndexes: Record<string, number> = {};
      for (const pair of reply.slice(1)) {
        const [id = "", idx = ""] = String(pair).split(":");
        solveIndexes[id] = Number(idx);
      }
      return { kind: "recorded", key, solveIndexes };
    } catch (e) {
      return { kind: "failed", error: e instanceof Error ? e.message : String(e) };
    }
  };
}

/** The HMSET fields of spec §8.2 (c) step 2, in PowerPool's value formats. */
function blockFields(b: BlockRecord): string[] {
  return [
    "address", b.address,
    "worker", b.worker,
    "height", pyNumber(b.height),
    "total_subsidy", pyNumber(b.totalSubsidy),
    "fees", pyStr(b.fees),
    "hex_bits", b.merged ? b.hexBits.toUpperCase() : b.hexBits.toLowerCase(),
    "hash", b.hash,
    "currency", b.currency,
    "algo", b.algo,
    "merged", b.merged ? "1" : "0",
  ]; // prettier-ignore
}

function checkBlock(b: BlockRecord): void {
  if (!/^[0-9a-fA-F]{1,128}$/.test(b.hash)) throw new RangeError(`recordBlock: hash expected hex, got ${JSON.stringify(b.hash)}`);
  if (!/^[A-Za-z0-9]+$/.test(b.currency)) throw new RangeError(`recordBlock: currency expected letters and digits, got ${JSON.stringify(b.currency)}`);
  if (!/^[A-Za-z0-9]+$/.test(b.algo)) throw new RangeError(`recordBlock: algo expected letters and digits, got ${JSON.stringify(b.algo)}`);
  if (!Number.isSafeInteger(b.height) || b.height < 0) throw new RangeError(`recordBlock: height expected a non-negative integer, got ${b.height}`);
  if (!/^[0-9a-fA-F]{8}$/.test(b.hexBits)) throw new RangeError(`recordBlock: hexBits expected 8 hex digits, got ${JSON.stringify(b.hexBits)}`);
}
