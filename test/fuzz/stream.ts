/**
 * @module Fuzzing what the core reads from its streams, against a real redis-server: binary share
 * batches (truncated, wrong magic or version, absurd counts, non-finite numbers, invalid UTF-8,
 * oversized strings, random bytes, records that fail the per-record check) and block candidates
 * (damaged JSON, hostile values), mixed with valid entries. The core's ingest and block consumer
 * must keep running and drain both streams, the accounting must change by exactly the valid
 * records, and exactly the valid candidates must reach the submitter.
 */
import Redis from "ioredis";
import { createAccounting } from "../../core/accounting/index.ts";
import { BlockConsumer } from "../../core/blocks/consumer.ts";
import type { BlockSubmitter } from "../../core/blocks/submitter.ts";
import { startIngest } from "../../core/ingest/index.ts";
import { ADDR_A, ADDR_B, drained, encodeBatch, expectedTotals, forgedBatch, quietLogger, share, T0, testSettings, totals, waitFor } from "../../core/ingest/testing.ts";
import { candidateCodec, contractNames, MESSAGE_FIELD, ShareResult, type BlockCandidateV1, type ShareRecordV1 } from "../../shared/contract/index.ts";
import { damage, hostileValue } from "./mutate.ts";
import type { Rng } from "./rng.ts";

export interface StreamFuzzResult {
  readonly shareEntries: number;
  readonly hostileShareEntries: number;
  readonly creditedRecords: number;
  readonly refusedRecords: number;
  readonly candidates: number;
  readonly hostileCandidates: number;
  /** Candidates that reached the submitter (valid ones, and mutated ones still valid). */
  readonly submitted: number;
  /** Empty when the accounting and the submitter saw exactly what they should. */
  readonly problems: string[];
}

const CANDIDATE: BlockCandidateV1 = {
  v: 1,
  edge: "eu1",
  session: "0000000a",
  shareSeq: 1,
  jobmanager: "LTC",
  jobId: "0000000a",
  coin: "LTC",
  currency: "LTC",
  algo: "scrypt",
  header: "00".repeat(80),
  coinbase: "00",
  extranonce1: "00000001",
  extranonce2: "00000000",
  ntime: 1,
  nonce: 2,
  version: 0x20000000,
  powHash: "00".repeat(32),
  blockHash: "11".repeat(32),
  main: true,
  aux: [],
  address: ADDR_A,
  worker: "rig1",
  difficulty: 128,
  receivedAt: T0,
};

/** The block hash of every mutated candidate: tells them from the valid ones at the submitter. */
const HOSTILE_HASH = "22".repeat(32);

/** A record the per-record check refuses, and why (for variety). */
function refused(r: Rng, seq: number): ShareRecordV1 {
  return share(seq, r.pick<Partial<ShareRecordV1>>([{ difficulty: 1e308 }, { difficulty: 1e300 }, { port: "nope" }, { currency: "current_block_x" }, { algo: "sha256d" }, { worker: "a:b" }, { worker: "a\nb" }, { address: "x" }, { time: T0 - 10 * 86_400_000 }, { time: T0 + 10 * 3_600_000 }, { aux: ["NMC"] }, { jobId: "" }, { jobmanager: "X" }]));
}

/** A share entry that is broken as a whole. */
function brokenBatch(r: Rng): Buffer {
  const good = encodeBatch("eu9", "0000abcd", [share(1), share(2, { worker: "é" })]);
  switch (r.int(9)) {
    case 0:
      return good.subarray(0, r.int(good.length)); // truncated
    case 1:
      return forgedBatch("eu9", "0000abcd", [share(1)], { magic: (0x54 + r.int(255)) % 256 }); // anything but 0x53
    case 2:
      return forgedBatch("eu9", "0000abcd", [share(1)], { version: r.pick([0, 2, 255]) });
    case 3:
      return forgedBatch("eu9", "0000abcd", [share(1)], { count: r.pick([2, 4096, 65535]) }); // absurd count
    case 4:
      return forgedBatch("eu9", "0000abcd", [share(1), share(2, r.pick<Partial<ShareRecordV1>>([{ difficulty: Infinity }, { difficulty: NaN }, { difficulty: -1 }, { time: NaN }, { time: -Infinity }, { seq: NaN }, { seq: 2 ** 60 }]))]);
    case 5: {
      const b = Buffer.from(good);
      b[b.length - 2] = 0xff; // invalid UTF-8 in the last string (the worker's é)
      return b;
    }
    case 6: {
      const b = Buffer.from(good);
      b[4] = 255; // the edge name claims 255 bytes
      return b;
    }
    case 7:
      return Buffer.from(r.bytes(r.int(200)));
    default:
      return Buffer.concat([good, Buffer.from(r.bytes(1 + r.int(10)))]); // trailing bytes
  }
}

function hostileCandidate(r: Rng): string {
  const text = candidateCodec.encode({ ...CANDIDATE, blockHash: HOSTILE_HASH });
  switch (r.int(4)) {
    case 0:
      return damage(r, text);
    case 1: {
      const keys = Object.keys(CANDIDATE);
      const k = r.pick(keys);
      return text.replace(new RegExp(`"${k}":("[^"]*"|[^,}]*)`), `"${k}":${hostileValue(r)}`);
    }
    case 2:
      return text.replace('"difficulty":128', r.pick(['"difficulty":1e400', '"difficulty":-1', '"difficulty":"Infinity"']));
    default:
      return text.replace(`"worker":"rig1"`, `"worker":${JSON.stringify("w".repeat(r.pick([65, 70_000])))}`);
  }
}

/** Feeds `entries` share entries and `entries / 4` candidates, interleaved; ~1/3 of each hostile. */
export async function runStreamFuzz(r: Rng, redisUrl: string, entries: number, prefix = "sf:"): Promise<StreamFuzzResult> {
  const names = contractNames(prefix);
  const client = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const log = quietLogger();
  const settings = testSettings(prefix);
  const ingest = startIngest({ redis: client, prefix, accounting: createAccounting(client, settings, log), log, consumer: "fuzz", tuning: { blockMs: 50, claimEveryMs: 100, tidyEveryMs: 0, count: 16 } });
  const submitted: BlockCandidateV1[] = [];
  // The stream's robustness is under test here, not the proof of work (core/blocks/verify.test.ts): every job is known and every candidate passes.
  const submitter = { job: async () => ({}), submit: async (c: BlockCandidateV1) => (submitted.push(c), null) } as unknown as BlockSubmitter;
  const blocks = new BlockConsumer({ redis: client, prefix, consumer: "fuzz", submitter: (coin) => (coin === "LTC" ? submitter : undefined), check: () => ({ ok: true }), log, blockMs: 50 });
  blocks.start();
  const credited: ShareRecordV1[] = [];
  let hostileShares = 0;
  let refusedRecords = 0;
  let candidates = 0;
  let hostileCandidates = 0;
  let validCandidates = 0;
  let seq = 0;
  const session = (1 + r.int(0xfffffff)).toString(16).padStart(8, "0");
  try {
    for (let i = 0; i < entries; i++) {
      let m: Buffer;
      const kind = r.int(3);
      if (kind === 0) {
        m = brokenBatch(r);
        hostileShares++;
      } else {
        // Valid records, with refused ones among them half the time.
        const recs: ShareRecordV1[] = [];
        for (let n = 1 + r.int(20); n > 0; n--) {
          seq++;
          if (kind === 2 && r.chance(0.3)) {
            recs.push(refused(r, seq));
            refusedRecords++;
          } else {
            const rec = share(seq, { result: r.pick([ShareResult.acc, ShareResult.acc, ShareResult.dup, ShareResult.low, ShareResult.stale, ShareResult.invalid]), difficulty: 1 + r.int(4096), time: T0 + r.int(3_000_000), address: r.chance(0.5) ? ADDR_A : ADDR_B, worker: r.pick(["", "rig1", "w-2", "[x]"]), aux: r.chance(0.3) ? ["DOGE"] : [] });
            recs.push(rec);
            credited.push(rec);
          }
        }
        m = forgedBatch("eu1", session, recs);
      }
      await client.xadd(names.verifiedShareStream, "*", MESSAGE_FIELD, m);
      if (r.chance(0.05)) await client.xadd(names.verifiedShareStream, "*", "not-m", "x");
      if (i % 4 === 0) {
        candidates++;
        if (r.chance(0.5)) {
          hostileCandidates++;
          await client.xadd(names.candidateStream, "*", MESSAGE_FIELD, r.chance(0.2) ? Buffer.from(r.bytes(50)) : hostileCandidate(r));
        } else {
          validCandidates++;
          await client.xadd(names.candidateStream, "*", MESSAGE_FIELD, candidateCodec.encode({ ...CANDIDATE, shareSeq: 1 + i, blockHash: (i + 1).toString(16).padStart(64, "0") }));
        }
      }
    }
    await waitFor("the share stream to drain", () => drained(client, names.verifiedShareStream, names.accountingGroup), 120_000);
    await waitFor("the candidate stream to drain", () => drained(client, names.candidateStream, names.blockGroup), 60_000);
    const problems: string[] = [];
    const got = normal(await totals(client));
    const want = normal(expectedTotals(credited));
    if (got !== want) problems.push(`accounting ${got} != valid records ${want}`);
    // Every valid candidate exactly once; a mutated one only if it is still a sane candidate
    // (a mutation may leave one valid: "difficulty":0.1 is a difficulty).
    const valid = submitted.filter((c) => c.blockHash !== HOSTILE_HASH);
    if (valid.length !== validCandidates || new Set(valid.map((c) => c.blockHash)).size !== validCandidates) problems.push(`${valid.length} valid candidates submitted, ${validCandidates} sent`);
    for (const c of submitted) {
      const insane = Object.entries(c).find(([, v]) => (typeof v === "number" && !Number.isFinite(v)) || (typeof v === "string" && v.length > 1000));
      if (insane || !(c.difficulty > 0) || c.worker.length > 64) problems.push(`a candidate reached the submitter with ${insane ? `${insane[0]}=${String(insane[1]).slice(0, 40)}` : `difficulty ${c.difficulty}, worker of ${c.worker.length}`}`);
    }
    if (ingest.status().shares.state !== "running") problems.push(`share consumer is ${ingest.status().shares.state}`);
    return { shareEntries: entries, hostileShareEntries: hostileShares, creditedRecords: credited.length, refusedRecords, candidates, hostileCandidates, submitted: submitted.length, problems };
  } finally {
    await blocks.stop();
    await ingest.stop();
    client.disconnect();
  }
}

/** Totals as comparable text (no round yet reads as "0"; minute types in name order). */
function normal(t: { chainShares: string | null; sliceCount: number; sliceSum: number; byType: Record<string, number> }): string {
  return JSON.stringify({ chainShares: t.chainShares ?? "0", sliceCount: t.sliceCount, sliceSum: t.sliceSum, byType: Object.entries(t.byType).sort(([a], [b]) => a.localeCompare(b)) });
}
