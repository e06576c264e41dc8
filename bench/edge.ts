/**
 * @module `bun run bench:edge`: the edge under load, end to end through real sockets, in one run.
 *
 *  1. throughput per algorithm: 100 connections keep 16 submits each in flight → shares/s, the
 *     edge's CPU time per share, and the ratio to the hash-only rate measured in this run;
 *  2. reply latency at a fixed offered rate (10 k shares/s over 100 connections, paced, not saturated);
 *  3. idle connections: RSS before, right after ramping to 1 k and 10 k, and after a 30 s hold;
 *  4. fan-out: time from publishing a job (XADD, as the core does) to the last client's notify at 1 k and 10 k;
 *  5. the floor: phases 1–4 against a bare Bun.listen server that checks nothing (bench/edge-floor.ts),
 *     so what the runtime, loopback TCP, the harness and the other tenants of the machine cost is
 *     measured in the same run, next to the edge; and the fan-out again from one bare process per
 *     core sharing the port (SO_REUSEPORT), the floor of spreading an edge over worker processes.
 *
 * The edge (bench/edge-server.ts, the real `startEdge`) runs in its own process so /proc gives its
 * CPU and RSS apart from the load generator (bench/edge-load.ts, this process); both, and a private
 * redis-server, share the machine's cores, so machine-wide CPU is printed with every phase. Every
 * share meets its target: the share difficulty is so low that the target is the largest possible
 * (2^256 − 1), while the job's network target is mainnet-like, so no share is a block. The edge's
 * work per share does not depend on the difficulty: it builds the header, hashes it and compares.
 *
 * TLS (phase "tls", issue 14): one sha256d port with `tls.mode: auto` serves plain TCP and TLS
 * clients; throughput and reply latency over each in turn, and the memory per idle connection of
 * each on a fresh edge, printed side by side with their ratios.
 *
 * Options: --quick (short phases, 5 s hold; for development), --only <algo>, --phases <list> (a
 * comma list of throughput, idle, tls, floor, sv2, heartbeat: which of phases 1–2, 3–4, TLS, 5, 6 and bench/heartbeat.ts
 * (heartbeat and client-list bytes at 10 k and 100 k clients) run; default all), --readme
 * (write the figures into README.md, "Benchmarks" → "Edge (bun run bench:edge)").
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseYaml, stringify } from "yaml";
import { JobPublisher } from "../core/jobs/publisher.ts";
import type { JobV1 } from "../shared/contract/index.ts";
import { createLogger } from "../shared/log.ts";
import { createPowPool, createPowRegistry, DIFF1_SCRYPT, DIFF1_SHA256D, loadPowNative } from "../shared/pow/index.ts";
import { startRedis } from "../test/helpers/redis.ts";
import { LoadGroup } from "./edge-load.ts";
import { diff, machineCpu, percentile, rssKiB, snap, spawnEdge, spawnFloor, spawnFloorGroup, type EdgeProcess } from "./edge-proc.ts";
import { BENCH_EDGE_NAME } from "./edge-protocol.ts";
import { summarize, updateReadme, type AlgoFigures, type FanOutFigures, type Figures, type IdleFigures, type Window } from "./edge-report.ts";

const argv = process.argv.slice(2);
const QUICK = argv.includes("--quick");
const ONLY = argv.includes("--only") ? argv[argv.indexOf("--only") + 1] : undefined;
const PHASES = new Set((argv.includes("--phases") ? (argv[argv.indexOf("--phases") + 1] ?? "") : "throughput,idle,tls,floor,sv2,heartbeat").split(","));
for (const p of PHASES) if (!["throughput", "idle", "tls", "floor", "sv2", "heartbeat"].includes(p)) throw new RangeError(`bench:edge: expected --phases of throughput, idle, tls, floor, sv2, heartbeat, got "${p}"`);
const CORES = navigator.hardwareConcurrency;
const WARMUP_MS = QUICK ? 500 : 1000;
/** Measured windows per phase, each TRIAL_MS long. */
const TRIALS = 3;
const TRIAL_MS = QUICK ? 700 : 2000;
const HOLD_MS = QUICK ? 5000 : 30_000;
const CONNS = 100;
const DEPTH = 16;
const LATENCY_RATE = 10_000;
// Nine: a median of five moved by ±0.15× between runs on a shared 2-core machine (one round can pay a JIT compile or a preemption).
const FANOUT_ROUNDS = QUICK ? 3 : 9;
const BRANCH = 12;
const USER = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa";
const PREFIX = "bench:";
/** About mainnet difficulty: no share at a 2^256 − 1 share target is a block (odds ~2^-76 each). */
const NETWORK_TARGET = `0000000000000000000342190000000000000000000000000000000000000000`;

interface Case {
  readonly algo: "sha256d" | "x11" | "scrypt";
  readonly coin: string;
  /** Low enough that floor(diff1 / difficulty) is clamped to 2^256 − 1: every hash passes. */
  readonly difficulty: number;
  readonly diff1: bigint;
}
const CASES: readonly Case[] = [
  { algo: "sha256d", coin: "BTC", difficulty: 1e-10, diff1: DIFF1_SHA256D },
  { algo: "x11", coin: "DASH", difficulty: 1e-10, diff1: DIFF1_SHA256D },
  { algo: "scrypt", coin: "LTC", difficulty: 1e-5, diff1: DIFF1_SCRYPT },
].filter((c) => !ONLY || c.algo === ONLY) as Case[];

const randomHex = (bytes: number) => Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString("hex");
let jobSeq = 0;

/** A flush job shaped like a mainnet one: 12-level merkle branch (a few thousand transactions), segwit coinbase. */
function benchJob(c: Case): JobV1 {
  const now = Math.floor(Date.now() / 1000);
  return {
    v: 1,
    id: `${Date.now().toString(16)}${(jobSeq++).toString(16).padStart(4, "0")}`,
    jobmanager: c.coin,
    coin: c.coin,
    currency: c.coin,
    algo: c.algo,
    type: 0,
    height: 900_000,
    prevhash: randomHex(32),
    coinb1: `02000000010000000000000000000000000000000000000000000000000000000000000000ffffffff2403a0bb0d0f2f706f776572706f6f6c2d62756e2f`,
    coinb2: `ffffffff02${"00f2052a01000000"}1976a914${randomHex(20)}88ac0000000000000000266a24aa21a9ed${randomHex(32)}00000000`,
    branch: Array.from({ length: BRANCH }, () => randomHex(32)),
    version: 0x20000000,
    versionMask: 0x1fffe000,
    bits: "17034219",
    ntime: now,
    mintime: now - 3600,
    target: NETWORK_TARGET,
    diff1: c.diff1.toString(16).padStart(64, "0"),
    powBlockHash: c.algo === "x11",
    extranonce1Size: 4,
    extranonce2Size: 4,
    aux: [],
    createdAt: Date.now(),
  };
}

function configYaml(redisUrl: string, ports: readonly Case[]): string {
  const coinOf = (c: Case) => ({ algo: c.algo, network: "bitcoin", pool_address: USER, coinservs: [{ address: "127.0.0.1", port: 8332 }] });
  const portOf = (c: Case) => ({
    jobmanager: c.coin,
    address: "127.0.0.1",
    // Overridden with 0 (the OS picks) by edge-server.ts; distinct only so the config is valid.
    port: 3333 + CASES.indexOf(c),
    start_difficulty: c.difficulty,
    minimum_manual_diff: c.difficulty / 10,
    vardiff: { enabled: false, minimum_difficulty: c.difficulty / 10, maximum_difficulty: 1 },
    // One address opens every connection, and 100 k shares/s over 100 connections is 1 k/s each.
    limits: { max_connections_per_ip: 1_000_000, max_requests_per_second: 1_000_000 },
  });
  return stringify({
    pool: { procname: "bench", extranonce_serv_size: 4, extranonce_size: 4, datagram: { enabled: false }, events: { enabled: false } },
    logging: { level: "warn" },
    coins: Object.fromEntries(CASES.map((c) => [c.coin, coinOf(c)])),
    stratum: Object.fromEntries(CASES.map((c) => [c.algo, portOf(c)])),
    edges: { [BENCH_EDGE_NAME]: { ports: ports.map((c) => c.algo) } },
    reporters: { redis: { type: "redis" } },
    redis: { url: redisUrl, prefix: PREFIX },
    monitor: { enabled: false },
  });
}

const fmtRate = (r: number) => (r >= 1e4 ? `${(r / 1e3).toFixed(1)} k/s` : r >= 1e3 ? `${(r / 1e3).toFixed(2)} k/s` : `${r.toFixed(0)} /s`);
const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
const cores = (w: Window) =>
  `server ${pct(w.edgeCores)} (main thread ${pct(w.edgeMainCores)}), load gen ${pct(w.genCores)}, redis ${pct(w.redisCores)} of a core; machine ${pct(w.machine)} of ${CORES} cores busy, ${pct(w.steal)} stolen by the hypervisor`;

/** Hashes per second of the hasher the edge uses: inline on one core, or the worker pool (scrypt). */
async function hashOnlyRate(c: Case): Promise<{ rate: number; how: string }> {
  const header = crypto.getRandomValues(new Uint8Array(80));
  if (c.algo === "scrypt") {
    const pool = createPowPool({ algorithms: ["scrypt"], workers: CORES });
    await pool.ready;
    let done = 0;
    let stop = false;
    const pump = (async () => {
      while (!stop) {
        while (!stop && pool.outstanding < pool.maxQueue)
          pool.hash("scrypt", header).then(
            () => done++,
            () => {},
          );
        await pool.waitForCapacity();
      }
    })();
    await Bun.sleep(WARMUP_MS);
    const d0 = done;
    const t0 = performance.now();
    await Bun.sleep(TRIAL_MS);
    const rate = (done - d0) / ((performance.now() - t0) / 1000);
    stop = true;
    await pool.close();
    await pump;
    return { rate, how: `worker pool of ${CORES}, the edge's scrypt path` };
  }
  const hasher = createPowRegistry([c.algo], loadPowNative()).get(c.algo).hasher;
  const out = new Uint8Array(32);
  const trial = (ms: number) => {
    let n = 0;
    const t0 = performance.now();
    let t = t0;
    while (t - t0 < ms) {
      for (let i = 0; i < 256; i++) {
        header[76] = n & 0xff;
        hasher.hashInto(header, out);
        n++;
      }
      t = performance.now();
    }
    return n / ((t - t0) / 1000);
  };
  trial(WARMUP_MS / 2);
  const rates = [trial(300), trial(300), trial(300)].sort((a, b) => a - b);
  // "ffi:/abs/path/libpowhash.so [features]" → "libpowhash.so [features]": the path says nothing in a report.
  return { rate: rates[1]!, how: `${hasher.implementation.replace(/^ffi:\S*\//, "")}, one core, inline` };
}

// ---------------------------------------------------------------- phases
type Latency = AlgoFigures["latency"];

/**
 * Phase 1: every connection keeps DEPTH submits in flight; TRIALS windows after a warm-up. The
 * median window is the figure; the best shows what the code does when the other tenants of the
 * machine are quiet (as bench:hash reports a peak).
 */
async function saturate(server: EdgeProcess, g: LoadGroup, redisPid: number, what: string, hashRate?: number): Promise<{ median: Window; best: Window }> {
  g.saturate();
  await Bun.sleep(WARMUP_MS);
  const windows: Window[] = [];
  for (let t = 0; t < TRIALS; t++) {
    const a = snap(server, redisPid, g);
    await Bun.sleep(TRIAL_MS);
    windows.push(diff(a, snap(server, redisPid, g)));
  }
  await g.settle(5000);
  windows.sort((x, y) => x.rate - y.rate);
  const w = windows[TRIALS >> 1]!;
  const best = windows[TRIALS - 1]!;
  const ratio = hashRate ? `, ${(w.rate / hashRate).toFixed(2)} × hash-only` : "";
  const notAccepted = windows.reduce((n, x) => n + x.shares - x.accepted, 0);
  console.log(
    `  throughput  ${fmtRate(w.rate)} (${notAccepted === 0 ? "all accepted" : `${notAccepted} NOT accepted`}), ${w.cpuPerShareUs.toFixed(1)} µs ${what} CPU per share${ratio}; ` +
      `${fmtRate(w.perMainCore)} per ${what} main-thread core; best window ${fmtRate(best.rate)}, ${best.cpuPerShareUs.toFixed(1)} µs`,
  );
  console.log(`              ${cores(w)}`);
  return { median: w, best };
}

/** Phase 2: `rate` shares/s paced over the connections for TRIALS windows; send → reply latency at the client. */
async function paced(server: EdgeProcess, g: LoadGroup, redisPid: number, rate: number, what: string): Promise<Latency> {
  await g.pace(rate, WARMUP_MS);
  g.recording = true;
  g.sampleCount = 0;
  const marks = [{ count: 0, at: snap(server, redisPid, g) }];
  const timers = Array.from({ length: TRIALS }, (_, i) => setTimeout(() => marks.push({ count: g.sampleCount, at: snap(server, redisPid, g) }), (i + 1) * TRIAL_MS));
  await g.pace(rate, TRIALS * TRIAL_MS);
  const deadline = performance.now() + 1000;
  while (marks.length <= TRIALS && performance.now() < deadline) await Bun.sleep(2);
  for (const t of timers) clearTimeout(t);
  g.recording = false;
  await g.settle(5000);
  const windows = marks.slice(1).map((m, i) => {
    const lat = g.samples.slice(marks[i]!.count, m.count).sort();
    return { p50: percentile(lat, 50), p90: percentile(lat, 90), p99: percentile(lat, 99), max: lat[lat.length - 1] ?? NaN, samples: lat.length, window: diff(marks[i]!.at, m.at) };
  });
  windows.sort((x, y) => x.p99 - y.p99);
  const med = windows[windows.length >> 1]!;
  const best = windows[0]!;
  const l: Latency = { rate, achieved: med.window.rate, p50: med.p50, p90: med.p90, p99: med.p99, max: med.max, samples: med.samples, window: med.window, best: { p50: best.p50, p90: best.p90, p99: best.p99, max: best.max } };
  console.log(
    `  latency at ${fmtRate(rate)} offered (${fmtRate(l.achieved)} answered): p50 ${l.p50.toFixed(2)} ms, p90 ${l.p90.toFixed(2)} ms, p99 ${l.p99.toFixed(2)} ms, max ${l.max.toFixed(2)} ms ` +
      `(median of ${windows.length} windows of ${l.samples} replies); best window p99 ${best.p99.toFixed(2)} ms`,
  );
  console.log(`              ${cores(l.window)}, ${l.window.cpuPerShareUs.toFixed(1)} µs ${what} CPU per share`);
  return l;
}

/** Phase 3: ramp to `n` idle authorized clients; RSS right after, and after `holdMs` if given. */
async function idleAt(server: EdgeProcess, g: LoadGroup, base: { rss: number; heap: number }, n: number, holdMs: number): Promise<IdleFigures> {
  const t0 = performance.now();
  await g.connect(n - g.conns.length, 250, 180_000);
  const rampSeconds = (performance.now() - t0) / 1000;
  const afterRamp = rssKiB(server.pid);
  const heapRamp = (await server.memory()).heapUsed / 1024;
  const row: IdleFigures = { connections: n, rampSeconds, before: base.rss, afterRamp, heapRamp, afterHold: undefined, heapHold: undefined };
  console.log(
    `  ${n} connections in ${rampSeconds.toFixed(1)} s: RSS ${(afterRamp / 1024).toFixed(1)} MiB → ${((afterRamp - base.rss) / n).toFixed(2)} KiB per connection (JS heap ${((heapRamp - base.heap) / n).toFixed(2)} KiB)`,
  );
  if (holdMs > 0) {
    await Bun.sleep(holdMs);
    row.afterHold = rssKiB(server.pid);
    row.heapHold = (await server.memory()).heapUsed / 1024;
    console.log(
      `  after ${holdMs / 1000} s hold: RSS ${(row.afterHold / 1024).toFixed(1)} MiB → ${((row.afterHold - base.rss) / n).toFixed(2)} KiB per connection (JS heap ${((row.heapHold - base.heap) / n).toFixed(2)} KiB)`,
    );
  }
  return row;
}

/** Phase 4: FANOUT_ROUNDS new jobs; from `publish` to every client's clean notify, and the server's own write loop. */
async function fanOut(server: EdgeProcess, g: LoadGroup, publish: () => Promise<unknown>): Promise<FanOutFigures> {
  const rounds: { first: number; last: number; edgeStart: number; edgeLoop: number; edgeCpu: number; missing: number }[] = [];
  for (let r = 0; r < FANOUT_ROUNDS; r++) {
    const seen = server.fanOuts.length;
    const wait = g.expectFanOut(10_000);
    const t0 = performance.now();
    const wall0 = performance.timeOrigin + t0;
    await publish();
    const got = await wait.done;
    const deadline = performance.now() + 2000;
    while (server.fanOuts.length === seen && performance.now() < deadline) await Bun.sleep(5);
    const rep = server.fanOuts[seen];
    rounds.push({ first: got.first - t0, last: got.last - t0, edgeStart: rep ? rep.startAt - wall0 : NaN, edgeLoop: rep ? rep.endAt - rep.startAt : NaN, edgeCpu: rep ? rep.cpuMs : NaN, missing: got.missing });
    await Bun.sleep(300);
  }
  const med = (k: "first" | "last" | "edgeStart" | "edgeLoop" | "edgeCpu") => rounds.map((x) => x[k]).sort((a, b) => a - b)[rounds.length >> 1]!;
  const n = g.conns.length;
  const f = { connections: n, rounds: rounds.length, last: med("last"), lastMax: Math.max(...rounds.map((x) => x.last)), lastBest: Math.min(...rounds.map((x) => x.last)), first: med("first"), edgeStart: med("edgeStart"), edgeLoop: med("edgeLoop"), edgeCpu: med("edgeCpu"), missing: Math.max(...rounds.map((x) => x.missing)) };
  console.log(
    `  fan-out to ${n}: publish → last notify received ${f.last.toFixed(1)} ms median (best ${f.lastBest.toFixed(1)}, max ${f.lastMax.toFixed(1)}) of ${f.rounds}; ` +
      `publish → server has the job ${f.edgeStart.toFixed(1)} ms, server write loop ${f.edgeLoop.toFixed(1)} ms (${f.edgeCpu.toFixed(1)} ms CPU), first client ${f.first.toFixed(1)} ms${f.missing ? `; ${f.missing} clients MISSED it` : ""}`,
  );
  return f;
}

// ---------------------------------------------------------------- TLS phase
/** A self-signed certificate for the TLS phase (Debian's openssl). */
async function selfSigned(): Promise<{ cert: string; key: string }> {
  const cert = join(dir, "bench.crt");
  const key = join(dir, "bench.key");
  const p = Bun.spawn(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"], { stdout: "ignore", stderr: "ignore" });
  if ((await p.exited) !== 0) throw new Error("bench:edge: openssl could not make a certificate");
  return { cert, key };
}

async function tlsPhase(): Promise<void> {
  const sha = CASES.find((c) => c.algo === "sha256d") ?? CASES[0]!;
  const doc = parseYaml(configYaml(redis.url, [sha])) as { stratum: Record<string, Record<string, unknown>> };
  doc.stratum[sha.algo]!.tls = { mode: "auto", ...(await selfSigned()) };
  const cfgT = join(dir, "edge-tls.yml");
  writeFileSync(cfgT, stringify(doc));
  console.log(`TLS next to plain TCP (${sha.algo}, one port with tls.mode auto, TLS 1.3, ${CONNS} connections)`);
  const rows: { name: string; rate: number; cpu: number; p50: number; p99: number; perConn: number }[] = [];
  server = await spawnEdge(cfgT, join(dir, "spool-t"), CORES);
  for (const tls of [false, true]) {
    console.log(` ${tls ? "TLS" : "TCP"}:`);
    group = new LoadGroup({ port: server.ports[sha.algo]!, user: USER, depth: DEPTH, maxSamples: 200_000, tls });
    await group.connect(CONNS, CONNS, 30_000);
    const { median } = await saturate(server, group, redisPid, "edge");
    const latency = await paced(server, group, redisPid, LATENCY_RATE, "edge");
    rows.push({ name: tls ? "TLS" : "TCP", rate: median.rate, cpu: median.cpuPerShareUs, p50: latency.p50, p99: latency.p99, perConn: NaN });
    group.close();
    group = undefined;
  }
  await finishServer();
  // Memory per idle connection: a fresh edge for each transport, so neither inherits the other's heap.
  const n = Math.min(QUICK ? 500 : 2000, IDLE_TOP);
  for (const [i, tls] of [false, true].entries()) {
    server = await spawnEdge(cfgT, join(dir, `spool-t${i}`), 1);
    await Bun.sleep(2000);
    const base = { rss: rssKiB(server.pid), heap: (await server.memory()).heapUsed / 1024 };
    console.log(` idle ${tls ? "TLS" : "TCP"} connections (fresh edge, RSS before ${(base.rss / 1024).toFixed(1)} MiB):`);
    group = new LoadGroup({ port: server.ports[sha.algo]!, user: USER, depth: 1, tls });
    const row = await idleAt(server, group, base, n, 0);
    rows[i]!.perConn = (row.afterRamp - base.rss) / n;
    await finishServer();
  }
  const [tcp, tls] = rows as [(typeof rows)[0], (typeof rows)[0]];
  console.log(
    ` TLS vs TCP: throughput ${fmtRate(tls.rate)} vs ${fmtRate(tcp.rate)} (${(tls.rate / tcp.rate).toFixed(2)} ×), ${tls.cpu.toFixed(1)} vs ${tcp.cpu.toFixed(1)} µs edge CPU per share; ` +
      `reply latency at ${fmtRate(LATENCY_RATE)} p50 ${tls.p50.toFixed(2)} vs ${tcp.p50.toFixed(2)} ms, p99 ${tls.p99.toFixed(2)} vs ${tcp.p99.toFixed(2)} ms; ` +
      `idle memory ${tls.perConn.toFixed(1)} vs ${tcp.perConn.toFixed(1)} KiB per connection (${n} each)\n`,
  );
}

// ---------------------------------------------------------------- run
const started = performance.now();
const load0 = loadavg()[0]!;
const cpu0 = machineCpu();
const openFiles = Number(/Max open files\s+(\d+)/.exec(readFileSync("/proc/self/limits", "utf8"))?.[1] ?? 1024);
const IDLE_TOP = Math.min(10_000, openFiles - 500);
console.log(`bench:edge  ${new Date().toISOString()}  Bun ${Bun.version}  ${cpus()[0]?.model ?? "cpu?"}`);
console.log(`cores ${CORES}, open files ${openFiles} per process, load average ${load0.toFixed(2)}${QUICK ? "  (--quick)" : ""}`);
console.log(`phases: ${WARMUP_MS} ms warm-up + ${TRIALS} windows of ${TRIAL_MS} ms (median reported, best shown); ${CONNS} connections, ${DEPTH} in flight each; merkle branch ${BRANCH}; idle hold ${HOLD_MS / 1000} s\n`);
if (IDLE_TOP < 10_000) console.log(`note: open-files limit ${openFiles}: idle phase capped at ${IDLE_TOP} connections\n`);

const dir = mkdtempSync(join(tmpdir(), "pp-bench-edge-"));
const redis = await startRedis();
const quietLog = createLogger("bench", { level: "error", format: "text", components: {} });
const publisher = new JobPublisher({ redis: redis.client, prefix: PREFIX, log: quietLog });
const redisPid = Number(/process_id:(\d+)/.exec(await redis.client.info("server"))?.[1] ?? 0);
let server: EdgeProcess | undefined;
let group: LoadGroup | undefined;
let cleaned = false;
async function cleanup(): Promise<void> {
  if (cleaned) return;
  cleaned = true;
  group?.close();
  await server?.stop();
  await publisher.stop(500);
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
}
for (const sig of ["SIGINT", "SIGTERM"] as const)
  process.on(sig, () => {
    console.error(`\n${sig}: stopping the servers and redis`);
    void cleanup().finally(() => process.exit(130));
  });
/** Stops the current server and its clients before the next one starts (each phase owns the file-descriptor budget). */
async function finishServer(): Promise<void> {
  group?.close();
  group = undefined;
  await server?.stop();
  server = undefined;
}

const figures: Figures = {
  quick: QUICK,
  cores: CORES,
  cpu: cpus()[0]?.model ?? "?",
  bun: Bun.version,
  branch: BRANCH,
  conns: CONNS,
  depth: DEPTH,
  algos: [],
  idle: [],
  fanout: [],
  holdSeconds: HOLD_MS / 1000,
  seconds: 0,
  loadBefore: load0,
  loadAfter: load0,
  busyRun: 0,
  stealRun: 0,
  floor: undefined,
};
try {
  // ---------------- 1 + 2: throughput and latency, one edge serving every algorithm
  for (const c of CASES) await publisher.publish(benchJob(c));
  if (PHASES.has("throughput")) {
    const cfgA = join(dir, "edge-a.yml");
    writeFileSync(cfgA, configYaml(redis.url, CASES));
    const hashRates = new Map<string, { rate: number; how: string }>();
    for (const c of CASES) hashRates.set(c.algo, await hashOnlyRate(c));
    server = await spawnEdge(cfgA, join(dir, "spool-a"), CORES);
    for (const c of CASES) {
      const hash = hashRates.get(c.algo)!;
      console.log(`${c.algo}: hash-only ${fmtRate(hash.rate)} (${hash.how}; ${(1e6 / hash.rate).toFixed(2)} µs per hash)`);
      group = new LoadGroup({ port: server.ports[c.algo]!, user: USER, depth: DEPTH, maxSamples: 200_000 });
      await group.connect(CONNS, CONNS, 15_000);
      const { median: throughput, best: throughputBest } = await saturate(server, group, redisPid, "edge", hash.rate);
      // scrypt's workers need both cores at 10 k/s, which the load generator and Redis share: it is
      // paced at about a quarter of its saturated rate, so the figure is latency, not queueing.
      const rate = c.algo === "scrypt" ? Math.min(LATENCY_RATE, Math.max(1000, Math.floor(throughput.rate / 4000) * 1000)) : LATENCY_RATE;
      const latency = await paced(server, group, redisPid, rate, "edge");
      console.log("");
      figures.algos.push({ algo: c.algo, hashRate: hash.rate, hashHow: hash.how, throughput, throughputBest, latency });
      group.close();
      group = undefined;
    }
    await finishServer();
  }

  // ---------------- 3 + 4: idle connections and fan-out, a fresh sha256d edge
  if (PHASES.has("idle")) {
    const sha = CASES.find((c) => c.algo === "sha256d") ?? CASES[0]!;
    const cfgB = join(dir, "edge-b.yml");
    writeFileSync(cfgB, configYaml(redis.url, [sha]));
    server = await spawnEdge(cfgB, join(dir, "spool-b"), 1);
    await Bun.sleep(2000);
    const base = { rss: rssKiB(server.pid), heap: (await server.memory()).heapUsed / 1024 };
    console.log(`idle connections (${sha.algo} port, fresh edge): RSS before ${(base.rss / 1024).toFixed(1)} MiB (JS heap ${(base.heap / 1024).toFixed(1)} MiB)`);
    group = new LoadGroup({ port: server.ports[sha.algo]!, user: USER, depth: 1 });
    const publish = () => publisher.publish(benchJob(sha));
    figures.idle.push(await idleAt(server, group, base, Math.min(1000, IDLE_TOP), 0));
    figures.fanout.push(await fanOut(server, group, publish));
    figures.idle.push(await idleAt(server, group, base, IDLE_TOP, HOLD_MS));
    figures.fanout.push(await fanOut(server, group, publish));
    await finishServer();
  }

  // ---------------- TLS next to plain TCP (issue 14): one port in tls.mode auto, same run
  if (PHASES.has("tls")) await tlsPhase();

  // ---------------- floor: the same load against a bare Bun.listen server that checks nothing
  if (PHASES.has("floor")) {
    console.log(`\nfloor: bare Bun.listen server (answers true, checks nothing), same load generator`);
    const floor = await spawnFloor();
    server = floor;
    await Bun.sleep(1000);
    const floorBase = { rss: rssKiB(floor.pid), heap: (await floor.memory()).heapUsed / 1024 };
    group = new LoadGroup({ port: floor.ports.floor!, user: USER, depth: DEPTH, maxSamples: 200_000 });
    await group.connect(CONNS, CONNS, 15_000);
    const { median: throughput } = await saturate(floor, group, 0, "floor");
    const latency = await paced(floor, group, 0, LATENCY_RATE, "floor");
    group.close();
    group = new LoadGroup({ port: floor.ports.floor!, user: USER, depth: 1 });
    const idle = await idleAt(floor, group, floorBase, IDLE_TOP, 0);
    // The job the edge fanned out, so the floor writes the edge's bytes (a ~1.3 KB notify, 12-level branch).
    const floorJob = () => benchJob(CASES.find((c) => c.algo === "sha256d") ?? CASES[0]!);
    const fan = await fanOut(floor, group, async () => floor.notify(floorJob()));
    const edgeFan = figures.fanout.find((x) => x.connections === fan.connections);
    if (edgeFan) console.log(`  fan-out ratio, edge / bare server at ${fan.connections}: ${(edgeFan.last / fan.last).toFixed(2)}× median, ${(edgeFan.lastBest / fan.lastBest).toFixed(2)}× best, write loop CPU ${(edgeFan.edgeCpu / fan.edgeCpu).toFixed(2)}×`);
    await finishServer();
    // The same clients spread over one bare process per core sharing the port: the floor of edge worker processes.
    console.log(`\nfloor: ${CORES} bare processes sharing one port (SO_REUSEPORT), same fan-out`);
    const floors = await spawnFloorGroup(CORES);
    server = floors;
    group = new LoadGroup({ port: floors.ports.floor!, user: USER, depth: 1 });
    await group.connect(IDLE_TOP, 250, 180_000);
    const spread = await fanOut(floors, group, async () => floors.notify(floorJob()));
    figures.floor = { throughput, latency, idle, fanout: fan, fanoutProcesses: { ...spread, processes: CORES } };
    await finishServer();
  }

  // ---------------- 6: Stratum V2 (bench/sv2.ts: its own edge, Redis and load, in this run)
  if (PHASES.has("sv2")) {
    console.log(`\nStratum V2 (bench/sv2.ts)`);
    const sv2 = Bun.spawn([process.execPath, new URL("./sv2.ts", import.meta.url).pathname, ...(QUICK ? ["--quick"] : [])], { stdout: "inherit", stderr: "inherit" });
    if ((await sv2.exited) !== 0) console.log(`bench/sv2.ts failed (exit ${sv2.exitCode})`);
  }

  // ---------------- heartbeat and client-list sizes (bench/heartbeat.ts, its own process: 100 k sessions)
  if (PHASES.has("heartbeat")) {
    console.log("\nheartbeat and client list (bench/heartbeat.ts)");
    const hb = Bun.spawn([process.execPath, join(import.meta.dir, "heartbeat.ts"), ...(QUICK ? ["--quick"] : [])], { stdout: "inherit", stderr: "inherit" });
    if ((await hb.exited) !== 0) throw new Error("bench/heartbeat.ts failed");
  }
} finally {
  await cleanup();
}

figures.seconds = (performance.now() - started) / 1000;
figures.loadAfter = loadavg()[0]!;
const cpu1 = machineCpu();
figures.busyRun = (cpu1.busy - cpu0.busy) / (cpu1.total - cpu0.total);
figures.stealRun = (cpu1.steal - cpu0.steal) / (cpu1.total - cpu0.total);
console.log(`\n${summarize(figures)}`);
if (argv.includes("--readme")) {
  updateReadme(new URL("../README.md", import.meta.url).pathname, figures);
  console.log("README.md: Benchmarks → Edge updated");
}
console.log(`\nload average ${load0.toFixed(2)} -> ${loadavg()[0]!.toFixed(2)}; took ${((performance.now() - started) / 1000).toFixed(0)} s`);
