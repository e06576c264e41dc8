/**
 * @module Re-checking one share from its proof against the job the core issued: the same steps and
 * the same rules as the edge's share check (edge/shares/checker.ts), so an honest edge's accepted
 * share always passes here and an invented one cannot.
 *
 *   coinbase = coinb1 ‖ extranonce1 ‖ extranonce2 ‖ coinb2   (sizes must be the job's)
 *   root     = the coinbase's sha256d folded with the job's merkle branch
 *   header   = version ‖ job prevhash ‖ root ‖ ntime ‖ job bits ‖ nonce
 *   passes   ⇔ PoW(header) < floor(diff1 / difficulty)       (strict, as SHARE_FLAG.passes)
 *
 * Pure: no Redis, no clock. The auditor (auditor.ts) and the block consumer (core/blocks) call it.
 */
import {
  bytesToRpcHex,
  coinbaseMerkleRootInto,
  concatBytes,
  difficultyToTarget,
  HEADER_BYTES,
  hashBelowTarget,
  stratumPrevhashToBytes,
  targetToLE32,
  u32FromHex,
  writeHeaderInto,
} from "../../shared/bitcoin/index.ts";
import type { ShareProof } from "../../shared/contract/index.ts";
import type { Hasher } from "../../shared/pow/index.ts";
import type { StoredJob } from "../jobs/index.ts";

/**
 * Latest ntime a share may carry, relative to the time the edge received it: Bitcoin's 2-hour
 * future limit. The edge's own constant is edge/shares/params.ts MAX_NTIME_AHEAD_SECONDS (the core
 * does not import edge code; verify.test.ts checks they agree).
 */
export const MAX_NTIME_AHEAD_SECONDS = 7200;

/** The PoW function of the job's algorithm (shared/pow's Hasher fits). */
export type ProofHasher = Pick<Hasher, "hashInto">;

/** Why a proof does not hold: `reason` is short and stable (metrics, logs), `detail` has the numbers. */
export interface ProofFailure {
  readonly reason: string;
  readonly detail: string;
}

const fail = (reason: string, detail: string): ProofFailure => ({ reason, detail });

/**
 * The 80-byte header the miner hashed, from the job and the proof. Throws RangeError when the
 * extranonces do not have the job's sizes (verifyShareProof checks that first).
 */
export function rebuildHeaderFromProof(job: StoredJob, proof: ShareProof): Uint8Array {
  const j = job.job;
  if (proof.extranonce1.length !== j.extranonce1Size || proof.extranonce2.length !== j.extranonce2Size) {
    throw new RangeError(
      `rebuildHeaderFromProof: expected extranonces of ${j.extranonce1Size} + ${j.extranonce2Size} bytes (job ${j.id}), got ${proof.extranonce1.length} + ${proof.extranonce2.length}`,
    );
  }
  const coinbase = concatBytes(job.coinb1, proof.extranonce1, proof.extranonce2, job.coinb2);
  const root = coinbaseMerkleRootInto(coinbase, job.branch, new Uint8Array(32));
  const header = new Uint8Array(HEADER_BYTES);
  return writeHeaderInto(header, proof.version >>> 0, stratumPrevhashToBytes(j.prevhash), root, proof.ntime >>> 0, u32FromHex(j.bits), proof.nonce >>> 0);
}

/**
 * Checks a share's proof against its job: undefined when the share is what an edge may accept at
 * `difficulty`, else why not. `receivedAtMs` is the time the edge stamped on the record: the edge
 * bounded ntime by its own clock, so the same bound is reproduced here (the accounting's record
 * check keeps record times within an hour of the core's clock).
 */
export function verifyShareProof(job: StoredJob, proof: ShareProof, difficulty: number, hasher: ProofHasher, receivedAtMs: number): ProofFailure | undefined {
  const bad = proofFitsJob(job, proof, difficulty, receivedAtMs);
  if (bad) return bad;
  const hash = new Uint8Array(32);
  hasher.hashInto(rebuildHeaderFromProof(job, proof), hash, proof.ntime >>> 0);
  return hashMeetsDifficulty(job, hash, difficulty);
}

/** verifyShareProof's checks before hashing (for a caller that hashes elsewhere, e.g. a worker pool). */
export function proofFitsJob(job: StoredJob, proof: ShareProof, difficulty: number, receivedAtMs: number): ProofFailure | undefined {
  const j = job.job;
  if (proof.extranonce1.length !== j.extranonce1Size)
    return fail("extranonce1 size", `job ${j.id} has ${j.extranonce1Size}-byte extranonce1, the proof ${proof.extranonce1.length} bytes`);
  if (proof.extranonce2.length !== j.extranonce2Size)
    return fail("extranonce2 size", `job ${j.id} has ${j.extranonce2Size}-byte extranonce2, the proof ${proof.extranonce2.length} bytes`);
  const latest = Math.floor(receivedAtMs / 1000) + MAX_NTIME_AHEAD_SECONDS;
  if (proof.ntime < j.mintime || proof.ntime > latest) return fail("ntime out of range", `ntime ${proof.ntime} outside [${j.mintime} (job mintime), ${latest} (received + ${MAX_NTIME_AHEAD_SECONDS} s)]`);
  // The edge applies the miner's rolled bits only inside the job's mask (checker.ts): every other bit is the job's.
  const outside = ((proof.version ^ j.version) & ~j.versionMask) >>> 0;
  if (outside !== 0)
    return fail("version outside mask", `version 0x${hex32(proof.version)} differs from the job's 0x${hex32(j.version)} in bits 0x${hex32(outside)} outside its mask 0x${hex32(j.versionMask)}`);
  if (!(difficulty > 0) || !Number.isFinite(difficulty)) return fail("bad difficulty", `difficulty ${difficulty} is not a positive number`);
  return undefined;
}

/** verifyShareProof's last step: the PoW hash (internal order) is below floor(diff1 / difficulty), strictly. */
export function hashMeetsDifficulty(job: StoredJob, hash: Uint8Array, difficulty: number): ProofFailure | undefined {
  const j = job.job;
  const target = targetToLE32(difficultyToTarget(difficulty, BigInt(`0x${j.diff1}`)));
  if (!hashBelowTarget(hash, target)) return fail("hash above target", `${j.algo} hash ${bytesToRpcHex(hash)} does not meet difficulty ${difficulty} (target ${bytesToRpcHex(target)}) on job ${j.id}`);
  return undefined;
}

const hex32 = (n: number): string => (n >>> 0).toString(16).padStart(8, "0");
