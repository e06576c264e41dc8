/**
 * A pool like the demo's with two edges (issue 8 §3): a core with its monitor, two edges (eu, us)
 * in this process, a private Redis and a bcoin regtest node, and on each edge two cpuminer-order
 * and two ASIC-order test miners (configure, suggest_difficulty, version rolling). Blocks are found
 * through both edges and accepted by bcoin, Redis's share records match what the miners were told,
 * the monitor and the dashboard show both edges, and a miner that leaves eu for us keeps working.
 * Every accepted share is also a block on regtest (see pool.test.ts).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startCore, type RunningCore } from "../../core/app.ts";
import type { BlockResult } from "../../core/blocks/index.ts";
import { startEdge, type RunningEdge } from "../../edge/app.ts";
import { demoConfig } from "../../scripts/demo/config.ts";
import { base58CheckEncode, bytesToRpcHex, concatBytes, sha256d, stratumPrevhashToBytes } from "../../shared/bitcoin/index.ts";
import { createLogger } from "../../shared/log.ts";
import { startBcoin, type BcoinNode } from "../helpers/bcoin.ts";
import { compareAccounting, Ledger, readAccounting, type Credit } from "../helpers/ledger.ts";
import { buildHeader, TestMiner } from "../helpers/miner.ts";
import { freePort, startRedis, type PrivateRedis } from "../helpers/redis.ts";
import { notableLines, untilWith } from "../helpers/until.ts";

const CPU_DIFF = 1e-8;
const ASIC_DIFF = 2e-8;
const EDGES = ["eu", "us"] as const;
type EdgeName = (typeof EDGES)[number];

interface Rig extends Credit {
  miner: TestMiner;
  edge: EdgeName;
  style: "cpu" | "asic";
  readonly versionBits?: number;
}

const addr = (fill: number) => base58CheckEncode(concatBytes(Uint8Array.of(0x3c), new Uint8Array(20).fill(fill)));
const logLines: string[] = [];
const log = createLogger("e2e2", { level: "info", format: "text", components: {}, write: (l) => logLines.push(l) });

const until = untilWith(() => notableLines(logLines));

describe("two edges, one core, bcoin regtest", () => {
  let redis: PrivateRedis;
  let node: BcoinNode;
  let core: RunningCore;
  let spool: string;
  const edges = new Map<EdgeName, RunningEdge>();
  const rigs: Rig[] = [];
  const blocks: BlockResult[] = [];
  const ledger = new Ledger();
  const port = (e: EdgeName) => edges.get(e)!.stratum.listeners.get("main")!.port;
  const user = (r: Credit) => `${r.address}.${r.worker}`;

  async function connect(r: Omit<Rig, "miner">): Promise<Rig> {
    const miner = await TestMiner.connect(port(r.edge));
    if (r.style === "cpu") {
      expect((await miner.cpuMinerHandshake(user(r))).authorize.result).toBe(true);
    } else {
      const hs = await miner.asicHandshake(user(r), { mask: "1fffe000", minimumDifficulty: 1e-9, suggest: ASIC_DIFF });
      expect([hs.configure.result, hs.suggest?.result, hs.authorize.result]).toMatchObject([{ "version-rolling": true }, true, true]);
      await miner.nextMethod("mining.notify");
    }
    return { ...r, miner };
  }

  /** One accepted share (a block) on the rig's newest job, retried on a stale answer; waits for bcoin's verdict and the flush everywhere. */
  async function mineBlock(r: Rig): Promise<BlockResult> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const job = r.miner.lastJob!;
      const share = r.miner.mineShare(job, r.versionBits === undefined ? {} : { versionBits: r.versionBits });
      const reply = await r.miner.submit(share, { user: user(r) });
      ledger.reply(r, reply, job.difficulty);
      if (reply.result !== true) {
        expect(reply.error).toEqual([21, "Job not found (=stale)", null]);
        await until("a newer job after a stale answer", () => r.miner.lastJob !== job);
        continue;
      }
      const hash = bytesToRpcHex(sha256d(buildHeader(job, r.miner.extranonce1, share, r.miner.versionMask)));
      const result = await until(`the block result for ${hash}`, () => blocks.find((b) => b.hash === hash));
      if (result.accepted && result.chain === "best") {
        for (const other of rigs.filter((x) => !x.miner.closed)) await until(`a flush on top of ${hash}`, () => bytesToRpcHex(stratumPrevhashToBytes(other.miner.lastJob!.prevhash)) === hash);
      }
      return result;
    }
    throw new Error(`${user(r)}: five stale answers in a row`);
  }

  beforeAll(async () => {
    [redis, node] = await Promise.all([startRedis(), startBcoin()]);
    await node.mine(1);
    spool = mkdtempSync(join(tmpdir(), "pp-two-edges-"));
    const config = demoConfig({ node, redisUrl: redis.url, prefix: "two:", stratumPort: freePort(), monitorPort: freePort(), listen: "127.0.0.1", edges: EDGES, fixedDifficulty: CPU_DIFF, procname: "two-edges" });
    core = await startCore(config, log.child("core"), { consumer: "two-core", monitor: { port: 0 } });
    core.onBlock((b) => blocks.push(b));
    for (const e of EDGES) edges.set(e, await startEdge(config, e, log.child(e), { spoolDir: join(spool, e), listenPorts: { main: 0 }, hostname: "127.0.0.1", powWorkers: 1 }));
  });

  afterAll(async () => {
    for (const r of rigs) r.miner[Symbol.dispose]();
    for (const e of edges.values()) await e.stop().catch(() => {});
    await core?.stop().catch(() => {});
    await node?.stop();
    await redis?.stop();
    if (spool) rmSync(spool, { recursive: true, force: true });
  });

  test("two cpuminer-order and two ASIC-order miners authorize on each edge; each edge has its own extranonce1 range", async () => {
    let fill = 0x40;
    for (const edge of EDGES) {
      for (const style of ["cpu", "cpu", "asic", "asic"] as const) {
        const n = rigs.filter((r) => r.edge === edge && r.style === style).length + 1;
        rigs.push(await connect({ address: addr(fill++), worker: `${edge}-${style}${n}`, edge, style, ...(style === "asic" ? { versionBits: 0x2000 * n } : {}) }));
      }
    }
    for (const r of rigs) expect(r.miner.difficulty).toBe(r.style === "cpu" ? CPU_DIFF : ASIC_DIFF);
    expect(new Set(rigs.map((r) => r.miner.extranonce1)).size).toBe(rigs.length);
    // The leading byte(s) carry the edge id: one per edge, different between edges.
    const prefixes = (e: EdgeName) => new Set(rigs.filter((r) => r.edge === e).map((r) => r.miner.extranonce1.slice(0, 2)));
    expect(prefixes("eu").size).toBe(1);
    expect([...prefixes("eu")][0]).not.toBe([...prefixes("us")][0]);
  });

  test("every miner finds a block; blocks come through both edges and bcoin accepts them all", async () => {
    const start = (await node.rpc("getblockcount")) as number;
    for (const r of rigs) {
      const b = await mineBlock(r);
      expect(b).toMatchObject({ accepted: true, chain: "best", edge: r.edge, address: r.address, worker: r.worker, rejectReason: null });
      expect(await node.rpc("getblockhash", [b.height])).toBe(b.hash);
    }
    expect(new Set(blocks.map((b) => b.edge))).toEqual(new Set(EDGES));
    expect(await node.rpc("getblockcount")).toBe(start + rigs.length);
  });

  test("duplicates on both edges are rejected and credited to their miner", async () => {
    for (const edge of EDGES) {
      const r = rigs.find((x) => x.edge === edge && x.style === "asic")!;
      const job = r.miner.lastJob!;
      const share = r.miner.mineShare(job, { versionBits: r.versionBits! });
      const params = [user(r), share.jobId, share.extranonce2, share.ntime, share.nonce, share.versionBits];
      r.miner.sendRaw(`${JSON.stringify({ id: `${edge}-a`, method: "mining.submit", params })}\n${JSON.stringify({ id: `${edge}-b`, method: "mining.submit", params })}\n`);
      const first = await r.miner.next((m) => m.id === `${edge}-a`);
      const again = await r.miner.next((m) => m.id === `${edge}-b`);
      ledger.reply(r, first, job.difficulty);
      ledger.reply(r, again, job.difficulty);
      expect(again.error).toEqual(first.result === true ? [22, "Duplicate share", null] : [21, "Job not found (=stale)", null]);
      // An accepted one is a block: wait for bcoin's verdict so the next edge's miners have the new job.
      const hash = bytesToRpcHex(sha256d(buildHeader(job, r.miner.extranonce1, share, r.miner.versionMask)));
      if (first.result === true) expect(await until(`the block result for ${hash}`, () => blocks.find((b) => b.hash === hash))).toMatchObject({ accepted: true, edge });
    }
  });

  test("the monitor and the dashboard show both edges with their miners", async () => {
    const base = core.monitor!.url;
    const main = await until("both edges in the monitor's stratum view", async () => {
      const v = (await (await fetch(`${base}main/`)).json()) as { edges: { edge: string; client_count_authed: number }[] };
      return v.edges.length === 2 && v.edges.every((e) => e.client_count_authed === 4) && v;
    });
    expect(main.edges.map((e) => e.edge).sort()).toEqual(["eu", "us"]);
    const dash = (await (await fetch(`${base}dashboard/data`)).json()) as { edges: { edge: string; authed: number }[]; workers: { worker: string; edge: string }[] };
    expect(dash.edges.map((e) => [e.edge, e.authed]).sort()).toEqual([["eu", 4], ["us", 4]]);
    for (const r of rigs) expect(dash.workers.find((w) => w.worker === r.worker)?.edge).toBe(r.edge);
  });

  test("a miner moved from eu to us keeps working: new extranonce1, same payout address", async () => {
    const r = rigs.find((x) => x.edge === "eu" && x.style === "cpu")!;
    const before = r.miner.extranonce1;
    r.miner.close();
    await r.miner.waitClosed();
    const moved = await connect({ address: r.address, worker: r.worker, edge: "us", style: "cpu" });
    rigs[rigs.indexOf(r)] = moved;
    expect(moved.miner.extranonce1).not.toBe(before);
    expect(moved.miner.extranonce1.slice(0, 2)).toBe(rigs.find((x) => x.edge === "us" && x !== moved)!.miner.extranonce1.slice(0, 2));
    const b = await mineBlock(moved);
    expect(b).toMatchObject({ accepted: true, edge: "us", address: r.address, worker: r.worker });
  });

  test("share records in Redis match what every miner was told", async () => {
    let diffs: string[] = [];
    await until(`the accounting to match the ledger`, async () => (diffs = compareAccounting(ledger, await readAccounting(redis.client, { algo: "sha256d", chain: 1 }))).length === 0).catch((e: Error) => {
      throw new Error(`${e.message}: ${diffs.join("; ")}`);
    });
    const moved = rigs.find((x) => x.worker === "eu-cpu1")!;
    // The moved miner's shares from both edges are one record line: credit follows the address.
    expect(ledger.shares.get(user(moved))!.acc.length).toBeGreaterThanOrEqual(2);
  });
});
