/**
 * Celery reporter against a REAL Celery worker (issue 9 §3): a core and an edge with a bcoin regtest
 * node, a private Redis for the accounting and another as the Celery broker, and Debian's Celery 5
 * worker (`/usr/bin/python3 -m celery … worker`) running a tiny `simplecoin.tasks` module that
 * appends every call it receives to a JSON-lines file — exactly what SimpleCoin 0.7 would get.
 *
 * Port `main` reports to a double reporter [redis, legacy]; port `side` to the stand-alone celery
 * reporter `solo` (its own queue). Every accepted share is a block on regtest. Checked: Redis keys
 * as before AND the worker's add_share/add_one_minute amounts; add_block on both reporters for
 * every block (spec §15 item 17); with the broker stopped mid-run the Redis accounting goes on,
 * tasks wait and arrive once it is back, nothing lost or doubled.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startCore, type RunningCore } from "../../core/app.ts";
import type { BlockResult } from "../../core/blocks/index.ts";
import type { CeleryReporterStatus } from "../../core/reporters/index.ts";
import { startEdge, type RunningEdge } from "../../edge/app.ts";
import { DEMO_POOL_ADDRESS } from "../../scripts/demo/config.ts";
import { base58CheckEncode, bytesToRpcHex, concatBytes, sha256d } from "../../shared/bitcoin/index.ts";
import { addressChecker } from "../../shared/config/addresses.ts";
import { parseConfig } from "../../shared/config/load.ts";
import { createLogger } from "../../shared/log.ts";
import { startBcoin, type BcoinNode } from "../helpers/bcoin.ts";
import { buildHeader, TestMiner, type StratumMessage } from "../helpers/miner.ts";
import { freePort, startRedis, type PrivateRedis } from "../helpers/redis.ts";
import { notableLines, untilWith } from "../helpers/until.ts";

const PYTHON = "/usr/bin/python3";
const DIFF = 1e-8;
const MINUTE_S = 2;
const addr = (fill: number) => base58CheckEncode(concatBytes(Uint8Array.of(0x3c), new Uint8Array(20).fill(fill)));
const A = addr(0x51);
const B = addr(0x52);

/** SimpleCoin's side: each call the worker ran, with the queue it came from. */
interface Call {
  task: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
  queue: string;
}

const TASKS_PY = `
import json, os
from celery import Celery

app = Celery("pptasks", broker=os.environ["BROKER"])
app.conf.broker_connection_retry = True
app.conf.broker_connection_max_retries = None
OUT = os.environ["OUT"]

def record(task, name, args, kwargs):
    line = {"task": name, "args": list(args), "kwargs": kwargs, "queue": (task.request.delivery_info or {}).get("routing_key")}
    with open(OUT, "a") as f:
        f.write(json.dumps(line) + "\\n")

for _name in ("add_share", "add_one_minute", "add_block", "agent_receive"):
    def _make(name):
        @app.task(name="simplecoin.tasks." + name, bind=True)
        def _task(self, *args, **kwargs):
            record(self, name, args, kwargs)
        return _task
    _make(_name)
`;

function celeryAvailable(): boolean {
  if (!existsSync(PYTHON)) return false;
  return Bun.spawnSync([PYTHON, "-c", "import celery, redis"], { stdout: "ignore", stderr: "ignore" }).exitCode === 0;
}

interface Worker {
  calls(): Call[];
  stop(): Promise<void>;
}

async function startWorker(dir: string, brokerUrl: string): Promise<Worker> {
  if (!celeryAvailable()) throw new Error(`Celery is not installed for ${PYTHON}: apt-get install -y python3-celery python3-redis (this test starts a real Celery worker)`);
  writeFileSync(join(dir, "pptasks.py"), TASKS_PY);
  const out = join(dir, "calls.jsonl");
  const logFile = join(dir, "worker.log");
  writeFileSync(out, "");
  const proc = Bun.spawn([PYTHON, "-m", "celery", "-A", "pptasks", "worker", "--pool", "solo", "--concurrency", "1", "-Q", "celery,solo", "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "INFO", "--logfile", logFile], {
    cwd: dir,
    env: { PATH: "/usr/bin:/bin", HOME: dir, LANG: "C.UTF-8", BROKER: brokerUrl, OUT: out },
    stdout: "ignore",
    stderr: "ignore",
  });
  const deadline = Date.now() + 30_000;
  while (!(existsSync(logFile) && readFileSync(logFile, "utf8").includes(" ready."))) {
    if (proc.exitCode !== null) throw new Error(`celery worker exited with ${proc.exitCode}: ${existsSync(logFile) ? readFileSync(logFile, "utf8").slice(-2000) : "(no log)"}`);
    if (Date.now() > deadline) throw new Error("celery worker did not become ready within 30 s");
    await Bun.sleep(50);
  }
  return {
    calls: () =>
      readFileSync(out, "utf8")
        .split("\n")
        .filter((l) => l.trim() !== "")
        .map((l) => JSON.parse(l) as Call),
    async stop() {
      proc.kill("SIGTERM");
      const done = await Promise.race([proc.exited.then(() => true), Bun.sleep(5000).then(() => false)]);
      if (!done) {
        proc.kill("SIGKILL");
        await proc.exited;
      }
    },
  };
}

const logLines: string[] = [];
const log = createLogger("celery-e2e", { level: "info", format: "text", components: {}, write: (l) => logLines.push(l) });

const until = untilWith(() => notableLines(logLines), { everyMs: 50 });

/** What the miners were told, per `<user>.<worker>` and type. */
class Told {
  readonly amounts = new Map<string, number>();
  /** Counts a submit reply: accepted, duplicate (22), low difficulty (23) or stale (21). */
  reply(user: string, worker: string, reply: StratumMessage, diff: number): void {
    const code = reply.result === true ? 0 : Number((reply.error as unknown[] | null)?.[0]);
    const type = ({ 0: "acc", 22: "dup", 23: "low", 21: "stale" } as const)[code as 0 | 22 | 23 | 21];
    if (type === undefined) throw new Error(`unexpected submit reply ${reply.raw}`);
    const k = `${user}.${worker}:${type}`;
    this.amounts.set(k, (this.amounts.get(k) ?? 0) + diff);
  }
  get(user: string, type: ShareType): number {
    return this.amounts.get(`${user}.rig:${type}`) ?? 0;
  }
}

type ShareType = "acc" | "dup" | "low" | "stale";
const KWARG_TYPE: Record<string, ShareType> = { dup_shares: "dup", low_diff_shares: "low", stale_shares: "stale" };

/** The worker's add_one_minute calls of one queue summed like Told, plus add_share per address. */
function received(calls: readonly Call[], queue: string) {
  const minutes = new Map<string, number>();
  const shares = new Map<string, number>();
  const stamps: number[] = [];
  for (const c of calls.filter((x) => x.queue === queue)) {
    if (c.task === "add_share") shares.set(String(c.args[0]), (shares.get(String(c.args[0])) ?? 0) + Number(c.args[1]));
    if (c.task !== "add_one_minute") continue;
    const k = c.kwargs;
    stamps.push(Number(k.minute));
    const typed = Object.keys(k).find((x) => x in KWARG_TYPE);
    const type = typed === undefined ? "acc" : KWARG_TYPE[typed];
    const key = `${String(k.user)}.${String(k.worker)}:${type}`;
    minutes.set(key, (minutes.get(key) ?? 0) + Number(typed === undefined ? k.valid_shares : k[typed]));
  }
  return { minutes, shares, stamps };
}

/** Float sums added up in another order may differ in the last bits. */
const close = (a: number | undefined, b: number) => (a ?? 0) === b || Math.abs((a ?? 0) - b) <= 1e-9 * Math.abs(b);

describe("celery reporter with a real Celery worker", () => {
  let accountingRedis: PrivateRedis;
  let broker: PrivateRedis;
  let node: BcoinNode;
  let core: RunningCore;
  let edge: RunningEdge;
  let worker: Worker;
  let dir: string;
  const miners: TestMiner[] = [];
  const blocks: BlockResult[] = [];
  const told = new Told();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "pp-celery-"));
    [accountingRedis, broker, node] = await Promise.all([startRedis(), startRedis(), startBcoin()]);
    worker = await startWorker(dir, broker.url);
    await node.mine(1);
    const cs = node.coinserver({ name: "bcoin-regtest" });
    const diff = `start_difficulty: ${DIFF}, minimum_manual_diff: 1.0e-9, vardiff: {enabled: false, minimum_difficulty: 1.0e-9, maximum_difficulty: 1}`;
    const config = parseConfig(
      `
pool: {procname: celery-e2e, datagram: {enabled: false}, events: {enabled: false}}
coins:
  BTC:
    algo: sha256d
    network: bcoin-regtest
    pool_address: ${DEMO_POOL_ADDRESS}
    coinservs: [{address: ${cs.address}, port: ${cs.port}, username: pool, password: "${cs.password}", name: ${cs.name}}]
    block_poll: 0.2
stratum:
  main: {address: 127.0.0.1, port: ${freePort()}, reporter: both, ${diff}}
  side: {address: 127.0.0.1, port: ${freePort()}, reporter: solo, ${diff}}
edges: {eu: {}}
reporters:
  redis: {type: redis, chain: 1}
  legacy:
    type: celery
    broker: "${broker.url}"
    share_batch_interval: 1
    pool_report_configs: [{user: pool, worker_format_string: "{currency}"}]
  solo: {type: celery, broker: "${broker.url}", queue: solo, share_batch_interval: 1}
  both: {type: double, reporters: [redis, legacy]}
redis: {url: "${accountingRedis.url}", prefix: "ce:"}
monitor: {enabled: true, address: 127.0.0.1, port: ${freePort()}}
`,
      "celery-e2e.yml",
      { addresses: addressChecker },
    );
    core = await startCore(config, log.child("core"), {
      consumer: "celery-core",
      monitor: { port: 0 },
      celery: { minuteSeconds: MINUTE_S, graceMs: 200, stopDrainMs: 10_000, outbox: { minBackoffMs: 100, maxBackoffMs: 1000, pollMs: 100 }, consumer: { blockMs: 200 } },
    });
    core.onBlock((b) => blocks.push(b));
    edge = await startEdge(config, "eu", log.child("eu"), { spoolDir: join(dir, "spool"), listenPorts: { main: 0, side: 0 }, hostname: "127.0.0.1", powWorkers: 1 });
    for (const [port, address] of [["main", A], ["side", B]] as const) {
      const m = await TestMiner.connect(edge.stratum.listeners.get(port)!.port);
      expect((await m.cpuMinerHandshake(`${address}.rig`)).authorize.result).toBe(true);
      miners.push(m);
    }
  }, 60_000);

  afterAll(async () => {
    for (const m of miners) m[Symbol.dispose]();
    await edge?.stop().catch(() => {});
    await core?.stop().catch(() => {});
    await worker?.stop();
    await node?.stop();
    await Promise.all([accountingRedis?.stop(), broker?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** One accepted share (a block on regtest) for the miner, retried after a stale answer; with `extras`, the same share again and a low one in the same write. */
  async function mine(i: number, extras = false): Promise<BlockResult> {
    const m = miners[i]!;
    const user = i === 0 ? A : B;
    for (let attempt = 0; attempt < 5; attempt++) {
      const job = m.lastJob!;
      const share = m.mineShare(job);
      const subs = extras ? [share, share, m.lowShare(job)] : [share];
      const ids = subs.map(() => `s${++requestId}`);
      m.sendRaw(subs.map((x, k) => `${JSON.stringify({ id: ids[k], method: "mining.submit", params: [`${user}.rig`, x.jobId, x.extranonce2, x.ntime, x.nonce] })}\n`).join(""));
      const replies: StratumMessage[] = [];
      for (const id of ids) replies.push(await m.next((x) => x.id === id));
      for (const r of replies) told.reply(user, "rig", r, job.difficulty);
      if (replies[0]!.result !== true) {
        await until("a newer job", () => m.lastJob !== job);
        continue;
      }
      const hash = bytesToRpcHex(sha256d(buildHeader(job, m.extranonce1, share, m.versionMask)));
      const b = await until(`the block result for ${hash}`, () => blocks.find((x) => x.hash === hash));
      expect(b.accepted).toBe(true);
      // Both miners get the next block's job before the next share.
      for (const other of miners) await until("the new job", () => other.lastJob !== undefined && other.lastJob.prevhash !== job.prevhash);
      return b;
    }
    throw new Error("five stale answers in a row");
  }
  let requestId = 0;
  /** Every accepted block (a low share can be a block too: regtest's target is easier than 1e-8). */
  const accepted = () => blocks.filter((b) => b.accepted).map((b) => b.hash);

  const legacy = () => core.reporters.status().legacy as CeleryReporterStatus;
  const blockCalls = (queue: string) => worker.calls().filter((c) => c.task === "add_block" && c.queue === queue).map((c) => String(c.kwargs.hash_hex));

  test("shares reach Redis as before AND the Celery worker; every block reaches both reporters", async () => {
    await mine(0, true);
    await mine(1, true);
    await mine(0);
    // Redis (the double's redis child): SimpleCoin's keys for port main only.
    await until("Redis min_acc for A", async () => {
      let sum = 0;
      for (const k of await accountingRedis.client.keys("min_acc_sha256d_*")) sum += Number((await accountingRedis.client.hget(k, `${A}.rig`)) ?? 0);
      return close(sum, told.get(A, "acc"));
    });
    expect(await accountingRedis.client.hget((await accountingRedis.client.keys("min_dup_sha256d_*"))[0]!, `${A}.rig`)).not.toBeNull();
    for (const k of await accountingRedis.client.keys("min_*")) expect(await accountingRedis.client.hget(k, `${B}.rig`)).toBeNull();
    // The worker: add_share and add_one_minute with the miners' amounts, per reporter queue.
    await until("the worker to receive A's and B's valid shares", () => {
      const l = received(worker.calls(), "celery");
      const s = received(worker.calls(), "solo");
      return close(l.shares.get(A), told.get(A, "acc")) && close(s.shares.get(B), told.get(B, "acc")) && close(l.minutes.get(`${A}.rig:acc`), told.get(A, "acc")) && close(s.minutes.get(`${B}.rig:low`), told.get(B, "low"));
    });
    const l = received(worker.calls(), "celery");
    expect(l.shares.has(B)).toBe(false);
    expect(close(l.minutes.get(`${A}.rig:dup`), told.get(A, "dup"))).toBe(true);
    expect(close(l.minutes.get(`${A}.rig:low`), told.get(A, "low"))).toBe(true);
    expect(close(l.minutes.get("pool.BTC:acc"), told.get(A, "acc"))).toBe(true);
    for (const stamp of l.stamps) expect(stamp % MINUTE_S).toBe(0);
    // add_block on the double's celery child AND on the stand-alone reporter, plus unproc_block in Redis.
    const hashes = accepted();
    await until("add_block for every block on both queues", () => hashes.every((h) => blockCalls("celery").includes(h) && blockCalls("solo").includes(h)));
    for (const h of hashes) expect(await accountingRedis.client.hget(`unproc_block_${h}`, "address")).not.toBeNull();
    const first = worker.calls().find((c) => c.task === "add_block" && c.kwargs.hash_hex === hashes[0])!;
    const b0 = blocks.find((b) => b.hash === hashes[0])!;
    expect(first.kwargs).toEqual({ user: b0.address, height: b0.height, total_value: Number(b0.totalSubsidy), transaction_fees: Number(b0.fees), bits: b0.hexBits, hash_hex: b0.hash, merged: null, worker: "rig" });
    expect(first.args).toEqual([]);
  }, 60_000);

  test("broker down mid-run: the Redis accounting goes on, tasks are retried with back-off and arrive once it is back", async () => {
    await broker.stopServer();
    const before = worker.calls().length;
    const b = await mine(0, true);
    // Redis goes on: the block and the shares are recorded while the broker is away.
    await until("the block in Redis", async () => (await accountingRedis.client.hget(`unproc_block_${b.hash}`, "address")) === A);
    await until("Redis min_acc for A", async () => {
      let sum = 0;
      for (const k of await accountingRedis.client.keys("min_acc_sha256d_*")) sum += Number((await accountingRedis.client.hget(k, `${A}.rig`)) ?? 0);
      return close(sum, told.get(A, "acc"));
    });
    await until("the reporter to report failing", () => legacy().failing_since !== null && legacy().queue_size > 0);
    expect(legacy().last_error).toContain("celery broker");
    // The monitor shows it as PowerPool's CeleryReporter component.
    const shown = (await (await fetch(`${core.monitor!.url}CeleryReporter_legacy/`)).json()) as CeleryReporterStatus;
    expect(shown).toMatchObject({ failing_since: expect.any(String), broker_connected: false });
    expect(shown.queue_size).toBeGreaterThan(0);
    expect(worker.calls().length).toBe(before);
    await Bun.sleep(1500); // a few back-off rounds
    const failingLines = logLines.filter((l) => l.includes("sending to the celery broker (queue celery): failing"));
    expect(failingLines).toHaveLength(1);
    await broker.startServer();
    await until(
      "the queued tasks at the worker",
      () => blockCalls("celery").includes(b.hash) && blockCalls("solo").includes(b.hash) && close(received(worker.calls(), "celery").shares.get(A), told.get(A, "acc")),
      40_000,
    );
    await until("the reporter to recover", () => legacy().failing_since === null && legacy().queue_size === 0);
    expect(logLines.filter((l) => l.includes("sending to the celery broker (queue celery): working again"))).toHaveLength(1);
  }, 60_000);

  test("after the core stops, SimpleCoin has received every share exactly once and every block on both reporters", async () => {
    await mine(1);
    await edge.stop();
    await core.stop();
    await until("the last tasks at the worker", () => close(received(worker.calls(), "solo").shares.get(B), told.get(B, "acc")), 20_000);
    const l = received(worker.calls(), "celery");
    const s = received(worker.calls(), "solo");
    for (const type of ["acc", "dup", "low", "stale"] as const) {
      expect([type, close(l.minutes.get(`${A}.rig:${type}`), told.get(A, type))]).toEqual([type, true]);
      expect([type, close(s.minutes.get(`${B}.rig:${type}`), told.get(B, type))]).toEqual([type, true]);
    }
    expect(close(l.shares.get(A), told.get(A, "acc"))).toBe(true);
    expect(close(s.shares.get(B), told.get(B, "acc"))).toBe(true);
    expect(blockCalls("celery").sort()).toEqual(accepted().sort());
    expect(blockCalls("solo").sort()).toEqual(accepted().sort());
  }, 60_000);
});
