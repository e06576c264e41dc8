/**
 * @module Process-level measurements for `bun run bench:edge`: CPU time of a process, of one of its
 * threads and of the whole machine from /proc, RSS, and the server under test as a child process
 * (the edge, bench/edge-server.ts, or the bare floor, bench/edge-floor.ts) driven over IPC.
 * Linux only, as the benchmark is.
 */
import { readFileSync } from "node:fs";
import type { JobV1 } from "../shared/contract/index.ts";
import type { FromEdge, ToEdge } from "./edge-protocol.ts";
import type { Window } from "./edge-report.ts";

/** Clock ticks per second of /proc's CPU times (USER_HZ). */
const TICKS = (() => {
  const out = Bun.spawnSync(["getconf", "CLK_TCK"]).stdout.toString().trim();
  const n = Number(out);
  return Number.isFinite(n) && n > 0 ? n : 100;
})();

/** utime + stime in seconds from a /proc/…/stat line (fields 14 and 15; the name may hold spaces). */
function statCpu(path: string): number {
  const text = readFileSync(path, "utf8");
  const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / TICKS;
}

/** CPU seconds used by a whole process (all threads). */
export const processCpu = (pid: number) => statCpu(`/proc/${pid}/stat`);
/** CPU seconds used by one thread (a process's main thread has tid = pid). */
export const threadCpu = (pid: number, tid = pid) => statCpu(`/proc/${pid}/task/${tid}/stat`);

/**
 * Machine-wide CPU over all cores since boot, seconds: busy (this machine's own work), steal (time
 * the hypervisor ran someone else while this VM wanted a core) and total.
 */
export function machineCpu(): { busy: number; steal: number; total: number } {
  const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already inside user).
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = v[3]! + v[4]!;
  const steal = v[7]!;
  return { busy: (total - idle - steal) / TICKS, steal: steal / TICKS, total: total / TICKS };
}

/** Resident set size in KiB (VmRSS). */
export function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!m) throw new RangeError(`rssKiB: expected a VmRSS line for pid ${pid}, got none`);
  return Number(m[1]);
}

export type FanOutReport = Extract<FromEdge, { type: "fanout" }>;
export type MemoryReport = Extract<FromEdge, { type: "memory" }>;

export interface EdgeProcess {
  readonly pid: number;
  readonly ports: Readonly<Record<string, number>>;
  /** Fan-out reports in arrival order. */
  readonly fanOuts: FanOutReport[];
  memory(): Promise<MemoryReport>;
  /** Floor server only: broadcast a new job now. */
  notify(job?: JobV1): void;
  stop(): Promise<void>;
}

/** Starts the edge (bench/edge-server.ts) and waits for its listeners. */
export function spawnEdge(configFile: string, spoolDir: string, powWorkers: number): Promise<EdgeProcess> {
  return spawnServer("./edge-server.ts", [configFile, spoolDir, String(powWorkers)]);
}

/** Starts the bare floor server (bench/edge-floor.ts). */
export function spawnFloor(): Promise<EdgeProcess> {
  return spawnServer("./edge-floor.ts", []);
}

/**
 * Starts `n` floor servers sharing one port (SO_REUSEPORT), driven as one: `notify` goes to all,
 * and a fan-out report covers all (first start, last end, CPU of the busiest, clients summed).
 * `pid` and `memory()` are the first process's.
 */
export async function spawnFloorGroup(n: number): Promise<EdgeProcess> {
  const first = await spawnServer("./edge-floor.ts", ["--reuse-port"]);
  const port = first.ports.floor!;
  const all = [first, ...(await Promise.all(Array.from({ length: n - 1 }, () => spawnServer("./edge-floor.ts", ["--port", String(port), "--reuse-port"]))))];
  const fanOuts: FanOutReport[] = [];
  let taken = 0;
  const collect = () => {
    while (all.every((p) => p.fanOuts.length > taken)) {
      const r = all.map((p) => p.fanOuts[taken]!);
      taken++;
      fanOuts.push({
        ...r[0]!,
        startAt: Math.min(...r.map((x) => x.startAt)),
        endAt: Math.max(...r.map((x) => x.endAt)),
        cpuMs: Math.max(...r.map((x) => x.cpuMs)),
        clients: r.reduce((k, x) => k + x.clients, 0),
      });
    }
  };
  return {
    pid: first.pid,
    ports: first.ports,
    get fanOuts() {
      collect();
      return fanOuts;
    },
    memory: () => first.memory(),
    notify(job) {
      for (const p of all) p.notify(job);
    },
    async stop() {
      await Promise.all(all.map((p) => p.stop()));
    },
  };
}

/** Starts a bench server script and waits for its "ready" (bounded by `timeoutMs`). */
async function spawnServer(script: string, args: readonly string[], timeoutMs = 30_000): Promise<EdgeProcess> {
  const fanOuts: FanOutReport[] = [];
  const waiters = new Map<FromEdge["type"], ((m: FromEdge) => void)[]>();
  const next = <T extends FromEdge["type"]>(type: T, ms: number) =>
    new Promise<Extract<FromEdge, { type: T }>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${script}: no "${type}" message within ${ms} ms`)), ms);
      const list = waiters.get(type) ?? [];
      list.push((m) => {
        clearTimeout(timer);
        resolve(m as Extract<FromEdge, { type: T }>);
      });
      waiters.set(type, list);
    });
  // BENCH_EDGE_PROF=<dir>: Bun's CPU profile of the edge (markdown), written when it exits.
  const prof = process.env.BENCH_EDGE_PROF ? ["--cpu-prof", "--cpu-prof-md", `--cpu-prof-dir=${process.env.BENCH_EDGE_PROF}`] : [];
  // BENCH_EDGE_GC=1: JavaScriptCore's GC log (BUN_JSC_logGC) of the server only, on stderr: its pauses.
  const env = process.env.BENCH_EDGE_GC ? { ...process.env, BUN_JSC_logGC: "true" } : undefined;
  const proc = Bun.spawn([process.execPath, ...prof, new URL(script, import.meta.url).pathname, ...args], {
    env,
    stdout: "inherit",
    stderr: "inherit",
    serialization: "json",
    ipc(message: FromEdge) {
      if (message.type === "fanout") fanOuts.push(message);
      if (message.type === "failed") for (const w of waiters.get("ready")?.splice(0) ?? []) w(message);
      for (const w of waiters.get(message.type)?.splice(0, 1) ?? []) w(message);
    },
  });
  const send = (m: ToEdge) => proc.send(m);
  // A "failed" message is handed to the "ready" waiter (see ipc above), hence the wider type.
  const first: FromEdge = await Promise.race([
    next("ready", timeoutMs),
    proc.exited.then((code) => ({ type: "failed", message: `exited with code ${code}` }) as const),
  ]);
  if (first.type !== "ready") {
    proc.kill("SIGKILL");
    throw new Error(`${script} did not start: ${first.type === "failed" ? first.message : "unexpected message"}`);
  }
  return {
    pid: proc.pid,
    ports: first.ports,
    fanOuts,
    memory() {
      const reply = next("memory", 5000);
      send({ type: "memory" });
      return reply;
    },
    notify(job) {
      send({ type: "notify", ...(job ? { job } : {}) });
    },
    async stop() {
      if (proc.exitCode !== null) return;
      const stopped = next("stopped", 15_000).catch(() => undefined);
      send({ type: "stop" });
      await Promise.race([stopped, Bun.sleep(15_000)]);
      const exited = await Promise.race([proc.exited, Bun.sleep(5000).then(() => undefined)]);
      if (exited === undefined) {
        proc.kill("SIGKILL");
        await proc.exited;
      }
    },
  };
}

// ---------------------------------------------------------------- measurement windows
export interface Snap {
  readonly t: number;
  readonly edge: number;
  readonly edgeMain: number;
  readonly gen: number;
  readonly redis: number;
  readonly busy: number;
  readonly steal: number;
  readonly total: number;
  readonly answered: number;
  readonly accepted: number;
}

/** CPU counters of the server, its main thread, this process, Redis and the machine, with the load generator's reply counts. */
export function snap(edge: EdgeProcess, redisPid: number, g: { readonly answered: number; readonly accepted: number }): Snap {
  const m = machineCpu();
  const u = process.cpuUsage();
  return {
    t: performance.now(),
    edge: processCpu(edge.pid),
    edgeMain: threadCpu(edge.pid),
    gen: (u.user + u.system) / 1e6,
    redis: redisPid > 0 ? processCpu(redisPid) : 0,
    busy: m.busy,
    steal: m.steal,
    total: m.total,
    answered: g.answered,
    accepted: g.accepted,
  };
}

/** The window between two snapshots. */
export function diff(a: Snap, b: Snap): Window {
  const seconds = (b.t - a.t) / 1000;
  const shares = b.answered - a.answered;
  const edgeMain = b.edgeMain - a.edgeMain;
  return {
    seconds,
    shares,
    accepted: b.accepted - a.accepted,
    rate: shares / seconds,
    cpuPerShareUs: ((b.edge - a.edge) * 1e6) / Math.max(1, shares),
    edgeCores: (b.edge - a.edge) / seconds,
    edgeMainCores: edgeMain / seconds,
    genCores: (b.gen - a.gen) / seconds,
    redisCores: (b.redis - a.redis) / seconds,
    machine: (b.busy - a.busy) / Math.max(1e-9, b.total - a.total),
    steal: (b.steal - a.steal) / Math.max(1e-9, b.total - a.total),
    perMainCore: edgeMain > 0 ? shares / edgeMain : 0,
  };
}

export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
