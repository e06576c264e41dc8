/**
 * @module Candidate + stored job → the block for submitblock (spec §5.9 step 1).
 *
 *   header (80, from the candidate, as the miner hashed it)
 *   varint(1 + n)
 *   coinbase: the candidate's bytes (coinb1 ‖ extranonce1 ‖ extranonce2 ‖ coinb2), plus the BIP141
 *             witness reserved value (BIP144 serialization) when the job's template had segwit active
 *   the template's n transactions, raw, in template order
 *   [Litecoin MWEB: 01 ‖ the template's mweb block — core/jobs/mweb.ts]
 *
 * Only assembles: the candidate was checked against the job first (verify.ts), and one that does
 * not match it never gets here.
 */
import { assembleBlockHex, bytesToRpcHex, hexToBytes, HEADER_BYTES, sha256d, withCoinbaseWitness } from "../../shared/bitcoin/index.ts";
import type { BlockCandidateV1 } from "../../shared/contract/index.ts";
import { mwebBlockSuffixHex, type StoredJob } from "../jobs/index.ts";

export interface RebuiltBlock {
  readonly hex: string;
  /** sha256d(header), display hex. */
  readonly headerHash: string;
}

export function rebuildBlock(c: BlockCandidateV1, s: StoredJob): RebuiltBlock {
  const header = hexToBytes(c.header);
  if (header.length !== HEADER_BYTES) throw new RangeError(`rebuildBlock: expected an 80-byte header, got ${header.length} bytes`);
  const coinbase = hexToBytes(c.coinbase);
  const blockCoinbase = s.segwitActive ? withCoinbaseWitness(coinbase) : coinbase;
  const hex = assembleBlockHex(header, blockCoinbase, s.txDataHex) + mwebBlockSuffixHex(s.mweb);
  return { hex, headerHash: bytesToRpcHex(sha256d(header)) };
}
