/**
 * @module A coin's job settings from the resolved config, checked once at start-up: the payout
 * script (any address type the network knows: P2PKH, P2SH, P2WPKH, P2WSH, P2TR — spec §15 item 6)
 * and the extranonce split the edges rely on.
 */
import { addressToScript } from "../../shared/bitcoin/index.ts";
import { coinNetwork } from "../../shared/config/addresses.ts";
import type { Config, ResolvedCoin } from "../../shared/config/load.ts";

/** The part of a coin's config the job builder reads. */
export type JobCoinConfig = Pick<
  ResolvedCoin,
  "key" | "currency" | "algo" | "network" | "pool_address" | "rules" | "coinbase_tag" | "version_mask" | "diff1" | "pow_block_hash"
>;

/** `pool.extranonce_serv_size` (edge id + connection, extranonce1) and `pool.extranonce_size` (the miner's extranonce2). */
export type ExtranonceConfig = Pick<Config["pool"], "extranonce_serv_size" | "extranonce_size">;

export interface JobSettings {
  /** The name jobs are published under (the coin key; a switcher later). */
  readonly jobmanager: string;
  readonly coin: string;
  readonly currency: string;
  readonly algo: string;
  readonly payoutScript: Uint8Array;
  readonly tag: string;
  readonly extranonce1Size: number;
  readonly extranonce2Size: number;
  readonly versionMask: number;
  readonly diff1: bigint;
  readonly powBlockHash: boolean;
  /** getblocktemplate rules, e.g. ["segwit"] or ["mweb", "segwit"]. */
  readonly rules: readonly string[];
}

/** Throws RangeError naming the coin when `pool_address` does not decode on the coin's network. */
export function jobSettings(coin: JobCoinConfig, pool: ExtranonceConfig): JobSettings {
  let payoutScript: Uint8Array;
  try {
    payoutScript = addressToScript(coin.pool_address, coinNetwork(coin.network));
  } catch (e) {
    throw new RangeError(`coins.${coin.key}.pool_address: expected an address of network ${JSON.stringify(coin.network)}, got ${coin.pool_address} (${(e as Error).message})`);
  }
  return {
    jobmanager: coin.key,
    coin: coin.key,
    currency: coin.currency,
    algo: coin.algo,
    payoutScript,
    tag: coin.coinbase_tag,
    extranonce1Size: pool.extranonce_serv_size,
    extranonce2Size: pool.extranonce_size,
    versionMask: coin.version_mask,
    diff1: coin.diff1,
    powBlockHash: coin.pow_block_hash,
    rules: coin.rules,
  };
}
