/**
 * Issue 16 §4: a rolling restart of every edge under mining load. Two real edge processes
 * (`bun edge/main.ts`, eu1 and eu2, one stratum port each), a private Redis, the core's share
 * accounting (its ingest, in this process) and a job published as the core does. Miners submit
 * shares all along and behave like cgminer: on client.reconnect they reconnect to the same address
 * until the edge is back. Each edge in turn gets SIGTERM (drain: client.reconnect, final flush,
 * exit 0) and is started again.
 *
 * Printed and asserted: every miner reconnected exactly once and kept its extranonce1 (session
 * resume across the restart); a share accepted before the restart and submitted again after it is
 * a duplicate; shares the edges accepted == share records credited in Redis, each exactly once
 * (the SimpleCoin one-minute sums and slice entries against what the miners were told); no submit
 * went unanswered.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startAccounting, type CoreAccounting } from "../../core/ingest/index.ts";
import { JobPublisher } from "../../core/jobs/publisher.ts";
import { addressChecker } from "../../shared/config/addresses.ts";
import { loadConfigFile, type Config } from "../../shared/config/load.ts";
import { spec16Job } from "../../shared/contract/testing.ts";
import { createLogger } from "../../shared/log.ts";
import { DIFF1_SHA256D } from "../../shared/pow/index.ts";
import { type EdgeProcess, type MiningRig, REGTEST_ADDRESS, settledAccounting, startEdgeProcesses, startRigs, stopRigsAndEdges, twoEdgeConfig, waitFor } from "../helpers/edge-process.ts";
import { Ledger } from "../helpers/ledger.ts";
import { TestMiner } from "../helpers/miner.ts";
import { freePort, startRedis, type PrivateRedis } from "../helpers/redis.ts";

const PREFIX = "rr:";
const USER = REGTEST_ADDRESS;
const DIFF = 1e-9;
const RIGS_PER_EDGE = 4;
const NETWORK_TARGET = "0000000000000000000342190000000000000000000000000000000000000000";
const quiet = createLogger("test", { level: "error", format: "text", components: {} });

describe("rolling restart of every edge under mining load", () => {
  const dir = mkdtempSync(join(tmpdir(), "pp-rolling-"));
  const ports = { eu1: freePort(), eu2: freePort() };
  const ledger = new Ledger();
  const rigs: MiningRig[] = [];
  let redis: PrivateRedis;
  let publisher: JobPublisher;
  let accounting: CoreAccounting;
  let config: Config;
  const edges = new Map<string, EdgeProcess>();

  beforeAll(async () => {
    redis = await startRedis();
    publisher = new JobPublisher({ redis: redis.client, prefix: PREFIX, log: quiet });
    const now = Math.floor(Date.now() / 1000);
    expect(await publisher.publish(spec16Job({ jobmanager: "BTC", coin: "BTC", currency: "BTC", ntime: now, mintime: now - 3600, target: NETWORK_TARGET, diff1: DIFF1_SHA256D.toString(16).padStart(64, "0"), createdAt: Date.now() }))).toBe(true);
    const file = join(dir, "config.yml");
    writeFileSync(file, twoEdgeConfig({ ports, difficulty: DIFF, coin: `    coinservs: [{address: 127.0.0.1, port: ${freePort()}}]`, redis: `  url: "${redis.url}"\n  prefix: "${PREFIX}"` }));
    config = await loadConfigFile(file, { addresses: addressChecker });
    accounting = await startAccounting(config, redis.client.duplicate(), quiet, { consumer: "rolling-test", tuning: { blockMs: 200 } });
    await startEdgeProcesses(edges, file, dir);
  }, 120_000);

  afterAll(async () => {
    await stopRigsAndEdges(rigs, edges);
    await accounting?.stop();
    await publisher?.stop(500);
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("each miner reconnects once, and accepted == credited exactly", async () => {
    rigs.push(...startRigs(ports, RIGS_PER_EDGE, ledger, { pauseMs: 5 }));
    const accepted = () => rigs.reduce((n, r) => n + r.accepted, 0);
    await waitFor("every rig to have shares accepted", () => rigs.every((r) => r.accepted >= 5), edges.values());
    // A miner that will submit, after eu1's restart, a share eu1 accepted before it.
    const replayer = { address: USER, worker: "replayer" };
    const old = await TestMiner.connect(ports.eu1);
    await old.request("mining.subscribe", ["cgminer/4.12.0"], 1);
    await old.request("mining.authorize", [`${USER}.replayer`, "x"], 2);
    const job = await old.nextJob();
    const share = old.mineShare(job);
    const first = await old.submit(share, { user: `${USER}.replayer` });
    expect(first.result).toBe(true);
    ledger.reply(replayer, first, job.difficulty);
    const session = old.extranonce1;

    for (const e of edges.values()) {
      const before = accepted();
      expect(await e.stop("SIGTERM")).toBe(0);
      if (e.name === "eu1") old.close();
      expect(e.log).toMatch(/drained: \d+ of \d+ clients left on client.reconnect; every share record is in Redis/);
      await e.start();
      const restarted = e.name === "eu1" ? 1 : 2;
      await waitFor(`miners back on ${e.name} and mining`, () => accepted() > before + 50 && rigs.filter((r) => r.reconnects === 1).length === RIGS_PER_EDGE * restarted, edges.values());
      if (e.name === "eu1") {
        const again = await TestMiner.connect(ports.eu1);
        const sub = await again.request("mining.subscribe", ["cgminer/4.12.0", session], 1);
        expect((sub.result as unknown[])[1]).toBe(session);
        await again.request("mining.authorize", [`${USER}.replayer`, "x"], 2);
        // The same job (the core published no other), perhaps under another per-client id.
        const j2 = await again.nextJob();
        expect([j2.prevhash, j2.coinb1, j2.coinb2]).toEqual([job.prevhash, job.coinb1, job.coinb2]);
        const replayed = await again.submit({ ...share, jobId: j2.id }, { user: `${USER}.replayer` });
        expect(replayed.error).toEqual([22, "Duplicate share", null]);
        ledger.reply(replayer, replayed, job.difficulty);
        again.close();
      }
    }
    await Bun.sleep(300);
    await Promise.all(rigs.map((r) => r.stop()));

    const edgeAccepted = accepted() + 1; // the replayer's one accepted share
    const { diffs, credited } = await settledAccounting(ledger, redis.client);
    console.log(`rolling restart of 2 edges, ${rigs.length} miners: reconnects per miner ${rigs.map((r) => r.reconnects).join(",")}; extranonce1 kept by ${rigs.filter((r) => r.extranonce1s[1] === r.extranonce1s[0]).length} of ${rigs.length}; shares accepted by edges ${edgeAccepted}, share records credited in Redis ${credited}; unanswered submits ${rigs.reduce((n, r) => n + r.unanswered, 0)}`);
    expect(diffs).toEqual([]);
    expect(credited).toBe(edgeAccepted);
    for (const r of rigs) expect(r.reconnects).toBe(1);
    // Session resume across the restart: the same extranonce1 before and after.
    for (const r of rigs) expect(r.extranonce1s[1]).toBe(r.extranonce1s[0]);
    expect(rigs.reduce((n, r) => n + r.unanswered, 0)).toBe(0);
  }, 180_000);
});
