/**
 * @module A block candidate checked against the job the core issued, before anything is submitted
 * or recorded (issue 20 §4): an edge's credentials must not be enough to send a coinserver a block,
 * or the accounting a finder, that no miner found.
 *
 * From the stored job alone (never from the candidate's own header or coinbase):
 *   coinbase = coinb1 ‖ extranonce1 ‖ extranonce2 ‖ coinb2        (extranonce sizes the job's)
 *   header   = version ‖ prevhash ‖ merkle root(coinbase, branch) ‖ ntime ‖ bits ‖ nonce
 * with version/ntime/nonce from the candidate. Both must equal the candidate's bytes exactly; the
 * header is hashed with the job's algorithm, the PoW hash and block id must be the ones claimed,
 * and every claim must hold: `main` → hash ≤ the target of the job's bits, each aux currency →
 * the job merges it and hash ≤ its target. The job's identity fields
 * (jobmanager, coin, currency, algo) must be the candidate's, since the block is recorded under them.
 *
 * Version-mask and ntime-window rules are left to the node: a header breaking them with a valid
 * PoW is still a block some miner really found, and the node's answer is recorded as it is.
 * Cost: two sha256d for the coinbase and branch, one PoW hash (microseconds for sha256d, about a
 * millisecond for scrypt), so it runs inline on the submission path.
 */
import {
  bitsToTarget,
  bytesToHex,
  bytesToRpcHex,
  coinbaseMerkleRootInto,
  concatBytes,
  equalBytes,
  HEADER_BYTES,
  hashMeetsTarget,
  hexToBytes,
  stratumPrevhashToBytes,
  targetToLE32,
  u32FromHex,
  writeHeaderInto,
} from "../../shared/bitcoin/index.ts";
import type { BlockCandidateV1 } from "../../shared/contract/index.ts";
import type { PowRegistry } from "../../shared/pow/index.ts";
import type { StoredJob } from "../jobs/index.ts";

/** What the check needs of the core's PoW registry (core/app.ts builds it from every configured algorithm). */
export type CandidatePow = Pick<PowRegistry, "get" | "blockHash">;

export type CandidateCheck =
  | { readonly ok: true }
  /** `detail`: what differed, one line, for the log and the edge's quarantine record. */
  | { readonly ok: false; readonly detail: string };

/** The check as BlockConsumer takes it. Throws only when the core cannot hash the job's algorithm (its own configuration). */
export type CandidateChecker = (c: BlockCandidateV1, stored: StoredJob) => CandidateCheck;

/** `switchers`: switcher key → its coins (`switchers.<key>.jobmanagers`); a switching port's candidates name the switcher. */
export function candidateChecker(pow: CandidatePow, switchers: Readonly<Record<string, readonly string[]>> = {}): CandidateChecker {
  return (c, stored) => checkCandidate(c, stored, pow, switchers);
}

const HEADER_FIELDS: readonly (readonly [string, number, number])[] = [
  ["version", 0, 4],
  ["previous block", 4, 36],
  ["merkle root", 36, 68],
  ["ntime", 68, 72],
  ["bits", 72, 76],
  ["nonce", 76, 80],
];

export function checkCandidate(c: BlockCandidateV1, s: StoredJob, pow: CandidatePow, switchers: Readonly<Record<string, readonly string[]>> = {}): CandidateCheck {
  const job = s.job;
  const fail = (detail: string): CandidateCheck => ({ ok: false, detail: `job ${job.id}: ${detail}` });
  const viaSwitcher = Object.hasOwn(switchers, c.jobmanager) && (switchers[c.jobmanager]?.includes(job.jobmanager) ?? false);
  if (c.jobmanager !== job.jobmanager && !viaSwitcher) return fail(`jobmanager "${c.jobmanager}" is neither the job's "${job.jobmanager}" nor a switcher of it`);
  for (const k of ["coin", "currency", "algo"] as const) if (c[k] !== job[k]) return fail(`${k} "${c[k]}" is not the job's "${job[k]}"`);

  const en1 = hexToBytes(c.extranonce1);
  const en2 = hexToBytes(c.extranonce2);
  if (en1.length !== job.extranonce1Size || en2.length !== job.extranonce2Size)
    return fail(`extranonces of ${en1.length}+${en2.length} bytes, the job's are ${job.extranonce1Size}+${job.extranonce2Size}`);
  const coinbase = concatBytes(s.coinb1, en1, en2, s.coinb2);
  const claimedCoinbase = hexToBytes(c.coinbase);
  if (!equalBytes(coinbase, claimedCoinbase))
    return fail(`coinbase (${claimedCoinbase.length} bytes) is not coinb1 ‖ extranonce1 ‖ extranonce2 ‖ coinb2 (${coinbase.length} bytes)`);

  const root = coinbaseMerkleRootInto(coinbase, s.branch, new Uint8Array(32));
  const header = writeHeaderInto(new Uint8Array(HEADER_BYTES), c.version, stratumPrevhashToBytes(job.prevhash), root, c.ntime, u32FromHex(job.bits), c.nonce);
  const claimedHeader = hexToBytes(c.header);
  if (!equalBytes(header, claimedHeader)) {
    const differ = HEADER_FIELDS.filter(([, a, b]) => !equalBytes(header.subarray(a, b), claimedHeader.subarray(a, b))).map(
      ([name, a, b]) => `${name} (rebuilt ${bytesToHex(header.subarray(a, b))}, claimed ${bytesToHex(claimedHeader.subarray(a, b))})`,
    );
    return fail(`header is not the one rebuilt from the job and the candidate's version/ntime/nonce: ${differ.join(", ")}`);
  }

  const hash = new Uint8Array(32);
  pow.get(job.algo).hasher.hashInto(header, hash);
  const powHash = bytesToRpcHex(hash);
  if (powHash !== c.powHash) return fail(`PoW hash (${job.algo}) is ${powHash}, the candidate claims ${c.powHash}`);
  const blockHash = bytesToRpcHex(pow.blockHash(job.algo, header, job.powBlockHash, hash));
  if (blockHash !== c.blockHash) return fail(`block hash is ${blockHash}, the candidate claims ${c.blockHash}`);

  if (c.main && !hashMeetsTarget(hash, targetToLE32(bitsToTarget(u32FromHex(job.bits))))) return fail(`claims a ${job.currency} block, but PoW hash ${powHash} is above the network target (bits ${job.bits})`);
  const seen = new Set<string>();
  for (const currency of c.aux) {
    if (seen.has(currency)) return fail(`claims aux ${currency} twice`);
    seen.add(currency);
    const aux = job.aux.find((a) => a.currency === currency);
    if (!aux) return fail(`claims an aux ${currency} block, but the job merges ${job.aux.map((a) => a.currency).join(", ") || "no aux chain"}`);
    // The parent's PoW hash, as the edge compares it with the aux targets (merged chains share the parent's algorithm).
    if (!hashMeetsTarget(hash, targetToLE32(BigInt(`0x${aux.target}`)))) return fail(`claims an aux ${currency} block, but PoW hash ${powHash} is above the aux target ${aux.target}`);
  }
  return { ok: true };
}
