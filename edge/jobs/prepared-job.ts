/**
 * @module A job as the edge holds it: the contract message plus everything the share path and the
 * notify fan-out need, parsed once per job so that neither parses hex per share or per client.
 *
 * The job's hashing inputs are packed once into one buffer for the share kernel (shared/pow's
 * `packShareWork`: one FFI call per share reads it whole); the byte fields below are views into it.
 * The coinbase is `coinb1 ‖ [extranonce1 ‖ extranonce2] ‖ coinb2` with the outer parts filled here;
 * the kernel writes only the extranonce slot per share and hashes the whole buffer. That is safe
 * because checks run on one thread and each share's bytes are hashed before the next share touches
 * the slot (the worker-hashed path copies the 80-byte header first).
 */
import { hexToBytes, stratumPrevhashToBytes, targetToLE32, difficultyToTarget, u32FromHex, u32ToHex } from "../../shared/bitcoin/index.ts";
import type { JobV1 } from "../../shared/contract/index.ts";
import { packShareWork, type ShareWork } from "../../shared/pow/index.ts";
import type { EdgeJob } from "../ports.ts";

/** Share targets cached per job: vardiff tiers are few; password difficulties could be many, so cap it. */
const MAX_CACHED_TARGETS = 64;

export interface AuxWork {
  readonly currency: string;
  /** Little-endian 32 bytes, the form `hashMeetsTarget` takes. */
  readonly target: Uint8Array;
  readonly height: number;
}

/** The parsed bytes of a job the share path uses. */
export interface JobWork {
  readonly prevHash: Uint8Array;
  readonly branch: readonly Uint8Array[];
  readonly version: number;
  readonly bits: number;
  /** coinb1 ‖ extranonce slot ‖ coinb2; the slot is overwritten per share. */
  readonly coinbase: Uint8Array;
  readonly slotOffset: number;
  readonly extranonce1Size: number;
  readonly extranonce2Size: number;
  /** Network target, little-endian 32 bytes. */
  readonly networkTarget: Uint8Array;
  readonly aux: readonly AuxWork[];
  /** The aux currencies, for share records (one array per job, not per share). */
  readonly auxCurrencies: readonly string[];
  readonly diff1: bigint;
  /** floor(diff1 / difficulty) as little-endian 32 bytes, cached per difficulty. */
  shareTarget(difficulty: number): Uint8Array;
  /** The packed form the share kernel hashes; the byte fields above are views into it. */
  readonly share: ShareWork;
}

export interface PreparedJob extends EdgeJob {
  readonly work: JobWork;
  /** Flush generation of its jobmanager when it arrived (a flush starts a new one). */
  readonly generation: number;
}

const encoder = new TextEncoder();
/** What every notify line starts with, before the job id. */
const NOTIFY_HEAD = `{"params":["`;
const NOTIFY_HEAD_BYTES = encoder.encode(NOTIFY_HEAD);

/** Parses a decoded job; throws RangeError on values the schema lets through but bytes cannot hold. */
export function prepareJob(job: JobV1, id: string, receivedAt: number, generation: number): PreparedJob {
  const diff1 = BigInt(`0x${job.diff1}`);
  if (diff1 === 0n) throw new RangeError(`job ${job.id}: expected diff1 > 0, got 0`);
  const share = packShareWork({
    coinb1: hexToBytes(job.coinb1),
    coinb2: hexToBytes(job.coinb2),
    extranonce1Size: job.extranonce1Size,
    extranonce2Size: job.extranonce2Size,
    branch: job.branch.map(hexToBytes),
    prevHash: stratumPrevhashToBytes(job.prevhash),
    bits: u32FromHex(job.bits),
    networkTarget: targetToLE32(BigInt(`0x${job.target}`)),
    auxTargets: job.aux.map((a) => targetToLE32(BigInt(`0x${a.target}`))),
  });
  const targets = new Map<number, Uint8Array>();
  const aux = job.aux.map((a, i) => ({ currency: a.currency, target: share.auxTargets[i]!, height: a.height }));
  const work: JobWork = {
    prevHash: share.prevHash,
    branch: share.branch,
    version: job.version,
    bits: share.bits,
    coinbase: share.coinbase,
    slotOffset: share.slotOffset,
    extranonce1Size: job.extranonce1Size,
    extranonce2Size: job.extranonce2Size,
    networkTarget: share.networkTarget,
    aux,
    auxCurrencies: aux.map((a) => a.currency),
    diff1,
    shareTarget(difficulty) {
      let t = targets.get(difficulty);
      if (t === undefined) {
        if (targets.size >= MAX_CACHED_TARGETS) targets.clear();
        t = targetToLE32(difficultyToTarget(difficulty, diff1));
        targets.set(difficulty, t);
      }
      return t;
    },
    share,
  };
  // The notify params after the job id, identical for every client: built once.
  const middle = `","${job.prevhash}","${job.coinb1}","${job.coinb2}",[${job.branch.map((b) => `"${b}"`).join(",")}],"${u32ToHex(job.version)}","${job.bits}","${u32ToHex(job.ntime)}",`;
  const line = (jobId: string, clean: boolean) => encoder.encode(`${NOTIFY_HEAD}${jobId}${middle}${clean}],"id":null,"method":"mining.notify"}\n`);
  const clean = line(id, true);
  const push = line(id, false);
  // A per-client re-push id goes between the shared head and tails: one copy, no string of the whole line.
  const tailClean = clean.slice(NOTIFY_HEAD_BYTES.length + id.length);
  const tailPush = push.slice(NOTIFY_HEAD_BYTES.length + id.length);
  const withId = (jobId: string, c: boolean): Uint8Array => {
    const tail = c ? tailClean : tailPush;
    const at = NOTIFY_HEAD_BYTES.length;
    const out = new Uint8Array(at + jobId.length + tail.length);
    out.set(NOTIFY_HEAD_BYTES);
    for (let i = 0; i < jobId.length; i++) {
      const ch = jobId.charCodeAt(i);
      if (ch > 0x7e || ch < 0x20) return line(jobId, c); // not printable ASCII: never an id of ours
      out[at + i] = ch;
    }
    out.set(tail, at + jobId.length);
    return out;
  };
  return {
    job,
    id,
    receivedAt,
    generation,
    work,
    notifyLine: (c) => (c ? clean : push),
    notifyLineWithId: withId,
  };
}
