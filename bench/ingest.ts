/**
 * Share ingest throughput of the core, the real path (issue 20): edges' v2 batches in their own
 * streams (names.edgeStream("shares", edge), 4 edges), read by the gate (identity check, audit,
 * fenced copy to the verified stream) and applied by the accounting — `startAccounting`, as the
 * core runs it — drained end to end, on a private redis-server. For a sha256d and a scrypt coin,
 * with large batches and with one record an entry, three arms in one run:
 *
 *   floor    the pre-gate apply path: the same entries XADDed straight to the verified stream (as
 *            the gate passes them on) and applied by the accounting alone — what the core did
 *            before contract v2, and what the gate's cost is measured against;
 *   gate     startAccounting with no auditor (NO_AUDIT);
 *   audited  startAccounting with the core's CoreShareAuditor at the default rates over the job
 *            archive (as createConfiguredAuditor builds it; hashing inline, as the core does).
 *
 * Every accepted share carries a genuine proof, ground before timing at a tiny difficulty (about
 * one hash in two passes) on a real job (core/audit/testing.ts), and archived as the core archives
 * its jobs: a drawn share is re-hashed and checked in full. Each audited run's auditor is warmed
 * first (not timed) on another job until its edges' audit probability is min_fraction, as for busy
 * edges. A run is timed from startAccounting to both groups drained (start-up included: a few ms).
 * Arms alternate (floor, gate, audited, then audited, gate, floor, …); figures are medians over
 * rounds, the ratio audited/gate is the median of each round's own ratio.
 *
 * `bun run bench:ingest [records] [one-record entries]` (defaults 200000 and 40000); ROUNDS=n (5).
 */
import Redis from "ioredis";
import { createAccounting } from "../core/accounting/index.ts";
import { CoreShareAuditor } from "../core/audit/auditor.ts";
import { ArchivedJobSource } from "../core/audit/job-source.ts";
import { DEFAULT_AUDIT_RATES } from "../core/audit/settings.ts";
import { ANY_HASH_DIFFICULTY, auditTestJob, en, grindProof, shareHeaders, shareTarget } from "../core/audit/testing.ts";
import { startAccounting, startIngest } from "../core/ingest/index.ts";
import { ADDR_A, drained, quietLogger, T0, testPort, testSettings } from "../core/ingest/testing.ts";
import { JobIdAllocator, JobPublisher, type StoredJob } from "../core/jobs/index.ts";
import { startStats } from "../core/stats/index.ts";
import { hashBelowTarget } from "../shared/bitcoin/index.ts";
import { contractNames, decodeShareBatch, MESSAGE_FIELD, ShareBatchWriter, ShareResult, type ShareProof, type ShareRecord } from "../shared/contract/index.ts";
import { createPowPool, createPowRegistry, loadPowNative } from "../shared/pow/index.ts";
import { startRedis } from "../test/helpers/redis.ts";

type Algo = "sha256d" | "scrypt";
type Arm = "floor" | "gate" | "audited";

const RECORDS = Number(process.argv[2] ?? 200_000);
const SINGLES = Number(process.argv[3] ?? 40_000);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const PER_ENTRY = 1000;
const EDGES = 4;
const prefix = "bench:";
const names = contractNames(prefix);
const ARCHIVE_TTL_MS = 15 * 60_000;
const BTC_ADDR = "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2";
const RESULTS = [ShareResult.acc, ShareResult.acc, ShareResult.acc, ShareResult.dup, ShareResult.low, ShareResult.acc, ShareResult.stale, ShareResult.invalid];
/** About one hash in two meets it (diff1 of sha256d ≈ 2^224, of scrypt ≈ 2^240). */
const GRIND_DIFFICULTY: Record<Algo, number> = { sha256d: 2 ** -31, scrypt: 2 ** -15 };

const native = loadPowNative();
const registry = createPowRegistry(["sha256d", "scrypt"], native);
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

const edgeName = (e: number) => `edge${e}`;
const proofOf = (job: StoredJob, e: number, seq: number): ShareProof => ({ extranonce1: en(0x0e000000 + e), extranonce2: en(seq), ntime: job.job.ntime, nonce: seq, version: job.job.version });
const accepted = (seq: number) => RESULTS[seq % RESULTS.length] === ShareResult.acc;

/**
 * Proofs of seqs 1..count of every edge on `job`: the accepted ones ground to `difficulty`
 * (sha256d inline; scrypt on a worker pool, SIMD lanes, else this takes minutes), the others as
 * a miner sent them (never audited).
 */
async function grind(job: StoredJob, algo: Algo, count: number, difficulty: number): Promise<ShareProof[][]> {
  const out = Array.from({ length: EDGES }, (_, e) => Array.from({ length: count + 1 }, (_, seq) => proofOf(job, e, seq)));
  const todo = out.flatMap((list, e) => list.map((_, seq) => ({ e, seq })).filter(({ seq }) => seq > 0 && accepted(seq)));
  if (algo === "sha256d") {
    const hasher = registry.get(algo).hasher;
    for (const { e, seq } of todo) out[e]![seq] = grindProof(job, hasher, { ...proofOf(job, e, seq), difficulty, startNonce: 0 });
    return out;
  }
  const pool = createPowPool({ algorithms: [algo], workers: 2 });
  await pool.ready;
  const header = shareHeaders(job);
  const target = shareTarget(job, difficulty);
  const TRIES = 4;
  try {
    let pending = todo.map((t) => ({ ...t, from: 0 }));
    while (pending.length > 0) {
      const next: typeof pending = [];
      for (let i = 0; i < pending.length; i += 512) {
        const chunk = pending.slice(i, i + 512);
        await Promise.all(
          chunk.map(async (t) => {
            const tries = Array.from({ length: TRIES }, (_, k) => ({ ...proofOf(job, t.e, t.seq), nonce: t.from + k }));
            const hashes = await Promise.all(tries.map((p) => pool.hash(algo, header(p).slice(), p.ntime)));
            const k = hashes.findIndex((h) => hashBelowTarget(h, target));
            if (k >= 0) out[t.e]![t.seq] = tries[k]!;
            else next.push({ ...t, from: t.from + TRIES });
          }),
        );
      }
      pending = next;
    }
  } finally {
    await pool.close();
  }
  return out;
}

function record(job: StoredJob, seq: number, proof: ShareProof, difficulty: number): ShareRecord {
  const j = job.job;
  const btc = j.algo === "sha256d";
  return {
    seq,
    result: RESULTS[seq % RESULTS.length]!,
    difficulty,
    time: T0 + seq,
    jobmanager: j.jobmanager,
    jobId: j.id,
    currency: j.currency,
    algo: j.algo,
    port: btc ? "sha_STRAT" : "scrypt_STRAT",
    address: btc ? BTC_ADDR : ADDR_A,
    worker: seq % 3 ? "rig1" : "",
    aux: [],
    ...proof,
  };
}

interface Entry {
  readonly edge: string;
  readonly bytes: Buffer;
}

/** Seqs 1..perEdge of every edge as its forwarder XADDs them: `perEntry` records an entry, edges interleaved. */
function entries(job: StoredJob, proofs: readonly (readonly ShareProof[])[], perEdge: number, perEntry: number, difficulty: number): Entry[] {
  const out: Entry[] = [];
  for (let from = 1; from <= perEdge; from += perEntry) {
    for (let e = 0; e < EDGES; e++) {
      const w = new ShareBatchWriter(edgeName(e), `0000000${e}`);
      for (let seq = from; seq < Math.min(from + perEntry, perEdge + 1); seq++) w.add(record(job, seq, proofs[e]![seq]!, difficulty));
      out.push({ edge: edgeName(e), bytes: Buffer.from(w.finish()) });
    }
  }
  return out;
}

async function archive(jobs: readonly StoredJob[]): Promise<void> {
  const pub = new JobPublisher({ redis: redis.client, prefix, log, archiveTtlMs: ARCHIVE_TTL_MS });
  for (const s of jobs) if (!(await pub.publish(s.job, s))) throw new Error(`job ${s.job.id} not published`);
  await pub.stop();
}

/** A fresh auditor as the core's, warmed on `warm` (not timed) until its edges' audit probability is the algorithm's floor. */
async function warmedAuditor(algo: Algo, warm: StoredJob): Promise<CoreShareAuditor> {
  const rate = DEFAULT_AUDIT_RATES[algo];
  const auditor = new CoreShareAuditor({
    jobs: new ArchivedJobSource({ redis: redis.client, prefix, archiveTtlMs: ARCHIVE_TTL_MS }),
    hasher: (a) => (registry.has(a) ? registry.get(a).hasher : undefined),
    rate: () => rate,
    log,
  });
  // The rate window counts at least a minute: p reaches min_fraction at per_hour / min_fraction / 60 accepted records.
  const acceptedPerBatch = (PER_ENTRY * RESULTS.filter((r) => r === ShareResult.acc).length) / RESULTS.length;
  const batches = Math.ceil(rate.perHour / rate.minFraction / 60 / acceptedPerBatch) + 1;
  const proofs = Array.from({ length: EDGES }, (_, e) => Array.from({ length: batches * PER_ENTRY + 1 }, (_, seq) => proofOf(warm, e, seq)));
  for (const e of entries(warm, proofs, batches * PER_ENTRY, PER_ENTRY, ANY_HASH_DIFFICULTY)) {
    const v = await auditor.audit(e.edge, decodeShareBatch(e.bytes));
    if (v.kind !== "pass") throw new Error(`warm-up audit failed: ${JSON.stringify(v)}`);
  }
  return auditor;
}

async function write(arm: Arm, list: readonly Entry[]): Promise<void> {
  for (let i = 0; i < list.length; i += 500) {
    const p = redis.client.pipeline();
    for (const e of list.slice(i, i + 500)) {
      if (arm === "floor") p.xadd(names.verifiedShareStream, "*", MESSAGE_FIELD, e.bytes, "edge", e.edge, "source", names.edgeStream("shares", e.edge));
      else p.xadd(names.edgeStream("shares", e.edge), "*", MESSAGE_FIELD, e.bytes);
    }
    await p.exec();
  }
}

interface RunResult {
  readonly seconds: number;
  /** CPU seconds of this process (the core's thread, plus Bun's own threads and the bench's polling). */
  readonly cpu: number;
  /** Audited arm: records re-hashed, accepted records seen, the edges' audit probability. */
  readonly audit?: { readonly rehashed: number; readonly accepted: number; readonly p: number };
}

/** One arm on a fresh Redis: entries written, then (timed) the core started and drained end to end. */
async function run(arm: Arm, algo: Algo, job: StoredJob, warm: StoredJob, list: readonly Entry[]): Promise<RunResult> {
  await redis.client.flushall();
  await archive([job, warm]);
  await write(arm, list);
  const auditor = arm === "audited" ? await warmedAuditor(algo, warm) : undefined;
  const before = auditor?.totals();
  const client = new Redis(redis.url, { maxRetriesPerRequest: null });
  const edgeStreams = [...new Set(list.map((e) => names.edgeStream("shares", e.edge)))];

  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  let stop: () => Promise<void>;
  let check: () => void = () => {};
  if (arm === "floor") {
    const stats = await startStats(settings, log.child("stats"));
    const ingest = startIngest({ redis: client, prefix, accounting: createAccounting(client, settings, log), stats, log, consumer: "bench" });
    stop = async () => {
      await ingest.stop();
      stats.stop();
    };
  } else {
    const acc = await startAccounting(settings, client, log, { consumer: "bench", ...(auditor ? { auditor } : {}) });
    stop = () => acc.stop();
    check = () => {
      const g = acc.gate.status();
      if (g.quarantined.length > 0 || g.totals.deadLettered > 0) throw new Error(`gate: ${JSON.stringify(g.totals)}, quarantined ${g.quarantined.map((q) => `${q.edge}: ${q.reason}`).join("; ")}`);
    };
  }
  for (;;) {
    check();
    const gateDone = arm === "floor" || (await Promise.all(edgeStreams.map((s) => drained(redis.client, s, names.gateGroup)))).every(Boolean);
    if (gateDone && (await drained(redis.client, names.verifiedShareStream, names.accountingGroup))) break;
    await Bun.sleep(2);
  }
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpuStarted);
  const cpu = (used.user + used.system) / 1e6;
  await stop();
  client.disconnect();

  const verified = await redis.client.xlen(names.verifiedShareStream);
  const dead = await redis.client.xlen(names.deadLetter("shares"));
  if (verified !== list.length || dead !== 0) throw new Error(`${arm}: expected ${list.length} verified entries and no dead letter, got ${verified} and ${dead}`);
  if (!auditor || !before) return { seconds, cpu };
  const t = auditor.totals();
  if (t.failed > 0 || t.duplicates > 0) throw new Error(`audit: ${JSON.stringify(t)}`);
  const p = Math.max(...[...auditor.edges().values()].map((st) => st.rates[algo]?.p ?? 0));
  return { seconds, cpu, audit: { rehashed: t.audited - before.audited, accepted: t.accepted - before.accepted, p } };
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const k = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(3)} M` : `${(n / 1e3).toFixed(1)} k`);

try {
  const perEdge = Math.floor(RECORDS / EDGES);
  const singlesPerEdge = Math.floor(SINGLES / EDGES);
  const [load1] = (await Bun.file("/proc/loadavg").text()).split(" ");
  console.log(`hashing: ${native.description}; load average ${load1} at start; ${ROUNDS} rounds, arms alternating`);
  console.log(`floor = the pre-gate apply path (entries straight on the verified stream, accounting alone); gate = startAccounting without audit; audited = with CoreShareAuditor at the default rates`);
  for (const algo of ["sha256d", "scrypt"] as const) {
    const job = auditTestJob(algo, ids.next());
    const warm = auditTestJob(algo, ids.next());
    const difficulty = GRIND_DIFFICULTY[algo];
    let t = performance.now();
    const proofs = await grind(job, algo, Math.max(perEdge, singlesPerEdge), difficulty);
    console.log(`${algo}: ground ${EDGES * Math.max(perEdge, singlesPerEdge)} shares' proofs (accepted ones genuine at difficulty ${difficulty}) in ${((performance.now() - t) / 1000).toFixed(1)} s, not timed`);
    const rate = DEFAULT_AUDIT_RATES[algo];
    for (const [mode, list] of [
      [`${PER_ENTRY} records an entry`, entries(job, proofs, perEdge, PER_ENTRY, difficulty)],
      ["1 record an entry", entries(job, proofs, singlesPerEdge, 1, difficulty)],
    ] as const) {
      const records = list.reduce((n, e) => n + decodeShareBatch(e.bytes).records.length, 0);
      const seconds: Record<Arm, number[]> = { floor: [], gate: [], audited: [] };
      const cpu: Record<Arm, number[]> = { floor: [], gate: [], audited: [] };
      const ratios: number[] = [];
      const cpuRatios: number[] = [];
      // Not timed: the JIT's first pass over each arm's code.
      for (const arm of ["floor", "gate", "audited"] as const) await run(arm, algo, job, warm, list.slice(0, Math.ceil(list.length / 10)));
      let audit: RunResult["audit"];
      t = performance.now();
      for (let round = 0; round < ROUNDS; round++) {
        const order: Arm[] = round % 2 === 0 ? ["floor", "gate", "audited"] : ["audited", "gate", "floor"];
        const got = {} as Record<Arm, RunResult>;
        for (const arm of order) got[arm] = await run(arm, algo, job, warm, list);
        for (const arm of order) seconds[arm].push(got[arm].seconds), cpu[arm].push(got[arm].cpu);
        ratios.push(got.gate.seconds / got.audited.seconds);
        cpuRatios.push(got.gate.cpu / got.audited.cpu);
        audit = got.audited.audit;
      }
      const rateOf = (arm: Arm) => records / median(seconds[arm]);
      const entriesOf = (arm: Arm) => list.length / median(seconds[arm]);
      const ratio = median(ratios);
      console.log(
        `${algo.padEnd(7)} ${mode}: ${records} records, ${list.length} entries a run (${((performance.now() - t) / 1000).toFixed(0)} s)\n` +
          (["floor", "gate", "audited"] as const)
            .map((arm) => `  ${arm.padEnd(7)} ${k(rateOf(arm))} records/s, ${k(entriesOf(arm))} entries/s (best ${k(records / Math.min(...seconds[arm]))} records/s); ${((median(cpu[arm]) * 1e6) / records).toFixed(2)} µs core CPU a record`)
            .join("\n") +
          `\n  audited/gate ${ratio.toFixed(2)} (rounds ${ratios.map((r) => r.toFixed(2)).join(", ")}; target ≥ 0.80: ${ratio >= 0.8 ? "met" : "NOT met"}); by core CPU ${median(cpuRatios).toFixed(2)}; gate/floor ${(rateOf("gate") / rateOf("floor")).toFixed(2)}` +
          (audit ? `\n  audit: ${audit.rehashed} of ${audit.accepted} accepted records re-hashed (p ${audit.p.toPrecision(2)}; min_fraction ${rate.minFraction})` : ""),
      );
    }
  }
  const [after] = (await Bun.file("/proc/loadavg").text()).split(" ");
  console.log(`load average ${after} at the end`);
} finally {
  await redis.stop();
}
