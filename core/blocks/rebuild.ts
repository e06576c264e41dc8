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
 * Checked before submitting, and reported (never silently fixed): the header's merkle root equals
 * the coinbase folded with the job's branch, the header builds on the job's previous block, and the
 * coinbase is the job's coinb1/coinb2 around an extranonce of the right size. The node stays the
 * judge: a block is submitted even when a check fails, since a wrong check must not cost a block.
 */
import {
  assembleBlockHex,
  bytesToRpcHex,
  coinbaseMerkleRootInto,
  equalBytes,
  hexToBytes,
  HEADER_BYTES,
  rpcHexToBytes,
  sha256d,
  withCoinbaseWitness,
} from "../../shared/bitcoin/index.ts";
import type { BlockCandidateV1 } from "../../shared/contract/index.ts";
import { mwebBlockSuffixHex, type StoredJob } from "../jobs/index.ts";

export interface RebuiltBlock {
  readonly hex: string;
  /** sha256d(header), display hex. */
  readonly headerHash: string;
  /** Failed checks, empty when the block is what the job says it should be. */
  readonly problems: readonly string[];
}

export function rebuildBlock(c: BlockCandidateV1, s: StoredJob): RebuiltBlock {
  const header = hexToBytes(c.header);
  if (header.length !== HEADER_BYTES) throw new RangeError(`rebuildBlock: expected an 80-byte header, got ${header.length} bytes`);
  const coinbase = hexToBytes(c.coinbase);
  const problems: string[] = [];

  const extranonceSize = s.job.extranonce1Size + s.job.extranonce2Size;
  const expectedLength = s.coinb1.length + extranonceSize + s.coinb2.length;
  if (
    coinbase.length !== expectedLength ||
    !equalBytes(coinbase.subarray(0, s.coinb1.length), s.coinb1) ||
    !equalBytes(coinbase.subarray(coinbase.length - s.coinb2.length), s.coinb2)
  )
    problems.push(`coinbase: expected coinb1 ‖ ${extranonceSize}-byte extranonce ‖ coinb2 of job ${s.job.id} (${expectedLength} bytes), got ${coinbase.length} bytes that differ`);

  const root = coinbaseMerkleRootInto(coinbase, s.branch, new Uint8Array(32));
  if (!equalBytes(root, header.subarray(36, 68)))
    problems.push(`merkle root: expected ${bytesToRpcHex(root)} from the coinbase and branch, got ${bytesToRpcHex(header.subarray(36, 68))} in the header`);

  if (!equalBytes(header.subarray(4, 36), rpcHexToBytes(s.previousblockhash)))
    problems.push(`previous block: expected ${s.previousblockhash}, got ${bytesToRpcHex(header.subarray(4, 36))} in the header`);

  const blockCoinbase = s.segwitActive ? withCoinbaseWitness(coinbase) : coinbase;
  const hex = assembleBlockHex(header, blockCoinbase, s.txDataHex) + mwebBlockSuffixHex(s.mweb);
  return { hex, headerHash: bytesToRpcHex(sha256d(header)), problems };
}
