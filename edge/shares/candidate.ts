/**
 * @module A block candidate from a share whose PoW hash meets the network target or an aux target:
 * everything the core needs to rebuild and submit the block from its stored job (the coinbase
 * exactly as hashed and the 80-byte header). Rare, so it may allocate.
 */
import { bytesToHex, bytesToRpcHex, readU32LE, sha256d } from "../../shared/bitcoin/index.ts";
import type { BlockCandidateV1 } from "../../shared/contract/index.ts";
import type { PreparedJob } from "../jobs/index.ts";
import type { SubmitContext } from "../ports.ts";

export interface CandidateInput {
  readonly edge: string;
  readonly session: string;
  /** The winning share's record seq (the forwarder's numbering). */
  readonly shareSeq: number;
  readonly ctx: SubmitContext;
  /** The share's extranonce2 as lower-case hex. */
  readonly extranonce2: string;
  readonly job: PreparedJob;
  /** The 80 bytes hashed (version with rolled bits). */
  readonly header: Uint8Array;
  readonly powHash: Uint8Array;
  readonly main: boolean;
  readonly aux: readonly string[];
}

export function buildCandidate(c: CandidateInput): BlockCandidateV1 {
  const w = c.job.work;
  // Rewrite the slot: on the worker-hashed path another share may have used the job's buffer since.
  w.coinbase.set(c.ctx.extranonce1, w.slotOffset);
  const extranonce2 = c.extranonce2;
  w.coinbase.set(Buffer.from(extranonce2, "hex"), w.slotOffset + w.extranonce1Size);
  const powHash = bytesToRpcHex(c.powHash);
  return {
    v: 1,
    edge: c.edge,
    session: c.session,
    shareSeq: c.shareSeq,
    jobmanager: c.job.job.jobmanager,
    jobId: c.job.job.id,
    coin: c.job.job.coin,
    currency: c.job.job.currency,
    algo: c.job.job.algo,
    header: bytesToHex(c.header),
    coinbase: bytesToHex(w.coinbase),
    extranonce1: bytesToHex(c.ctx.extranonce1),
    extranonce2,
    ntime: readU32LE(c.header, 68),
    nonce: readU32LE(c.header, 76),
    version: readU32LE(c.header, 0),
    powHash,
    // PowerPool §3.4: the block id is the PoW hash on pow_block_hash coins, else sha256d(header).
    blockHash: c.job.job.powBlockHash ? powHash : bytesToRpcHex(sha256d(c.header)),
    main: c.main,
    aux: [...c.aux],
    address: c.ctx.address,
    worker: c.ctx.worker,
    difficulty: c.ctx.difficulty,
    receivedAt: c.ctx.receivedAt,
  };
}
