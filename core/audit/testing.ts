/**
 * @module Tests and the bench only: real jobs (core/jobs buildJob over a constructed template) and
 * genuine shares on them, ground the way an edge's miner would: the JS share kernel builds each
 * header from the job's packed work, the algorithm's hasher hashes it, until it meets a (low)
 * difficulty. Independent of verify.ts's own header rebuild, which the tests check against it.
 */
import { hashBelowTarget, difficultyToTarget, stratumPrevhashToBytes, targetToLE32, u32FromHex } from "../../shared/bitcoin/index.ts";
import { decodeShareBatch, ShareBatchWriter, ShareResult, type ShareBatch, type ShareProof, type ShareRecord } from "../../shared/contract/index.ts";
import { createJsShareKernel, DIFF1_SCRYPT, DIFF1_SHA256D, packShareWork } from "../../shared/pow/index.ts";
import { buildJob, jobSettings, parseTemplate, type StoredJob } from "../jobs/index.ts";
import { rawTemplate } from "../jobs/testing.ts";
import type { ProofHasher } from "./verify.ts";

const COINS = {
  sha256d: { key: "BTC", currency: "BTC", network: "bitcoin", pool_address: "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", diff1: DIFF1_SHA256D },
  scrypt: { key: "LTC", currency: "LTC", network: "litecoin", pool_address: "LYExXWEPs5oWjScR1fYzwSuo8DcQWNcHpF", diff1: DIFF1_SCRYPT },
} as const;

/** Difficulties at which about 1 hash in 16 passes: grinding takes a few dozen hashes. */
export const EASY_DIFFICULTY = { sha256d: 2 ** -28, scrypt: 2 ** -12 } as const;
/** A difficulty every hash meets (the target clamps to 2^256 − 1): any nonce is a genuine share. */
export const ANY_HASH_DIFFICULTY = 2 ** -48;

/** A real job of a sha256d (BTC) or scrypt (LTC) coin, as the core builds and archives it. */
export function auditTestJob(algo: "sha256d" | "scrypt", id: string, opts: { createdAt?: number; versionMask?: number; jobmanager?: string } = {}): StoredJob {
  const c = COINS[algo];
  const settings = jobSettings(
    { ...c, key: opts.jobmanager ?? c.key, algo, rules: ["segwit"], coinbase_tag: "/audit/", version_mask: opts.versionMask ?? 0x1fffe000, pow_block_hash: false },
    { extranonce_serv_size: 4, extranonce_size: 4 },
  );
  return buildJob(parseTemplate(rawTemplate()), settings, id, 0, undefined, opts.createdAt ?? Date.now()).stored;
}

export interface GrindOptions {
  readonly extranonce1: Uint8Array;
  readonly extranonce2: Uint8Array;
  readonly difficulty: number;
  readonly ntime?: number;
  /** The header version as hashed (default the job's). */
  readonly version?: number;
  readonly startNonce?: number;
}

/**
 * Headers of `stored` as an edge's miner hashes them (the JS share kernel over the job's packed
 * work): `header(proof)` returns the kernel's own buffer, overwritten by the next call.
 */
export function shareHeaders(stored: StoredJob): (p: ShareProof) => Uint8Array {
  const j = stored.job;
  const work = packShareWork({
    coinb1: stored.coinb1,
    coinb2: stored.coinb2,
    extranonce1Size: j.extranonce1Size,
    extranonce2Size: j.extranonce2Size,
    branch: stored.branch,
    prevHash: stratumPrevhashToBytes(j.prevhash),
    bits: u32FromHex(j.bits),
    networkTarget: targetToLE32(BigInt(`0x${j.target}`)),
    auxTargets: [],
  });
  const kernel = createJsShareKernel();
  return (p) => {
    kernel.slot.set(p.extranonce1, 0);
    kernel.slot.set(p.extranonce2, p.extranonce1.length);
    kernel.run(work, p.version, p.ntime, p.nonce, false);
    return kernel.header;
  };
}

/** The share target of `difficulty` on the job (little-endian, for hashBelowTarget). */
export function shareTarget(stored: StoredJob, difficulty: number): Uint8Array {
  return targetToLE32(difficultyToTarget(difficulty, BigInt(`0x${stored.job.diff1}`)));
}

/** The first nonce from `startNonce` whose header hash meets `difficulty` on the job, as a proof. */
export function grindProof(stored: StoredJob, hasher: ProofHasher, o: GrindOptions): ShareProof {
  const j = stored.job;
  const header = shareHeaders(stored);
  const target = shareTarget(stored, o.difficulty);
  const proof = { extranonce1: o.extranonce1.slice(), extranonce2: o.extranonce2.slice(), ntime: o.ntime ?? j.ntime, nonce: 0, version: o.version ?? j.version };
  const hash = new Uint8Array(32);
  const start = o.startNonce ?? 0;
  for (let nonce = start; nonce < start + 100_000; nonce++) {
    proof.nonce = nonce;
    hasher.hashInto(header(proof), hash, proof.ntime);
    if (hashBelowTarget(hash, target)) return proof;
  }
  throw new Error(`grindProof: no nonce from ${start} meets difficulty ${o.difficulty} on job ${j.id}`);
}

/** An accepted record of `stored` with `proof`, as an edge writes it. */
export function acceptedRecord(stored: StoredJob, seq: number, proof: ShareProof, difficulty: number, over: Partial<ShareRecord> = {}): ShareRecord {
  const j = stored.job;
  return {
    seq,
    result: ShareResult.acc,
    difficulty,
    time: Date.now(),
    jobmanager: j.jobmanager,
    jobId: j.id,
    currency: j.currency,
    algo: j.algo,
    port: "stratum",
    address: j.algo === "scrypt" ? "LYExXWEPs5oWjScR1fYzwSuo8DcQWNcHpF" : "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
    worker: "rig1",
    aux: [],
    ...proof,
    ...over,
  };
}

/** The batch an edge would send (encoded with the contract's writer, decoded as the gate does). */
export function batchOf(edge: string, session: string, records: readonly ShareRecord[], version: 1 | 2 = 2): ShareBatch {
  const w = new ShareBatchWriter(edge, session, version);
  for (const r of records) w.add(r);
  return decodeShareBatch(w.finish());
}

/** extranonce bytes from a number (4 bytes, big-endian), e.g. an edge's connection counter. */
export function en(n: number, size = 4): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = size - 1, v = n; i >= 0; i--, v = Math.floor(v / 256)) out[i] = v & 0xff;
  return out;
}
