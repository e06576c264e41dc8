/**
 * @module A share's header rebuilt from its job and its record's proof (contract v2), as the core's
 * audit does: coinbase = coinb1 ‖ extranonce1 ‖ extranonce2 ‖ coinb2, its merkle root with the
 * job's branch, then the header from the proof's version, ntime and nonce — shared/bitcoin only,
 * none of the edge's share-check code. Extranonce lengths other than the job's throw.
 */
import { coinbaseMerkleRootInto, concatBytes, hexToBytes, stratumPrevhashToBytes, u32FromHex, writeHeaderInto } from "../../shared/bitcoin/index.ts";
import type { JobV1, ShareProof } from "../../shared/contract/index.ts";

export function headerFromProof(job: JobV1, p: ShareProof): Uint8Array {
  if (p.extranonce1.length !== job.extranonce1Size || p.extranonce2.length !== job.extranonce2Size) {
    throw new RangeError(`headerFromProof: expected extranonces of ${job.extranonce1Size} + ${job.extranonce2Size} bytes, got ${p.extranonce1.length} + ${p.extranonce2.length}`);
  }
  const coinbase = concatBytes(hexToBytes(job.coinb1), p.extranonce1, p.extranonce2, hexToBytes(job.coinb2));
  const root = coinbaseMerkleRootInto(coinbase, job.branch.map(hexToBytes), new Uint8Array(32));
  return writeHeaderInto(new Uint8Array(80), p.version, stratumPrevhashToBytes(job.prevhash), root, p.ntime, u32FromHex(job.bits), p.nonce);
}
