/**
 * The auditor on real components: jobs published (and archived) by the core's JobPublisher into a
 * private redis-server, shares ground on them, batches through the contract's writer and reader.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { EMPTY_PROOF, ShareResult, type ShareRecord } from "../../shared/contract/index.ts";
import { createPowPool, createPowRegistry, loadPowNative } from "../../shared/pow/index.ts";
import { captureLog } from "../../test/helpers/log-capture.ts";
import { startRedis, type PrivateRedis } from "../../test/helpers/redis.ts";
import { JobIdAllocator, JobPublisher, type StoredJob } from "../jobs/index.ts";
import { CoreShareAuditor } from "./auditor.ts";
import { ArchivedJobSource } from "./job-source.ts";
import { seededRandom } from "./sampler.ts";
import { acceptedRecord, ANY_HASH_DIFFICULTY, auditTestJob, batchOf, EASY_DIFFICULTY, en, grindProof } from "./testing.ts";

const PREFIX = "audit:";
const TTL = 15 * 60_000;
const registry = createPowRegistry(["sha256d", "scrypt"], loadPowNative());
const hasher = (algo: string) => (registry.has(algo) ? registry.get(algo).hasher : undefined);
const ids = new JobIdAllocator();
let redis: PrivateRedis;
const jobs: Record<"sha256d" | "scrypt", StoredJob> = { sha256d: auditTestJob("sha256d", ids.next()), scrypt: auditTestJob("scrypt", ids.next()) };

beforeAll(async () => {
  redis = await startRedis();
  const pub = new JobPublisher({ redis: redis.client, prefix: PREFIX, log: captureLog().log, archiveTtlMs: TTL });
  for (const s of Object.values(jobs)) expect(await pub.publish(s.job, s)).toBe(true);
  await pub.stop();
});
afterAll(async () => {
  await redis?.stop();
});

interface Opts {
  perHour?: number;
  minFraction?: number;
  seed?: number;
  now?: () => number;
  switchers?: Record<string, string[]>;
}

/** Audits every accepted record unless told otherwise (min_fraction 1). */
function auditor(o: Opts = {}) {
  const { log, lines } = captureLog();
  const a = new CoreShareAuditor({
    jobs: new ArchivedJobSource({ redis: redis.client, prefix: PREFIX, archiveTtlMs: TTL }),
    hasher,
    rate: () => ({ perHour: o.perHour ?? 0, minFraction: o.minFraction ?? 1 }),
    random: seededRandom(o.seed ?? 1),
    log,
    ...(o.now ? { now: o.now } : {}),
    ...(o.switchers ? { switchers: o.switchers } : {}),
  });
  return Object.assign(a, { lines });
}

/** `n` genuine shares of `algo` from one connection (extranonce1 `conn`), seqs from `from`. */
function genuine(algo: "sha256d" | "scrypt", n: number, from = 1, conn = 0x01020304): ShareRecord[] {
  const job = jobs[algo];
  const d = EASY_DIFFICULTY[algo];
  return Array.from({ length: n }, (_, i) => acceptedRecord(job, from + i, grindProof(job, hasher(algo)!, { extranonce1: en(conn), extranonce2: en(from + i), difficulty: d }), d));
}

for (const algo of ["sha256d", "scrypt"] as const) {
  describe(`${algo}: every record audited`, () => {
    const d = EASY_DIFFICULTY[algo];
    const job = jobs[algo];

    test("genuine shares pass, all of them re-hashed", async () => {
      const a = auditor();
      const recs = genuine(algo, 5);
      expect(await a.audit("eu1", batchOf("eu1", "0000000a", recs))).toEqual({ kind: "pass", audited: 5 });
      expect(a.edges().get("eu1")).toMatchObject({ accepted: 5, audited: 5, failed: 0, unverifiable: 0, duplicates: 0 });
      expect(a.edges().get("eu1")?.rates[algo]?.p).toBe(1);
    });

    test("a wrong nonce fails the batch at that record", async () => {
      const [good, bad] = genuine(algo, 2);
      let nonce = bad!.nonce + 1;
      const hashMisses = (n: number) => grindProof(job, hasher(algo)!, { extranonce1: bad!.extranonce1, extranonce2: bad!.extranonce2, difficulty: d, startNonce: n }).nonce !== n;
      while (!hashMisses(nonce)) nonce++;
      const v = await auditor().audit("eu1", batchOf("eu1", "0000000a", [good!, { ...bad!, nonce }]));
      expect(v).toMatchObject({ kind: "fail", seq: 2, reason: "hash above target" });
    });

    test("an inflated difficulty fails", async () => {
      const [r] = genuine(algo, 1);
      expect(await auditor().audit("eu1", batchOf("eu1", "0000000a", [{ ...r!, difficulty: d * 2 ** 24 }]))).toMatchObject({ kind: "fail", seq: 1, reason: "hash above target" });
    });

    test("an extranonce of another size than the job's fails", async () => {
      const [r] = genuine(algo, 1);
      expect(await auditor().audit("eu1", batchOf("eu1", "0000000a", [{ ...r!, extranonce2: en(1, 6) }]))).toMatchObject({ kind: "fail", reason: "extranonce2 size" });
      expect(await auditor().audit("eu1", batchOf("eu1", "0000000a", [{ ...r!, extranonce1: en(1, 2) }]))).toMatchObject({ kind: "fail", reason: "extranonce1 size" });
    });

    test("another connection's extranonce1 swapped in fails", async () => {
      const recs = genuine(algo, 8);
      // Some genuine share of this set fails with en1 swapped (each does with probability 15/16).
      const swapped = recs.map((r) => ({ ...r, extranonce1: en(0x01020305) }));
      expect(await auditor().audit("eu1", batchOf("eu1", "0000000a", swapped))).toMatchObject({ kind: "fail", reason: "hash above target" });
    });
  });
}

test("scrypt through a hash worker pool: genuine shares pass, a wrong nonce fails", async () => {
  const pool = createPowPool({ algorithms: ["scrypt"], workers: 1 });
  try {
    await pool.ready;
    const a = new CoreShareAuditor({
      jobs: new ArchivedJobSource({ redis: redis.client, prefix: PREFIX, archiveTtlMs: TTL }),
      hasher,
      hashAsync: (algo, header, ntime) => pool.hash(algo, header, ntime),
      rate: () => ({ perHour: 0, minFraction: 1 }),
    });
    const recs = genuine("scrypt", 4, 200);
    expect(await a.audit("eu1", batchOf("eu1", "0000000a", recs))).toEqual({ kind: "pass", audited: 4 });
    expect(pool.stats().completed).toBe(4);
    const d = EASY_DIFFICULTY.scrypt;
    const [other] = genuine("scrypt", 1, 300);
    expect(await a.audit("eu1", batchOf("eu1", "0000000b", [{ ...other!, difficulty: d * 2 ** 24 }]))).toMatchObject({ kind: "fail", reason: "hash above target" });
  } finally {
    await pool.close();
  }
});

describe("what fails whatever is drawn", () => {
  test("an accepted record of a v2 batch without proof fails even when nothing is sampled", async () => {
    const a = auditor({ minFraction: 0 });
    const [r] = genuine("sha256d", 1);
    const stale = { ...r!, seq: 2, result: ShareResult.stale, ...EMPTY_PROOF };
    expect(await a.audit("eu1", batchOf("eu1", "0000000a", [r!, stale]))).toEqual({ kind: "pass", audited: 0 });
    const v = await a.audit("eu1", batchOf("eu1", "0000000a", [{ ...r!, seq: 3, ...EMPTY_PROOF }]));
    expect(v).toMatchObject({ kind: "fail", seq: 3, reason: "accepted share without proof" });
    expect(a.edges().get("eu1")).toMatchObject({ failed: 1, lastFailure: { seq: 3, reason: "accepted share without proof" } });
    expect(a.lines.some((l) => l.includes("edge eu1 failed: accepted share without proof"))).toBe(true);
  });

  test("v1 batches pass unaudited, counted", async () => {
    const a = auditor();
    const recs = genuine("sha256d", 3);
    expect(await a.audit("eu1", batchOf("eu1", "0000000a", recs, 1))).toEqual({ kind: "pass", audited: 0 });
    expect(a.totals()).toMatchObject({ unaudited: 3, audited: 0 });
  });
});

describe("jobs", () => {
  test("a fresh job id the core never issued fails, even as the auditor's first lookup", async () => {
    const [r] = genuine("sha256d", 1);
    const fake = ids.next(); // allocated after the published jobs, never published
    expect(await auditor().audit("eu1", batchOf("eu1", "0000000a", [{ ...r!, jobId: fake }]))).toMatchObject({ kind: "fail", reason: "job never issued" });
    expect(await auditor().audit("eu1", batchOf("eu1", "0000000a", [{ ...r!, jobId: "00000000000000000000deadbeef" }]))).toMatchObject({ kind: "fail", reason: "job never issued" });
  });

  test("a job older than every job the archive must still hold may have expired: unverifiable, passed", async () => {
    const [r] = genuine("sha256d", 1);
    const old = new JobIdAllocator(Date.now() - 86_400_000).next();
    const a = auditor();
    expect(await a.audit("eu1", batchOf("eu1", "0000000a", [{ ...r!, jobId: old }]))).toEqual({ kind: "pass", audited: 0 });
    expect(a.totals()).toMatchObject({ unverifiable: 1, failed: 0 });
  });

  test("the record must name the job's jobmanager (or a switcher over its coin), currency and aux chains", async () => {
    const [r] = genuine("sha256d", 1);
    const b = (over: Partial<ShareRecord>) => batchOf("eu1", "0000000a", [{ ...r!, ...over }]);
    expect(await auditor().audit("eu1", b({ currency: "BCH" }))).toMatchObject({ kind: "fail", reason: "record does not match its job", detail: expect.stringContaining("currency BCH") });
    expect(await auditor().audit("eu1", b({ jobmanager: "SW" }))).toMatchObject({ kind: "fail", reason: "record does not match its job" });
    expect(await auditor({ switchers: { SW: ["BTC"] } }).audit("eu1", b({ jobmanager: "SW" }))).toMatchObject({ kind: "pass", audited: 1 });
    expect(await auditor().audit("eu1", b({ aux: ["DOGE"] }))).toMatchObject({ kind: "fail", detail: expect.stringContaining("aux currency DOGE") });
    expect(await auditor().audit("eu1", b({ algo: "scrypt" }))).toMatchObject({ kind: "fail", detail: expect.stringContaining("algorithm scrypt") });
  });
});

describe("duplicates", () => {
  test("a proof passed before is refused under another seq, session or edge; the same record replayed is not", async () => {
    const a = auditor({ minFraction: 0 });
    const recs = genuine("sha256d", 3);
    expect(await a.audit("eu1", batchOf("eu1", "0000000a", recs))).toEqual({ kind: "pass", audited: 0 });
    // The same entry again (a retry, a spool replay): nothing refused.
    expect(await a.audit("eu1", batchOf("eu1", "0000000a", recs))).toEqual({ kind: "pass", audited: 0 });
    // The same work under new seqs, a new session, or from another edge: refused, not failed.
    const again = recs.map((r, i) => ({ ...r, seq: 10 + i }));
    expect(await a.audit("eu1", batchOf("eu1", "0000000a", again))).toEqual({ kind: "pass", audited: 0, refused: again.map((r) => ({ seq: r.seq, reason: "duplicate share" })) });
    expect(await a.audit("eu1", batchOf("eu1", "0000000b", recs.slice(0, 1)))).toMatchObject({ kind: "pass", refused: [{ seq: 1 }] });
    expect(await a.audit("eu2", batchOf("eu2", "0000000a", recs.slice(1, 2)))).toMatchObject({ kind: "pass", refused: [{ seq: 2 }] });
    // Twice in one batch: the second refused.
    const [fresh] = genuine("sha256d", 1, 50);
    expect(await a.audit("eu1", batchOf("eu1", "0000000c", [fresh!, { ...fresh!, seq: 51 }]))).toMatchObject({ kind: "pass", refused: [{ seq: 51 }] });
    expect(a.totals().duplicates).toBe(3 + 1 + 1 + 1);
    expect(a.edges().get("eu2")?.duplicates).toBe(1);
  });

  test("batches audited at the same time keep their own claims: one failing takes back only its own", async () => {
    const a = auditor();
    const [bad, goodA] = genuine("sha256d", 2, 80);
    const [goodB] = genuine("sha256d", 1, 90);
    const [va, vb] = await Promise.all([
      a.audit("eu1", batchOf("eu1", "0000000a", [goodA!, { ...bad!, difficulty: 1e9 }])),
      a.audit("eu2", batchOf("eu2", "0000000a", [goodB!])),
    ]);
    expect(va).toMatchObject({ kind: "fail" });
    expect(vb).toEqual({ kind: "pass", audited: 1 });
    expect(a.duplicateProofs).toBe(1);
    expect(await a.audit("eu3", batchOf("eu3", "0000000a", [goodA!, goodB!]))).toMatchObject({ kind: "pass", refused: [{ seq: goodB!.seq }] });
  });

  test("a failed batch's proofs are not remembered", async () => {
    const a = auditor();
    const [good, other] = genuine("sha256d", 2, 70);
    expect(await a.audit("eu1", batchOf("eu1", "0000000a", [good!, { ...other!, difficulty: 1e9 }]))).toMatchObject({ kind: "fail" });
    expect(await a.audit("eu1", batchOf("eu1", "0000000b", [good!]))).toEqual({ kind: "pass", audited: 1 });
  });
});

describe("sampling", () => {
  /** Records every hash meets (distinct nonces): audits cost one hash each and never fail. */
  const records = (n: number, from: number) => {
    const job = jobs.sha256d;
    return Array.from({ length: n }, (_, i) =>
      acceptedRecord(job, from + i, { extranonce1: en(9), extranonce2: en(from + i), ntime: job.job.ntime, nonce: 0, version: job.job.version }, ANY_HASH_DIFFICULTY),
    );
  };
  /** |x − mean| within 5 standard deviations of a sum of Bernoulli(p_i) (false about once in 3.5 million). */
  const within = (x: number, mean: number, variance: number) => Math.abs(x - mean) <= 5 * Math.sqrt(variance);

  test("min_fraction: about that fraction of accepted records audited", async () => {
    const a = auditor({ minFraction: 0.05, seed: 7 });
    let audited = 0;
    const n = 20_000;
    for (let i = 0; i < n; i += 1000) {
      const v = await a.audit("eu1", batchOf("eu1", "0000000a", records(1000, 1 + i)));
      if (v.kind !== "pass") throw new Error(`expected a pass, got ${JSON.stringify(v)}`);
      audited += v.audited;
    }
    expect(within(audited, n * 0.05, n * 0.05 * 0.95)).toBe(true);
    expect(a.totals()).toMatchObject({ accepted: n, audited });
  });

  test("per_hour: p = per_hour / the edge's rate by the core's clock, audits within the binomial bound", async () => {
    let now = 1_800_000_000_000;
    const a = auditor({ perHour: 7200, minFraction: 0.001, seed: 11, now: () => now });
    let audited = 0;
    let mean = 0;
    let variance = 0;
    // 1000 accepted records every 30 s: 120 000 an hour, so p settles at 7200 / 120 000 = 0.06.
    for (let i = 0; i < 60; i++) {
      const v = await a.audit("eu1", batchOf("eu1", "0000000a", records(1000, 1 + 1000 * i)));
      if (v.kind !== "pass") throw new Error(`expected a pass, got ${JSON.stringify(v)}`);
      const p = a.edges().get("eu1")!.rates.sha256d!.p;
      audited += v.audited;
      mean += 1000 * p;
      variance += 1000 * p * (1 - p);
      now += 30_000;
    }
    expect(within(audited, mean, variance)).toBe(true);
    const last = a.edges().get("eu1")!.rates.sha256d!;
    // Ten minutes of 30 s buckets: the 19 batches before and the one being audited.
    expect(last.perHour).toBe(120_000);
    expect(last.p).toBeCloseTo(0.06, 10);
  });

  test("another edge's load does not lower an edge's probability", async () => {
    const now = 1_800_000_000_000;
    const a = auditor({ perHour: 7200, minFraction: 0.001, now: () => now });
    await a.audit("big", batchOf("big", "0000000a", records(4000, 1)));
    await a.audit("small", batchOf("small", "0000000a", records(10, 100_001)));
    expect(a.edges().get("small")!.rates.sha256d!.p).toBe(1);
    // A first batch is taken over a minute (240 000 an hour), not as a whole hour's worth.
    expect(a.edges().get("big")!.rates.sha256d).toEqual({ perHour: 240_000, p: 7200 / 240_000 });
  });
});
