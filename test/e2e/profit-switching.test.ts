/**
 * Profit switching end to end (issue 9 §1; spec §7): two bcoin regtest nodes stand in for two
 * sha256d coins, BTC (node A) and BCH (node B), at different heights so each job's previous block
 * and height say whose chain it is for. One stratum port's jobmanager is the switcher `multi`; the
 * scores are set in the accounting Redis (`<CUR>_profit`), as a price service would.
 *
 * bcoin regtest's network target is about 2^255, so every accepted share at the port's difficulty
 * is also a block (see pool.test.ts). The miner only submits when the test says, so each block is
 * found exactly when the scenario needs one.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startCore, type RunningCore } from "../../core/app.ts";
import type { BlockResult } from "../../core/blocks/index.ts";
import type { SwitcherStatus } from "../../core/switching/index.ts";
import { startEdge, type RunningEdge } from "../../edge/app.ts";
import { bytesToRpcHex, hexToBytes, readBip34Height, sha256d, stratumPrevhashToBytes } from "../../shared/bitcoin/index.ts";
import { addressChecker } from "../../shared/config/addresses.ts";
import { parseConfig } from "../../shared/config/load.ts";
import { createLogger } from "../../shared/log.ts";
import { BCOIN_REGTEST_ADDRESS, startBcoin, type BcoinNode } from "../helpers/bcoin.ts";
import { buildHeader, TestMiner, type MinerJob } from "../helpers/miner.ts";
import { freePort, startRedis, type PrivateRedis } from "../helpers/redis.ts";
import { notableLines, untilWith } from "../helpers/until.ts";

const POOL_ADDRESS = "RAqS1bAuWqW2f6ufsU5H4XpKfy5Pqj2oHz";
const USER = `${BCOIN_REGTEST_ADDRESS}.rig1`;
const DIFF = 1e-8;
const POLL_S = 0.2;

const logLines: string[] = [];
const log = createLogger("e2e-switch", {
  level: "info",
  format: "text",
  components: {},
  write: (l) => {
    logLines.push(l);
    if (process.env.E2E_LOG) process.stderr.write(`${l}\n`);
  },
});

const until = untilWith(() => notableLines(logLines), { ms: 15_000 });

/** The chain tip a job builds on (display hex) and the height it mines (BIP34 push in coinb1, after version, input count and prevout: byte 42). */
const tipOf = (job: MinerJob) => bytesToRpcHex(stratumPrevhashToBytes(job.prevhash));
const heightOf = (job: MinerJob) => readBip34Height(hexToBytes(job.coinb1).subarray(42));

describe("profit switching: two bcoin regtest coins behind one switching port", () => {
  let redis: PrivateRedis;
  let nodeA: BcoinNode;
  let nodeB: BcoinNode;
  let core: RunningCore;
  let edge: RunningEdge;
  let miner: TestMiner;
  let spoolDir: string;
  let statsd: Bun.udp.Socket<"buffer">;
  const gauges: string[] = [];
  const blocks: BlockResult[] = [];
  /** Switches made before the miner came (1, or 2 when BCH's first job reached the switcher before BTC's). */
  let startSwitches = 0;

  const status = async (): Promise<SwitcherStatus> => (await (await fetch(`${core.monitor!.url}multi/`)).json()) as SwitcherStatus;
  const best = (n: BcoinNode) => n.rpc("getbestblockhash") as Promise<string>;

  /** One accepted share on the miner's newest job (a block), and the core's verdict on it. */
  async function mineBlock(): Promise<{ job: MinerJob; result: BlockResult }> {
    const job = miner.lastJob!;
    const share = miner.mineShare(job);
    const reply = await miner.submit(share, { user: USER });
    expect(reply.result).toBe(true);
    const hash = bytesToRpcHex(sha256d(buildHeader(job, miner.extranonce1, share, miner.versionMask)));
    const result = await until(`the core's result for block ${hash}`, () => blocks.find((b) => b.hash === hash));
    return { job, result };
  }

  /** The block's SimpleCoin record, once written (it waits for the winning share's record). */
  async function blockRecord(hash: string): Promise<Record<string, string>> {
    await until(`unproc_block_${hash}`, async () => (await redis.client.exists(`unproc_block_${hash}`)) === 1);
    return redis.client.hgetall(`unproc_block_${hash}`);
  }

  beforeAll(async () => {
    [redis, nodeA, nodeB] = await Promise.all([startRedis(), startBcoin(), startBcoin()]);
    await Promise.all([nodeA.mine(3), nodeB.mine(7)]);
    // BTC scores ten times BCH: the switcher starts on BTC.
    await redis.client.mset("BTC_profit", "10", "BCH_profit", "1");
    statsd = await Bun.udpSocket({ hostname: "127.0.0.1", port: 0, socket: { data: (_s, d) => void gauges.push(...d.toString().split("\n")) } });
    spoolDir = mkdtempSync(join(tmpdir(), "pp-switch-spool-"));
    const coin = (n: BcoinNode, name: string) => `
    algo: sha256d
    network: bcoin-regtest
    pool_address: ${POOL_ADDRESS}
    block_poll: 0.2
    rpc_ping_int: 0.5
    coinservs: [${JSON.stringify(n.coinserver({ name }))}]`;
    const config = parseConfig(
      `
pool:
  procname: e2e
  datagram: {enabled: false}
  events: {enabled: true, host: 127.0.0.1, port: ${statsd.port}}
coins:
  BTC:${coin(nodeA, "a")}
  BCH:${coin(nodeB, "b")}
switchers:
  multi: {jobmanagers: [BTC, BCH], profit_poll_int: ${POLL_S}, margin_switch: 1.2}
stratum:
  main:
    jobmanager: multi
    address: 127.0.0.1
    port: ${freePort()}
    start_difficulty: ${DIFF}
    minimum_manual_diff: 1.0e-9
    vardiff: {enabled: false, minimum_difficulty: 1.0e-9, maximum_difficulty: 1}
edges:
  e2e: {}
reporters:
  redis: {type: redis, chain: 1}
redis: {url: "${redis.url}", prefix: "psw:"}
monitor: {enabled: true, address: 127.0.0.1}
`,
      "switch.yml",
      { addresses: addressChecker },
    );
    core = await startCore(config, log.child("core"), { consumer: "switch-core", monitor: { port: 0 } });
    core.onBlock((r) => blocks.push(r));
    edge = await startEdge(config, "e2e", log.child("edge"), { spoolDir, listenPorts: { main: 0 }, hostname: "127.0.0.1", powWorkers: 1 });
  });

  afterAll(async () => {
    miner?.[Symbol.dispose]();
    await edge?.stop().catch(() => {});
    await core?.stop().catch(() => {});
    statsd?.close();
    await Promise.all([nodeA?.stop(), nodeB?.stop(), redis?.stop()]);
    if (spoolDir) rmSync(spoolDir, { recursive: true, force: true });
  });

  test("scores favour BTC: the miner on the switching port gets BTC's jobs", async () => {
    await until("the switcher on BTC", async () => (await status()).current_network === "BTC");
    miner = await TestMiner.connect(edge.stratum.listeners.get("main")!.port);
    expect((await miner.cpuMinerHandshake(USER)).authorize.result).toBe(true);
    const tipA = await best(nodeA);
    const job = await until("a job on BTC's tip", () => (miner.lastJob && tipOf(miner.lastJob) === tipA ? miner.lastJob : undefined));
    expect(heightOf(job)).toBe(4);
    const st = await status();
    expect(st).toMatchObject({ current_network: "BTC", next_network: "BTC", last_switch: { to: "BTC" }, margin_switch: 1.2, jobmanagers: ["BTC", "BCH"] });
    startSwitches = st.switches;
    expect([1, 2]).toContain(startSwitches);
    expect(st.price_data).toMatchObject({ BTC: { score: 10, ratio: 1 }, BCH: { score: 1, ratio: 1 } });
    // Same reward and difficulty on both regtest chains: profitability follows the scores.
    expect(st.profit_data.BTC! / st.profit_data.BCH!).toBeCloseTo(10, 9);
  });

  test("BCH beating BTC by more than the margin: a clean job for BCH's chain at once", async () => {
    const before = miner.lastJob!;
    await redis.client.set("BCH_profit", "20");
    const tipB = await best(nodeB);
    const job = await until("a job on BCH's tip", () => (miner.lastJob && tipOf(miner.lastJob) === tipB ? miner.lastJob : undefined), 5000);
    expect(job.clean).toBe(true);
    expect(job.id).not.toBe(before.id);
    expect(heightOf(job)).toBe(8);
    const st = await status();
    expect(st).toMatchObject({ current_network: "BCH", next_network: "BCH", last_switch: { from: "BTC", to: "BCH", reason: "margin" } });
  });

  test("a block found after the switch lands on BCH's chain, not BTC's, and its share is credited to BCH", async () => {
    const [tipA, heightB] = [await best(nodeA), (await nodeB.rpc("getblockcount")) as number];
    const { result } = await mineBlock();
    expect(result).toMatchObject({ accepted: true, chain: "best", currency: "BCH", coin: "BCH", jobmanager: "multi", height: heightB + 1 });
    expect(await best(nodeB)).toBe(result.hash);
    expect(await best(nodeA)).toBe(tipA);
    const rec = await blockRecord(result.hash);
    expect(rec).toMatchObject({ currency: "BCH", algo: "sha256d", height: String(heightB + 1), merged: "0" });
    // The round the block closes holds the winning share: credited to BCH, nothing to BTC.
    expect(Number(rec.chain_1_shares)).toBeCloseTo(DIFF, 15);
    expect(await redis.client.hget("current_block_BTC_sha256d", "chain_1_shares")).toBeNull();
    // BCH is still the best coin: its next block's job is forwarded to the miner.
    await until("a job on top of the new BCH block", () => miner.lastJob && tipOf(miner.lastJob) === result.hash);
  });

  test("a better coin within the margin waits for the current coin's next block, then switches", async () => {
    // 22 against 20: better, but within the 1.2 margin.
    await redis.client.set("BTC_profit", "22");
    await until("BTC chosen as next", async () => (await status()).next_network === "BTC");
    expect((await status()).current_network).toBe("BCH");
    // Two more polls: still BCH's work.
    await Bun.sleep(POLL_S * 2 * 1000 + 100);
    const tipB = await best(nodeB);
    expect(tipOf(miner.lastJob!)).toBe(tipB);

    // BCH's next block (found by the miner): the switch happens on it.
    const { result } = await mineBlock();
    expect(result).toMatchObject({ accepted: true, currency: "BCH" });
    expect(await best(nodeB)).toBe(result.hash);
    const tipA = await best(nodeA);
    const job = await until("a clean job on BTC's tip", () => (miner.lastJob && tipOf(miner.lastJob) === tipA ? miner.lastJob : undefined), 5000);
    expect(job.clean).toBe(true);
    expect(await status()).toMatchObject({ current_network: "BTC", next_network: "BTC", last_switch: { from: "BCH", to: "BTC", reason: "next-block" } });
    expect((await blockRecord(result.hash)).currency).toBe("BCH");

    // Back on BTC, with a switch job the core made (a fresh id, in BTC's job store): its block is BTC's.
    const heightA = (await nodeA.rpc("getblockcount")) as number;
    const tipB2 = await best(nodeB);
    const a = await mineBlock();
    expect(a.result).toMatchObject({ accepted: true, chain: "best", currency: "BTC", coin: "BTC", jobmanager: "multi", height: heightA + 1 });
    expect(await best(nodeA)).toBe(a.result.hash);
    expect(await best(nodeB)).toBe(tipB2);
    const rec = await blockRecord(a.result.hash);
    expect(rec.currency).toBe("BTC");
    expect(Number(rec.chain_1_shares)).toBeCloseTo(DIFF, 15);
  });

  test("the monitor shows the switcher PowerPool's way, and statsd gets the profitability gauges", async () => {
    const root = (await (await fetch(core.monitor!.url)).json()) as Record<string, Record<string, unknown>>;
    const switches = startSwitches + 2;
    expect(root.MonitorNetworkMulti_multi).toMatchObject({ current_network: "BTC", switches, config_view: expect.stringContaining("/multi/config") });
    const cfg = (await (await fetch(`${core.monitor!.url}multi/config`)).json()) as Record<string, unknown>;
    expect(cfg).toEqual({ jobmanagers: ["BTC", "BCH"], profit_poll_int: POLL_S, margin_switch: 1.2 });
    const metrics = await (await fetch(`${core.monitor!.url}metrics`)).text();
    expect(metrics).toContain('powerpool_switcher_current{switcher="multi",currency="BTC"} 1');
    expect(metrics).toContain('powerpool_switcher_current{switcher="multi",currency="BCH"} 0');
    expect(metrics).toContain(`powerpool_switcher_switches_total{switcher="multi"} ${switches}`);

    const st = await status();
    for (const cur of ["BTC", "BCH"]) {
      const line = await until(`a profitability gauge for ${cur}`, () => [...gauges].reverse().find((g) => g.startsWith(`e2e_0.profitability.${cur}:`)));
      expect(line).toMatch(/\|g$/);
      // The last gauge sent is the profitability the switcher decides with.
      expect(Number(line.slice(line.indexOf(":") + 1, -2))).toBeCloseTo(st.profit_data[cur]!, 0);
    }
  });
});
