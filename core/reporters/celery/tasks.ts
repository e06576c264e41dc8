/**
 * @module The four SimpleCoin 0.7 tasks PowerPool's CeleryReporter sent (spec §8.3), with the
 * original's argument shapes: `add_one_minute` and `add_block` all keyword arguments,
 * `add_share(address, shares)` and `agent_receive(address, worker, type, data, stamp)` positional.
 */
import type { AgentRecordV1 } from "../../../shared/contract/index.ts";
import type { BlockRecord } from "../../accounting/index.ts";
import type { SimpleCoinShareType } from "../../accounting/keys.ts";
import type { CeleryTask } from "./message.ts";

/** add_one_minute's keyword for each non-valid share type (valid ones go in `valid_shares`). */
const TYPED_KWARG: Record<Exclude<SimpleCoinShareType, "acc">, string> = { dup: "dup_shares", low: "low_diff_shares", stale: "stale_shares" };

/** `{user, worker, minute, valid_shares: 0}`, then the amount under its type's name. */
export function addOneMinuteTask(prefix: string, user: string, worker: string, minute: number, type: SimpleCoinShareType, amount: number): CeleryTask {
  const kwargs: Record<string, unknown> = { user, worker, minute, valid_shares: 0 };
  if (type === "acc") kwargs.valid_shares = amount;
  else kwargs[TYPED_KWARG[type]] = amount;
  return { name: `${prefix}.add_one_minute`, args: [], kwargs };
}

export function addShareTask(prefix: string, address: string, shares: number): CeleryTask {
  return { name: `${prefix}.add_share`, args: [address, shares], kwargs: {} };
}

/**
 * `add_block(user, height, total_value, transaction_fees, bits, hash_hex, merged, worker)`, all as
 * keywords like the original; `merged` is the aux currency for a merge-mined block, else null.
 */
export function addBlockTask(prefix: string, b: BlockRecord): CeleryTask {
  return {
    name: `${prefix}.add_block`,
    args: [],
    kwargs: {
      user: b.address,
      height: b.height,
      total_value: toNumber(b.totalSubsidy),
      transaction_fees: b.fees === null ? null : toNumber(b.fees),
      bits: b.merged ? b.hexBits.toUpperCase() : b.hexBits.toLowerCase(),
      hash_hex: b.hash,
      merged: b.merged ? b.currency : null,
      worker: b.worker,
    },
  };
}

export function agentReceiveTask(prefix: string, rec: AgentRecordV1): CeleryTask {
  return { name: `${prefix}.agent_receive`, args: [rec.address, rec.worker, rec.type, rec.data, rec.stamp], kwargs: {} };
}

/** Satoshi amounts fit a double exactly below 2^53 (90 million coins of 10^8 units). */
function toNumber(v: number | bigint): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new RangeError(`add_block: amount expected a safe integer of satoshis, got ${String(v)}`);
  return n;
}
