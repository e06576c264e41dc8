/**
 * The monitor's HTML dashboard in headless Chromium (issue 6 §4), over a real pool: a core with its
 * monitor on a free port, a private Redis, a bcoin regtest node as the coinserver (plus a backup
 * coinserver that is down, and a second sha256d coin on the same node), one real edge (eu1) with
 * two test miners finding real blocks, a push-block datagram, and a second edge (us1) whose
 * heartbeats the test writes itself — a realistic record of a big farm with a varying hashrate.
 *
 * It opens the page, waits for data to render, checks the visible text, and saves a screenshot
 * to a temporary directory and to /tmp/dashboard.png for review. Needs Debian's `chromium`
 * (`bun run test` installs it); without it the group is a loud skip, and a failure under CI.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { copyFileSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { startCore, type RunningCore } from "../../core/app.ts";
import type { BlockResult } from "../../core/blocks/index.ts";
import { startEdge, type RunningEdge } from "../../edge/app.ts";
import { base58CheckEncode, concatBytes } from "../../shared/bitcoin/index.ts";
import { addressChecker } from "../../shared/config/addresses.ts";
import { parseConfig } from "../../shared/config/load.ts";
import { contractNames, edgeStatusCodec, type EdgeClientV1, type EdgeStatusV1 } from "../../shared/contract/index.ts";
import { createLogger } from "../../shared/log.ts";
import { BCOIN_REGTEST_ADDRESS, startBcoin, type BcoinNode } from "../helpers/bcoin.ts";
import { TestMiner } from "../helpers/miner.ts";
import { freePort, startRedis, type PrivateRedis } from "../helpers/redis.ts";
import { launchChromium } from "../helpers/chromium.ts";
import { describeWith, systemRequirement } from "../helpers/skips.ts";
import { untilWith } from "../helpers/until.ts";
import { CHROMIUM_PATH } from "../../scripts/test/components.ts";


const POOL_ADDRESS = "RAqS1bAuWqW2f6ufsU5H4XpKfy5Pqj2oHz";
const addr = (fill: number) => base58CheckEncode(concatBytes(Uint8Array.of(0x3c), new Uint8Array(20).fill(fill)));
const DATAGRAM_SECRET = "dash-e2e-secret-1234";
const REVIEW_SHOT = "/tmp/dashboard.png";
/** Explicit: bun applies the preload's default timeout to the first test file of a run only. */
const TIMEOUT_MS = 60_000;
/** The core's and the edge's log, quoted when a wait times out (E2E_LOG=1 also prints it live). */
const logLines: string[] = [];

const until = untilWith(() => logLines.slice(-40).join("\n"), { everyMs: 100 });

/** The us1 edge as its heartbeat would describe it: two ports, five miners, a hashrate that moves. */
function us1Status(startedAt: number, tick: number): EdgeStatusV1 {
  const now = Date.now();
  const wave = (base: number, amp: number, phase: number) => base * (1 + amp * Math.sin(tick / 3 + phase) + 0.04 * Math.cos(tick * 1.7));
  const c = (o: Partial<EdgeClientV1> & Pick<EdgeClientV1, "extranonce1" | "worker" | "address">): EdgeClientV1 => ({
    idle: false, difficulty: 65_536, userAgent: "bmminer/2.0.0", ip: "203.0.113.9", connectedAt: now - 5_400_000, lastShareAt: now - 3_000, acceptedDifficulty: 9_830_400, jobIds: 12, ...o,
  });
  const shares = (n: number) => ({ acc: 4_180 + n * 7, dup: 2, low: 11, stale: 23, invalid: 1 });
  return {
    // A v1-era edge (the shared streams, no proofs): the dashboard flags it unaudited.
    v: 1, edge: "us1", session: "5eed0001", edgeId: 2, publicHost: "us1.pool.example", startedAt, time: now, spooled: 17, contract: 1,
    ports: [
      {
        key: "main", listenPort: 3333, jobmanager: "BTC", algo: "sha256d", clients: 4, authed: 3, idle: 1, agentClients: 1, hashrate: wave(3.1e14, 0.12, 0), shares: shares(tick), lastJobId: null, lastJobAt: now - 4_000,
        clientList: [
          c({ extranonce1: "0200000a", address: addr(0x33), worker: "antminer-s19-01", acceptedDifficulty: 14_745_600 }),
          c({ extranonce1: "0200000b", address: addr(0x33), worker: "antminer-s19-02" }),
          c({ extranonce1: "0200000c", address: addr(0x44), worker: "whatsminer-m30", userAgent: "btminer/3.1", lastShareAt: now - 400_000, idle: true, acceptedDifficulty: 1_310_720 }),
        ],
      },
      {
        key: "bch", listenPort: 3334, jobmanager: "BCH", algo: "sha256d", clients: 2, authed: 2, idle: 0, agentClients: 0, hashrate: wave(1.2e14, 0.18, 1.3), shares: shares(tick / 2), lastJobId: null, lastJobAt: now - 6_000,
        clientList: [c({ extranonce1: "0200000d", address: addr(0x55), worker: "s9-farm-07", difficulty: 16_384, acceptedDifficulty: 4_915_200 }), c({ extranonce1: "0200000e", address: addr(0x55), worker: "s9-farm-08", difficulty: 16_384, acceptedDifficulty: 3_276_800 })],
      },
    ],
  };
}

describeWith(systemRequirement(CHROMIUM_PATH), "dashboard in headless Chromium", () => {
  let redis: PrivateRedis;
  let node: BcoinNode;
  let core: RunningCore;
  let edge: RunningEdge;
  let browser: Browser | undefined;
  let beats: ReturnType<typeof setInterval> | undefined;
  const miners: TestMiner[] = [];
  const blocks: BlockResult[] = [];
  const dirs: string[] = [];
  const log = createLogger("dash", {
    level: "debug",
    format: "text",
    components: {},
    write: (l) => {
      logLines.push(l);
      if (process.env.E2E_LOG) process.stderr.write(`${l}\n`);
    },
  });

  beforeAll(async () => {
    [redis, node] = await Promise.all([startRedis(), startBcoin()]);
    await node.mine(1);
    const cs = node.coinserver({ name: "bcoin" });
    const spool = mkdtempSync(join(tmpdir(), "pp-dash-spool-"));
    dirs.push(spool);
    const config = parseConfig(
      `
pool:
  procname: demo
  datagram: {enabled: true, host: 127.0.0.1, port: ${freePort()}, secret: "${DATAGRAM_SECRET}"}
  events: {enabled: false}
coins:
  BTC:
    algo: sha256d
    network: bcoin-regtest
    pool_address: ${POOL_ADDRESS}
    coinservs:
      - {address: ${cs.address}, port: ${cs.port}, username: pool, password: "${cs.password}", name: bcoin-main, poll_priority: 1}
      - {address: 127.0.0.1, port: ${freePort()}, username: pool, password: "backup-rpc-pass", name: bcoin-backup, timeout: 1}
    block_poll: 0.5
  BCH:
    algo: sha256d
    network: bcoin-regtest
    pool_address: ${POOL_ADDRESS}
    coinservs: [{address: ${cs.address}, port: ${cs.port}, username: pool, password: "${cs.password}", name: bcoin-bch}]
    block_poll: 0.5
stratum:
  main: {address: 127.0.0.1, port: ${freePort()}, jobmanager: BTC, start_difficulty: 1.0e-8, minimum_manual_diff: 1.0e-9, vardiff: {enabled: false, minimum_difficulty: 1.0e-9, maximum_difficulty: 1}}
  bch: {address: 127.0.0.1, port: ${freePort()}, jobmanager: BCH, start_difficulty: 1.0e-8, minimum_manual_diff: 1.0e-9, vardiff: {enabled: false, minimum_difficulty: 1.0e-9, maximum_difficulty: 1}}
edges:
  eu1: {public_host: eu1.pool.example, ports: [main]}
  us1: {public_host: us1.pool.example}
reporters:
  redis: {type: redis}
redis: {url: "${redis.url}", prefix: "dash:"}
monitor: {address: 127.0.0.1, port: ${freePort()}}
`,
      "dashboard-e2e.yml",
      { addresses: addressChecker },
    );
    core = await startCore(config, log.child("core"), { consumer: "dash-core", monitor: { historyIntervalMs: 400 } });
    core.onBlock((r) => blocks.push(r));

    // us1: heartbeats as an edge writes them (TTL three intervals), until the test ends.
    const statusKey = contractNames("dash:").edgeStatus("us1");
    const us1Started = Date.now() - 2 * 86_400_000 - 3_600_000 * 5;
    let tick = 0;
    const beat = () => void redis.client.set(statusKey, edgeStatusCodec.encode(us1Status(us1Started, tick++)), "PX", 3_000);
    beat();
    beats = setInterval(beat, 300);

    edge = await startEdge(config, "eu1", log.child("edge"), { spoolDir: spool, listenPorts: { main: 0 }, hostname: "127.0.0.1", powWorkers: 1 });
    const port = edge.stratum.listeners.get("main")!.port;
    const cpu = await TestMiner.connect(port);
    miners.push(cpu);
    await cpu.cpuMinerHandshake(`${addr(0x22)}.cpu1`);
    const asic = await TestMiner.connect(port);
    miners.push(asic);
    await asic.asicHandshake(`${BCOIN_REGTEST_ADDRESS}.asic1`, { mask: "1fffe000", minimumDifficulty: 1e-9, suggest: 2e-8 });
    await asic.nextMethod("mining.notify");
  }, TIMEOUT_MS);

  afterAll(async () => {
    if (beats) clearInterval(beats);
    await browser?.close().catch(() => {});
    for (const m of miners) m[Symbol.dispose]();
    await edge?.stop().catch(() => {});
    await core?.stop().catch(() => {});
    await node?.stop();
    await redis?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }, TIMEOUT_MS);

  test("the miners find real blocks; a push-block signal arrives", async () => {
    // At difficulty 1e-8 on regtest every accepted share is also a block (see pool.test.ts).
    let found = 0;
    for (const [i, m] of [miners[0]!, miners[1]!, miners[0]!].entries()) {
      const job = await until("a job", () => m.lastJob);
      const reply = await m.submit(m.mineShare(job), { user: i === 1 ? `${BCOIN_REGTEST_ADDRESS}.asic1` : `${addr(0x22)}.cpu1` });
      if (reply.result === true) {
        found++;
        await until("the flush after the block", () => m.lastJob !== job || undefined);
      }
    }
    expect(found).toBeGreaterThanOrEqual(2);
    // The same share again: the job is gone (or it is a duplicate) — a rejected share on eu1.
    const stale = miners[0]!;
    const old = [...stale.jobs.values()][0]!;
    expect((await stale.submit(stale.mineShare(old), { user: `${addr(0x22)}.cpu1` })).result).not.toBe(true);
    await until("block results", () => blocks.filter((b) => b.accepted).length >= found || undefined);

    const udp = await Bun.udpSocket({ hostname: "127.0.0.1", port: 0 });
    udp.send(`BTC getblocktemplate signal=1 secret=${DATAGRAM_SECRET}`, core.notify!.port, "127.0.0.1");
    await until("the push-block signal", () => core.coins.get("BTC")!.watcher.status().lastSignal ?? undefined);
    udp.close();
  }, TIMEOUT_MS);

  test("the dashboard renders edges, coins, hashrate, blocks and workers from real data", async () => {
    const base = core.monitor!.url;
    // Wait for what the page should show: eu1's heartbeat with both miners, and a dozen chart points.
    await until("eu1's heartbeat with two miners", async () => {
      const d = (await (await fetch(`${base}dashboard/data`)).json()) as { edges: { edge: string; authed: number }[]; history: { points: unknown[] } };
      return (d.edges.find((e) => e.edge === "eu1")?.authed === 2 && d.history.points.length >= 12) || undefined;
    });
    const main = (await (await fetch(`${base}main/`)).json()) as Record<string, unknown>;
    expect(main).toMatchObject({ client_count_authed: 5, address_count: 4, last_flush_job: { currency: "BTC", merged_networks: [] } });

    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    const problems: string[] = [];
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`);
    });
    await page.goto(`${base}dashboard/`);
    await page.waitForSelector("body[data-ready='1']", { timeout: 15_000 });
    // A string: the test's tsconfig has no DOM types; it runs in the page.
    await page.waitForFunction("document.querySelectorAll('#chart svg path').length >= 3 && document.querySelectorAll('#blocks tr').length >= 2", undefined, { timeout: 15_000 });

    const text = await page.innerText("body");
    for (const visible of ["eu1", "us1", "eu1.pool.example", "BTC", "BCH", "bcoin-main", "bcoin-backup", "down", "accepted", "cpu1", "asic1", "antminer-s19-01", "17 spooled", "TH/s"]) {
      expect([visible, text.includes(visible)]).toEqual([visible, true]);
    }
    expect(await page.innerText("#conn-text")).toStartWith("live");
    const edgesRows = await page.locator("#edges tr").allInnerTexts();
    expect(edgesRows).toHaveLength(2);
    expect(edgesRows.find((r) => r.includes("eu1.pool.example"))).toContain("2 / 2");
    expect(edgesRows.find((r) => r.includes("us1.pool.example"))).toContain("5 / 6");
    expect(edgesRows.find((r) => r.includes("us1.pool.example"))).toContain("v1 · unaudited");
    // The share audit card: eu1 (a real v2 edge) audited by the core, us1 flagged as v1.
    expect(core.audit!.edges().get("eu1")!.audited).toBeGreaterThan(0);
    const auditRows = await page.locator("#audit tr").allInnerTexts();
    expect(auditRows.find((r) => r.includes("eu1"))).toMatch(/eu1\s+v2\s+[1-9]\d*\s+0\s/);
    expect(auditRows.find((r) => r.includes("us1"))).toContain("writes contract v1: its shares carry no proof and are not audited");
    expect(await page.innerText("#audit-scope")).toMatch(/gate: [1-9][\d,]* entries passed/);
    const coinText = await page.innerText("#coins");
    expect(coinText).toMatch(/Push-block signal\s+\d+ s ago/);
    expect(coinText).toMatch(/Last job\s+\d+ s ago/);
    const blockRows = await page.locator("#blocks tr").allInnerTexts();
    expect(blockRows.length).toBe(blocks.length);
    expect(blockRows.every((r) => r.includes("accepted"))).toBe(true);
    expect(await page.innerText("#legend")).toMatch(/Pool\s*\d.*BCH\s*\d.*BTC\s*\d/s);
    expect(problems).toEqual([]);

    const dir = mkdtempSync(join(tmpdir(), "pp-dashboard-"));
    dirs.push(dir);
    const shot = join(dir, "dashboard.png");
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(50_000);
    copyFileSync(shot, REVIEW_SHOT);
  }, TIMEOUT_MS);
});
