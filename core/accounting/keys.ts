/**
 * @module SimpleCoin's Redis keys and fields (spec §8.2), spelled in this one place. They are not
 * prefixed: SimpleCoin reads them by these exact names. `rejected_block_<hash>` is ours (spec §15
 * item 13 fix) and deliberately outside SimpleCoin's `unproc_block_*` namespace.
 */

/** SimpleCoin's share types; `invalid` shares are counted in stats only. */
export type SimpleCoinShareType = "acc" | "dup" | "low" | "stale";

/** The live share total of one currency since its last block: field `chain_<N>_shares` per chain. */
export const currentBlockKey = (currency: string, algo: string): string => `current_block_${currency}_${algo}`;
export const chainSharesField = (chain: number | string): string => `chain_${chain}_shares`;
/** The live slice: one `"<address>:<difficulty>"` entry per valid share. */
export const chainSliceKey = (chain: number | string): string => `chain_${chain}_slice`;

/** One-minute aggregate; `stamp` is the minute start in whole Unix seconds. */
export const minuteKey = (type: SimpleCoinShareType, algo: string, stamp: number): string => `min_${type}_${algo}_${stamp}`;
/** The field keeps its dot even for an empty worker (`Lxxx.`): SimpleCoin splits it on `.`. */
export const minuteField = (user: string, worker: string): string => `${user}.${worker}`;
/** Minute start of a share time given in ms. */
export const minuteStamp = (timeMs: number): number => Math.floor(timeMs / 60_000) * 60;

export const unprocBlockKey = (hashHex: string): string => `unproc_block_${hashHex}`;
export const rejectedBlockKey = (hashHex: string): string => `rejected_block_${hashHex}`;

/** PPAgent series: `<type>_<minute stamp>` hashes with `<address>_<worker>_<index>` fields. */
export const agentSeriesKey = (type: "hashrate" | "temp", stamp: string): string => `${type}_${stamp}`;
export const agentSeriesField = (address: string, worker: string, index: number): string => `${address}_${worker}_${index}`;
export const agentStatusKey = (address: string, worker: string): string => `status_${address}_${worker}`;
