/**
 * @module Tests only: an "edge-side" miner that works from nothing but the published JobV1, as an
 * edge and its miners would (coinb1 ‖ extranonce1 ‖ extranonce2 ‖ coinb2 → merkle root via the
 * branch → header from the notify fields → nonce grind), and sends the BlockCandidateV1 the way an
 * edge's forwarder does. It never touches the core's job store.
 */
import {
  bytesToHex,
  bytesToRpcHex,
  coinbaseMerkleRootInto,
  concatBytes,
  hashMeetsTarget,
  hexToBytes,
  sha256d,
  stratumPrevhashToBytes,
  targetToLE32,
  u32FromHex,
  writeHeaderInto,
} from "../../shared/bitcoin/index.ts";
import { candidateCodec, contractNames, jobCodec, MESSAGE_FIELD, type BlockCandidateV1, type JobV1 } from "../../shared/contract/index.ts";
import type { RedisClient } from "../../shared/redis.ts";

/** The newest job on a jobmanager's stream, decoded with the contract codec (what an edge reads). */
export async function readLatestJob(redis: RedisClient, prefix: string, jobmanager: string): Promise<JobV1> {
  const entries = (await redis.xrevrange(contractNames(prefix).jobStream(jobmanager), "+", "-", "COUNT", 1)) as [string, string[]][];
  const fields = entries[0]?.[1];
  const i = fields?.indexOf(MESSAGE_FIELD) ?? -1;
  if (!fields || i < 0) throw new Error(`readLatestJob: no job published for ${jobmanager}`);
  return jobCodec.decode(fields[i + 1]!);
}

export interface Solved {
  readonly header: Uint8Array;
  readonly coinbase: Uint8Array;
  /** sha256d of the header: the block id. */
  readonly hash: Uint8Array;
  /** The proof-of-work hash checked against the target (absent: the same as `hash`, sha256d coins). */
  readonly powHash?: Uint8Array;
  readonly nonce: number;
}

/**
 * Grinds nonces until sha256d(header) meets the job's target, or (with `miss`) until it does not:
 * at regtest difficulty about half of all nonces do either, so a few tries suffice.
 */
export function solveJob(
  job: JobV1,
  extranonce1: Uint8Array,
  extranonce2: Uint8Array,
  opts: {
    miss?: boolean;
    ntime?: number;
    /** PoW hash of a header (scrypt coins); default sha256d. */
    pow?: (header: Uint8Array) => Uint8Array;
    /** Instead of the job's target: the first nonce whose PoW hash (internal order) this accepts. */
    accept?: (powHash: Uint8Array) => boolean;
  } = {},
): Solved {
  if (extranonce1.length !== job.extranonce1Size || extranonce2.length !== job.extranonce2Size)
    throw new RangeError(`solveJob: expected extranonces of ${job.extranonce1Size}+${job.extranonce2Size} bytes, got ${extranonce1.length}+${extranonce2.length}`);
  const coinbase = concatBytes(hexToBytes(job.coinb1), extranonce1, extranonce2, hexToBytes(job.coinb2));
  const root = coinbaseMerkleRootInto(coinbase, job.branch.map(hexToBytes), new Uint8Array(32));
  const prev = stratumPrevhashToBytes(job.prevhash);
  const target = targetToLE32(BigInt(`0x${job.target}`));
  const header = new Uint8Array(80);
  for (let nonce = 0; nonce < 10_000; nonce++) {
    writeHeaderInto(header, job.version, prev, root, opts.ntime ?? job.ntime, u32FromHex(job.bits), nonce);
    const hash = sha256d(header);
    const powHash = opts.pow ? opts.pow(header).slice() : hash;
    if (opts.accept ? opts.accept(powHash) : hashMeetsTarget(powHash, target) !== (opts.miss ?? false)) return { header: header.slice(), coinbase, hash, powHash, nonce };
  }
  throw new Error(`solveJob: no nonce in 10000 ${opts.accept ? "is accepted" : opts.miss ? "misses" : "meets"} target ${job.target}`);
}

export function candidateFor(job: JobV1, s: Solved, extranonce1: Uint8Array, extranonce2: Uint8Array, who: { address: string; worker?: string; edge?: string; session?: string; shareSeq?: number }): BlockCandidateV1 {
  const hash = bytesToRpcHex(s.hash);
  const powHash = bytesToRpcHex(s.powHash ?? s.hash);
  return {
    v: 1,
    edge: who.edge ?? "test-edge",
    session: who.session ?? "0000abcd",
    shareSeq: who.shareSeq ?? 1,
    jobmanager: job.jobmanager,
    jobId: job.id,
    coin: job.coin,
    currency: job.currency,
    algo: job.algo,
    header: bytesToHex(s.header),
    coinbase: bytesToHex(s.coinbase),
    extranonce1: bytesToHex(extranonce1),
    extranonce2: bytesToHex(extranonce2),
    // As hashed: the header's own fields (a solve may roll ntime).
    ntime: new DataView(s.header.buffer, s.header.byteOffset).getUint32(68, true),
    nonce: s.nonce,
    version: new DataView(s.header.buffer, s.header.byteOffset).getUint32(0, true),
    powHash,
    blockHash: hash,
    main: true,
    aux: [],
    address: who.address,
    worker: who.worker ?? "rig1",
    difficulty: 1,
    receivedAt: Date.now(),
  };
}

/** XADD to the v1 candidate stream, or with `edge` to that edge's own (v2), as an edge's forwarder does; returns the entry id. */
export async function sendCandidate(redis: RedisClient, prefix: string, c: BlockCandidateV1 | string, edge?: string): Promise<string> {
  const encoded = typeof c === "string" ? c : candidateCodec.encode(c);
  const names = contractNames(prefix);
  return (await redis.xadd(edge === undefined ? names.candidateStream : names.edgeStream("candidates", edge), "*", MESSAGE_FIELD, encoded)) as string;
}
