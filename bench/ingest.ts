/**
 * Share ingest throughput: records applied per second through the exactly-once apply script, on a
 * private redis-server, without and with the core's share audit (core/audit/) at the default rates,
 * for a sha256d coin and a scrypt coin. `bun run bench:ingest [records] [records-per-entry]`
 *
 * Each run feeds the same v2 batches (4 edges, proofs on real archived jobs, a mix of results) to
 * the share stream. "apply" times the ingest draining them. "audit + apply" first audits every
 * entry as the gate will (decode, CoreShareAuditor.audit: draws, duplicate sets, re-hashing the
 * drawn records against the archived job), timed, then drains them the same way: records / (audit
 * time + apply time). Serial on purpose: the gate and the ingest share the core's thread. Not
 * counted: the gate's own Redis copy of each entry (XADD to the verified stream + XACK), which is
 * the gate's cost, not the audit's (core/gate/ measures it once it exists).
 *
 * The auditor is warmed up first with 20 batches per edge on another job (not timed), so the
 * edges' rates are those of busy edges (p at min_fraction) rather than of a core that just started.
 */
import Redis from "ioredis";
import { createAccounting } from "../core/accounting/index.ts";
import { CoreShareAuditor } from "../core/audit/auditor.ts";
import { ArchivedJobSource } from "../core/audit/job-source.ts";
import { DEFAULT_AUDIT_RATES } from "../core/audit/settings.ts";
import { ANY_HASH_DIFFICULTY, auditTestJob, en } from "../core/audit/testing.ts";
import { verifyShareProof } from "../core/audit/verify.ts";
import { startIngest } from "../core/ingest/index.ts";
import { ADDR_A, drained, quietLogger, T0, testPort, testSettings, waitFor } from "../core/ingest/testing.ts";
import { JobIdAllocator, JobPublisher, type StoredJob } from "../core/jobs/index.ts";
import { contractNames, decodeShareBatch, MESSAGE_FIELD, ShareBatchWriter, ShareResult, type ShareRecord } from "../shared/contract/index.ts";
import { createPowRegistry, loadPowNative } from "../shared/pow/index.ts";
import { startRedis } from "../test/helpers/redis.ts";

const total = Number(process.argv[2] ?? 200_000);
const perEntry = Number(process.argv[3] ?? 1000);
const EDGES = 4;
const prefix = "bench:";
const names = contractNames(prefix);
const ARCHIVE_TTL_MS = 15 * 60_000;
const BTC_ADDR = "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2";
const RESULTS = [ShareResult.acc, ShareResult.acc, ShareResult.acc, ShareResult.dup, ShareResult.low, ShareResult.acc, ShareResult.stale, ShareResult.invalid];

const native = loadPowNative();
const registry = createPowRegistry(["sha256d", "scrypt", "x11", "scryptn"], native);
const ids = new JobIdAllocator();
const redis = await startRedis();
const log = quietLogger();

/** The test pool's accounting with a BTC (sha256d) coin and port beside its LTC (scrypt) one. */
const base = testSettings(prefix);
const settings = {
  ...base,
  stratum: { ...base.stratum, sha_STRAT: testPort("redis", { jobmanager: "BTC" }) },
  coins: { ...base.coins, BTC: { currency: "BTC", hashesPerShare: 2 ** 32, algo: "sha256d", network: "bitcoin", merged: [] } },
  algorithms: { ...base.algorithms, sha256d: { hashesPerShare: 2 ** 32 } },
};

/** `count` records of `edge` on `job`, seqs from `from`; accepted ones meet their (tiny) difficulty, so a drawn one passes. */
function records(job: StoredJob, edge: number, count: number, from: number): ShareRecord[] {
  const j = job.job;
  const btc = j.algo === "sha256d";
  return Array.from({ length: count }, (_, i) => {
    const seq = from + i;
    return {
      seq,
      result: RESULTS[seq % RESULTS.length]!,
      difficulty: ANY_HASH_DIFFICULTY,
      time: T0 + seq,
      jobmanager: j.jobmanager,
      jobId: j.id,
      currency: j.currency,
      algo: j.algo,
      port: btc ? "sha_STRAT" : "scrypt_STRAT",
      address: btc ? BTC_ADDR : ADDR_A,
      worker: seq % 3 ? "rig1" : "",
      aux: [],
      extranonce1: en(0x0e000000 + edge),
      extranonce2: en(seq),
      ntime: j.ntime,
      nonce: seq,
      version: j.version,
    };
  });
}

/** Encoded entries per edge, as the edges' forwarders would XADD them. */
function entries(job: StoredJob, perEdge: number, from = 1): { edge: string; bytes: Uint8Array }[] {
  const out: { edge: string; bytes: Uint8Array }[] = [];
  for (let at = 0; at < perEdge; at += perEntry) {
    for (let e = 0; e < EDGES; e++) {
      const w = new ShareBatchWriter(`edge${e}`, `0000000${e}`);
      for (const r of records(job, e, Math.min(perEntry, perEdge - at), from + at)) w.add(r);
      out.push({ edge: `edge${e}`, bytes: w.finish() });
    }
  }
  return out;
}

async function archive(jobs: readonly StoredJob[]): Promise<void> {
  const pub = new JobPublisher({ redis: redis.client, prefix, log, archiveTtlMs: ARCHIVE_TTL_MS });
  for (const s of jobs) if (!(await pub.publish(s.job, s))) throw new Error(`job ${s.job.id} not published`);
  await pub.stop();
}

/** Seconds for the ingest to drain the share stream. */
async function apply(): Promise<number> {
  const client = new Redis(redis.url, { maxRetriesPerRequest: null });
  const started = performance.now();
  const ingest = startIngest({ redis: client, prefix, accounting: createAccounting(client, settings, log), log, consumer: "bench", tuning: { blockMs: 50, tidyEveryMs: 0 } });
  await waitFor("the stream to drain", () => drained(redis.client, names.verifiedShareStream, names.accountingGroup), 600_000);
  const seconds = (performance.now() - started) / 1000;
  await ingest.stop();
  client.disconnect();
  return seconds;
}

async function feed(list: readonly { bytes: Uint8Array }[]): Promise<void> {
  await redis.client.flushall();
  for (const e of list) await redis.client.xadd(names.shareStream, "*", MESSAGE_FIELD, Buffer.from(e.bytes));
}

/** One round: the ingest alone, then the audit (timed) and the ingest again; fresh Redis, jobs and auditor. */
async function round(algo: "sha256d" | "scrypt", perEdge: number) {
  const job = auditTestJob(algo, ids.next());
  const warm = auditTestJob(algo, ids.next());
  const list = entries(job, perEdge);
  await feed(list);
  const plain = await apply();

  await feed(list);
  await archive([job, warm]);
  const rate = DEFAULT_AUDIT_RATES[algo];
  const auditor = new CoreShareAuditor({
    jobs: new ArchivedJobSource({ redis: redis.client, prefix, archiveTtlMs: ARCHIVE_TTL_MS }),
    hasher: (a) => (registry.has(a) ? registry.get(a).hasher : undefined),
    rate: () => rate,
    log,
  });
  for (const e of entries(warm, 20 * perEntry, 1_000_000_000)) await auditor.audit(e.edge, decodeShareBatch(e.bytes));
  const warmed = auditor.totals();
  // Decoded first, as the gate does for its own checks (edge identity, malformed entries): timed apart.
  const stream = (await redis.client.xrangeBuffer(names.shareStream, "-", "+")) as [Buffer, Buffer[]][];
  let started = performance.now();
  const batches = stream.map(([, fields]) => decodeShareBatch(fields[1]!));
  const decode = (performance.now() - started) / 1000;
  started = performance.now();
  for (const batch of batches) {
    const v = await auditor.audit(batch.edge, batch);
    if (v.kind !== "pass") throw new Error(`audit failed: ${JSON.stringify(v)}`);
  }
  const audit = (performance.now() - started) / 1000;
  const again = await apply();
  const t = auditor.totals();
  const ps = [...auditor.edges().values()].map((st) => st.rates[algo]?.p ?? 0);
  return { apply: Math.min(plain, again), audit, decode, draws: t.audited - warmed.audited, accepted: t.accepted - warmed.accepted, pMin: Math.min(...ps), pMax: Math.max(...ps) };
}

/** µs one audited share costs (verifyShareProof: header rebuild, PoW, target), inline on this thread. */
function rehashMicros(algo: string, count: number): number {
  const stored = auditTestJob("sha256d", ids.next());
  const job = { ...stored, job: { ...stored.job, algo } };
  const hasher = registry.get(algo).hasher;
  // scrypt-N's N follows ntime: today's, as live shares carry.
  const ntime = Math.floor(Date.now() / 1000);
  let best = Infinity;
  for (let round = 0; round < 3; round++) {
    const started = performance.now();
    for (let i = 0; i < count; i++) verifyShareProof(job, { extranonce1: en(1), extranonce2: en(i), ntime, nonce: i, version: job.job.version }, ANY_HASH_DIFFICULTY, hasher, Date.now());
    best = Math.min(best, ((performance.now() - started) * 1000) / count);
  }
  return best;
}

const ROUNDS = Number(process.env.ROUNDS ?? 3);
try {
  const perEdge = Math.floor(total / EDGES);
  const n = perEdge * EDGES;
  console.log(`hashing: ${native.description}`);
  const costs = { sha256d: rehashMicros("sha256d", 2000), x11: rehashMicros("x11", 500), scrypt: rehashMicros("scrypt", 100), scryptn: rehashMicros("scryptn", 5) };
  console.log(`one audited share (inline): ${Object.entries(costs).map(([a, us]) => `${a} ${us < 100 ? us.toFixed(1) : Math.round(us)} µs`).join(", ")}`);
  console.log(`${n} records a round (${EDGES} edges, ${perEntry} a batch, 5 in 8 accepted), best of ${ROUNDS} rounds`);
  for (const algo of ["sha256d", "scrypt"] as const) {
    const rounds = [];
    for (let i = 0; i < ROUNDS; i++) rounds.push(await round(algo, perEdge));
    // The ingest's work is the same with and without the audit: its best time over both runs of
    // every round is its cost; the audit's best time is added to it (the gate runs on the core's thread).
    const apply = Math.min(...rounds.map((r) => r.apply));
    const best = rounds.reduce((a, b) => (b.audit < a.audit ? b : a));
    const plainRate = n / apply;
    const auditedRate = n / (apply + best.audit);
    console.log(
      `${algo.padEnd(7)} apply ${Math.round(plainRate)} records/s | audit + apply ${Math.round(auditedRate)} records/s | ratio ${(auditedRate / plainRate).toFixed(2)}\n` +
        `        audit ${((best.audit * 1e6) / n).toFixed(2)} µs a record: ${best.draws} re-hashed of ${best.accepted} accepted (p ${best.pMin.toPrecision(2)}–${best.pMax.toPrecision(2)}); ` +
        `the gate's decode, not counted: ${((best.decode * 1e6) / n).toFixed(2)} µs a record; rounds: ${rounds.map((r) => `${r.apply.toFixed(2)}+${r.audit.toFixed(2)} s`).join(", ")}`,
    );
  }
} finally {
  await redis.stop();
}
