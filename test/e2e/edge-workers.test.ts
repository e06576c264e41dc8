/**
 * `bun run edge` with `workers: 2`, as an operator runs it: a supervisor process and two worker
 * processes sharing one stratum port (SO_REUSEPORT), a private Redis, and a job published as the
 * core does. Both workers get miners; every extranonce1 is unique and carries its worker's leased
 * edge id; every miner gets the job and an accepted share. A SIGKILLed worker is restarted and new
 * miners keep working; SIGTERM stops the supervisor and every worker, none left behind.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { JobPublisher } from "../../core/jobs/publisher.ts";
import { contractNames, edgeClientsCodec, edgeStatusCodec, type EdgeStatusV1, type JobV1 } from "../../shared/contract/index.ts";
import { spec16Job } from "../../shared/contract/testing.ts";
import { createLogger } from "../../shared/log.ts";
import { DIFF1_SHA256D } from "../../shared/pow/index.ts";
import { TestMiner } from "../helpers/miner.ts";
import { freePort, startRedis, type PrivateRedis } from "../helpers/redis.ts";

const root = join(import.meta.dir, "../..");
const PREFIX = "ew:";
const USER = "RAqS1bAuWqW2f6ufsU5H4XpKfy5Pqj2oHz";
const DIFF = 1e-9;
const MINERS = 16;
/** No share at this network target is a block. */
const NETWORK_TARGET = "0000000000000000000342190000000000000000000000000000000000000000";
/** The §16 job as a BTC job of now, at a network target no share reaches. */
function job(): JobV1 {
  const now = Math.floor(Date.now() / 1000);
  return spec16Job({ jobmanager: "BTC", coin: "BTC", currency: "BTC", ntime: now, mintime: now - 3600, target: NETWORK_TARGET, diff1: DIFF1_SHA256D.toString(16).padStart(64, "0"), createdAt: Date.now() });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("bun run edge with workers: 2", () => {
  const dir = mkdtempSync(join(tmpdir(), "pp-edge-workers-"));
  const port = freePort();
  const names = contractNames(PREFIX);
  let redis: PrivateRedis;
  let publisher: JobPublisher;
  let sup: Subprocess<"ignore", "pipe", "pipe">;
  let log = "";
  const miners: TestMiner[] = [];
  const seenPids = new Set<number>();

  async function until<T>(what: string, get: () => T | undefined | false | Promise<T | undefined | false>, ms = 30_000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = await get();
      if (v !== undefined && v !== false) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; edge log:\n${log.split("\n").slice(-30).join("\n")}`);
      await Bun.sleep(50);
    }
  }

  /** The pid of the worker's live process, from the supervisor's "is serving" lines. */
  function servingPid(name: string, not?: number): number | undefined {
    const all = [...log.matchAll(new RegExp(`worker ${name} \\(pid (\\d+)\\) is serving`, "g"))].map((m) => Number(m[1]));
    const pid = all.at(-1);
    return pid === undefined || pid === not ? undefined : pid;
  }

  /** Each worker's status with its client list (its own key since issue 16) merged in, as the monitor does. */
  async function statuses(): Promise<EdgeStatusV1[]> {
    const keys = (await redis.client.keys(`${names.edgeStatus("eu1")}/*`)).sort();
    const values = await Promise.all(keys.map((k) => redis.client.get(k)));
    const out: EdgeStatusV1[] = [];
    for (const e of values.filter((v): v is string => v !== null).map((v) => edgeStatusCodec.decode(v))) {
      const raw = await redis.client.get(names.edgeClients(e.edge));
      const list = raw === null ? undefined : edgeClientsCodec.decode(raw);
      const lists = new Map(list?.session === e.session ? list.ports.map((p) => [p.key, p.clients]) : []);
      out.push({ ...e, ports: e.ports.map((p) => ({ ...p, clientList: lists.get(p.key) ?? [] })) });
    }
    return out;
  }

  /** Connects, handshakes, mines and submits one share; returns the miner after its share was accepted. */
  async function mineOne(): Promise<TestMiner> {
    const m = await TestMiner.connect(port);
    miners.push(m);
    const { afterAuthorize } = await m.cpuMinerHandshake(`${USER}.w${miners.length}`);
    const notify = afterAuthorize.find((x) => x.method === "mining.notify");
    expect(notify).toBeDefined();
    const j = m.jobs.get(String(notify?.params?.[0]))!;
    const reply = await m.submit(m.mineShare(j), { user: `${USER}.w${miners.length}` });
    expect(reply.error ?? null).toBeNull();
    expect(reply.result).toBe(true);
    return m;
  }

  beforeAll(async () => {
    redis = await startRedis();
    publisher = new JobPublisher({ redis: redis.client, prefix: PREFIX, log: createLogger("test", { level: "error", format: "text", components: {} }) });
    expect(await publisher.publish(job())).toBe(true);
    const config = `
pool: {term_timeout: 10, datagram: {enabled: false}}
logging: {level: info}
coins:
  BTC:
    algo: sha256d
    network: bcoin-regtest
    pool_address: ${USER}
    coinservs: [{address: 127.0.0.1, port: ${freePort()}}]
stratum:
  main:
    address: 127.0.0.1
    port: ${port}
    start_difficulty: ${DIFF}
    minimum_manual_diff: ${DIFF / 10}
    vardiff: {enabled: false, minimum_difficulty: ${DIFF / 10}, maximum_difficulty: 1}
edges:
  eu1: {workers: 2}
reporters:
  redis: {type: redis}
redis: {url: "${redis.url}", prefix: "${PREFIX}"}
monitor: {enabled: false}
`;
    const file = join(dir, "config.yml");
    writeFileSync(file, config);
    // cwd is the temporary directory, so the workers' spools land there.
    sup = Bun.spawn([process.execPath, join(root, "edge/main.ts"), "-c", file, "--name", "eu1"], { cwd: dir, stdin: "ignore", stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1" } });
    void (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of sup.stderr) log += decoder.decode(chunk);
    })();
    void (async () => {
      for await (const chunk of sup.stdout) log += new TextDecoder().decode(chunk);
    })();
    for (const w of ["eu1/0", "eu1/1"]) seenPids.add(await until(`${w} serving`, () => servingPid(w)));
  });

  afterAll(async () => {
    for (const m of miners) m.close();
    if (sup.exitCode === null) sup.kill("SIGKILL");
    for (const pid of seenPids) if (alive(pid)) process.kill(pid, "SIGKILL");
    await publisher.stop(500);
    await redis[Symbol.asyncDispose]();
    rmSync(dir, { recursive: true, force: true });
  });

  test("both workers serve miners with unique extranonce1s from their own leases, and every share is accepted", async () => {
    const batch = await Promise.all(Array.from({ length: MINERS }, () => mineOne()));
    const ids = batch.map((m) => m.extranonce1);
    expect(new Set(ids).size).toBe(MINERS);

    const st = await until("both workers' status records to count every miner", async () => {
      const s = await statuses();
      const clients = s.map((e) => e.ports.reduce((a, p) => a + (p.clientList?.length ?? 0), 0));
      return s.length === 2 && clients.reduce((a, b) => a + b, 0) === MINERS ? s : undefined;
    });
    expect(st.map((e) => e.edge)).toEqual(["eu1/0", "eu1/1"]);
    // Each worker has miners, and each miner's extranonce1 starts with the edge id its worker leased.
    expect(st[0]!.edgeId).not.toBe(st[1]!.edgeId);
    for (const e of st) {
      const prefix = e.edgeId.toString(16).padStart(2, "0");
      const mine = e.ports.flatMap((p) => p.clientList ?? []).map((c) => c.extranonce1);
      expect(mine.length).toBeGreaterThan(0);
      for (const x of mine) expect(x.startsWith(prefix)).toBe(true);
      expect(e.ports[0]!.shares.acc).toBe(mine.length);
    }
    expect(st.flatMap((e) => e.ports.flatMap((p) => p.clientList ?? []).map((c) => c.extranonce1)).sort()).toEqual([...ids].sort());

    // Resuming a session id no worker owns yields a fresh extranonce1 under a worker's own prefix.
    const foreign = ((Math.max(st[0]!.edgeId, st[1]!.edgeId) + 1) % 256).toString(16).padStart(2, "0") + "000001";
    const r = await TestMiner.connect(port);
    miners.push(r);
    const sub = await r.request("mining.subscribe", ["cpuminer/2.5.1", foreign], 1);
    const given = String((sub.result as unknown[])[1]);
    expect(given).not.toBe(foreign);
    expect(st.map((e) => e.edgeId.toString(16).padStart(2, "0"))).toContain(given.slice(0, 2));
    r.close();
  }, 60_000);

  test("a SIGKILLed worker is restarted and new miners keep working", async () => {
    const before = await statuses();
    const victim = servingPid("eu1/0")!;
    process.kill(victim, "SIGKILL");
    const replacement = await until("eu1/0 restarted", () => servingPid("eu1/0", victim));
    seenPids.add(replacement);
    expect(alive(victim)).toBe(false);
    expect(log).toMatch(new RegExp(`worker eu1/0 \\(pid ${victim}\\) killed by SIGKILL .*restarting it in \\d+ ms`));
    // The dead worker's miners lost their connection; the other worker's kept theirs.
    const lost = before.find((e) => e.edge === "eu1/0")!.ports.flatMap((p) => p.clientList ?? []).map((c) => c.extranonce1);
    await until("the dead worker's miners to see the close", () => miners.filter((m) => lost.includes(m.extranonce1)).every((m) => m.closed));

    await Promise.all(Array.from({ length: 12 }, () => mineOne()));
    const open = miners.filter((m) => !m.closed);
    const after = await until("both workers' status records to count every open miner", async () => {
      const s = await statuses();
      const clients = s.reduce((a, e) => a + e.ports.reduce((b, p) => b + p.clients, 0), 0);
      const restarted = s.find((e) => e.edge === "eu1/0");
      return s.length === 2 && restarted && restarted.session !== before.find((e) => e.edge === "eu1/0")!.session && clients === open.length ? s : undefined;
    });
    // The restarted worker could not retake its old id (the dead process's lease has not expired): a new one.
    const ids = after.map((e) => e.edgeId);
    expect(new Set([...ids, before.find((e) => e.edge === "eu1/0")!.edgeId]).size).toBe(3);
    for (const e of after) expect(e.ports[0]!.clients).toBeGreaterThan(0);
    const liveIds = open.map((m) => m.extranonce1);
    expect(new Set(liveIds).size).toBe(liveIds.length);
    for (const x of liveIds) expect(ids.map((i) => i.toString(16).padStart(2, "0"))).toContain(x.slice(0, 2));
  }, 60_000);

  test("SIGTERM stops the supervisor and every worker cleanly", async () => {
    sup.kill("SIGTERM");
    expect(await sup.exited).toBe(0);
    for (const pid of seenPids) await until(`worker pid ${pid} gone`, () => !alive(pid), 5000);
    expect(log).toContain("SIGTERM: stopping the workers");
    expect(await statuses()).toEqual([]);
    expect(log).not.toMatch(/\[ERROR\].*(could not start|giving up)/);
  }, 30_000);
});

describe("bun run edge with workers: 2 on a port it cannot have", () => {
  test("workers that keep failing to start make the supervisor give up and exit 1", async () => {
    await using redis = await startRedis();
    const dir = mkdtempSync(join(tmpdir(), "pp-edge-workers-"));
    // A listener without SO_REUSEPORT: no worker can bind beside it.
    const squatter = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    try {
      const file = join(dir, "config.yml");
      writeFileSync(
        file,
        `coins:\n  BTC: {algo: sha256d, network: bcoin-regtest, pool_address: ${USER}, coinservs: [{address: 127.0.0.1, port: ${freePort()}}]}\n` +
          `stratum:\n  main: {address: 127.0.0.1, port: ${squatter.port}}\nedges:\n  eu1: {workers: 2}\nreporters:\n  redis: {type: redis}\n` +
          `redis: {url: "${redis.url}", prefix: "${PREFIX}"}\nmonitor: {enabled: false}\npool: {datagram: {enabled: false}}\n`,
      );
      const p = Bun.spawn([process.execPath, join(root, "edge/main.ts"), "-c", file, "--name", "eu1"], { cwd: dir, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
      const [code, err] = await Promise.all([p.exited, new Response(p.stderr).text()]);
      expect(code).toBe(1);
      expect(err).toMatch(/worker eu1\/\d could not start|edge eu1\/\d could not start/);
      expect(err).toMatch(/giving up: it failed to start 5 times in a row/);
      // Failed starts gave their edge ids back.
      expect(await redis.client.keys(`${contractNames(PREFIX).edgeIdLease(0).slice(0, -1)}*`)).toEqual([]);
      const pids = [...err.matchAll(/worker eu1\/\d started \(pid (\d+)\)/g)].map((m) => Number(m[1]));
      expect(pids.length).toBeGreaterThanOrEqual(5);
      for (const pid of pids) expect(alive(pid)).toBe(false);
    } finally {
      squatter.stop(true);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 40_000);
});
