/**
 * @module A job as the edge holds it: the contract message plus everything the share path and the
 * notify fan-out need, parsed once per job so that neither parses hex per share or per client.
 *
 * The coinbase buffer is `coinb1 ‖ [extranonce1 ‖ extranonce2] ‖ coinb2` with the outer parts filled
 * here; the share checker writes only the extranonce slot per share and hashes the whole buffer.
 * That is safe because checks run on one thread and each share's bytes are hashed before the next
 * share touches the slot (the worker-hashed path copies the 80-byte header first).
 */
import { hexToBytes, stratumPrevhashToBytes, targetToLE32, difficultyToTarget, u32FromHex, u32ToHex } from "../../shared/bitcoin/index.ts";
import type { JobV1 } from "../../shared/contract/index.ts";
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
}

export interface PreparedJob extends EdgeJob {
  readonly work: JobWork;
  /** Flush generation of its jobmanager when it arrived (a flush starts a new one). */
  readonly generation: number;
}

const encoder = new TextEncoder();

/** Parses a decoded job; throws RangeError on values the schema lets through but bytes cannot hold. */
export function prepareJob(job: JobV1, id: string, receivedAt: number, generation: number): PreparedJob {
  const coinb1 = hexToBytes(job.coinb1);
  const coinb2 = hexToBytes(job.coinb2);
  const slot = job.extranonce1Size + job.extranonce2Size;
  const coinbase = new Uint8Array(coinb1.length + slot + coinb2.length);
  coinbase.set(coinb1, 0);
  coinbase.set(coinb2, coinb1.length + slot);
  const diff1 = BigInt(`0x${job.diff1}`);
  if (diff1 === 0n) throw new RangeError(`job ${job.id}: expected diff1 > 0, got 0`);
  const targets = new Map<number, Uint8Array>();
  const aux = job.aux.map((a) => ({ currency: a.currency, target: targetToLE32(BigInt(`0x${a.target}`)), height: a.height }));
  const work: JobWork = {
    prevHash: stratumPrevhashToBytes(job.prevhash),
    branch: job.branch.map(hexToBytes),
    version: job.version,
    bits: u32FromHex(job.bits),
    coinbase,
    slotOffset: coinb1.length,
    extranonce1Size: job.extranonce1Size,
    extranonce2Size: job.extranonce2Size,
    networkTarget: targetToLE32(BigInt(`0x${job.target}`)),
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
  };
  // The notify params after the job id, identical for every client: built once.
  const middle = `","${job.prevhash}","${job.coinb1}","${job.coinb2}",[${job.branch.map((b) => `"${b}"`).join(",")}],"${u32ToHex(job.version)}","${job.bits}","${u32ToHex(job.ntime)}",`;
  const line = (jobId: string, clean: boolean) => encoder.encode(`{"params":["${jobId}${middle}${clean}],"id":null,"method":"mining.notify"}\n`);
  const clean = line(id, true);
  const push = line(id, false);
  return {
    job,
    id,
    receivedAt,
    generation,
    work,
    notifyLine: (c) => (c ? clean : push),
    notifyLineWithId: (jobId, c) => line(jobId, c),
  };
}
