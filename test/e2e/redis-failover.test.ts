/**
 * Issue 16 §2: the Redis primary dies under mining load. A real Sentinel topology (a primary, one
 * replica, three Sentinels: test/helpers/sentinel.ts), two real edge processes and the core (in
 * this process: jobs from a bcoin regtest node, block submission, share accounting), all connected
 * through `redis.sentinel`; miners submit shares all along, and blocks before, during and after the fault.
 *
 * The replica is made to fall behind first (SIGSTOP for 1.5 s, so the primary acknowledges writes
 * it never gets: what an asynchronous replica does under load or a network hiccup), then the
 * primary is SIGKILLed and the replica continued; the Sentinels promote it, the old primary is
 * started again as its replica, and mining goes on. With `redis.wait_replicas` (1 by default with
 * Sentinel) the edges keep what the replica did not confirm and send it again after the failover;
 * the accounting counts each record once.
 *
 * Printed and asserted: shares accepted by the edges == share records in Redis after the failover,
 * none doubled (SimpleCoin's one-minute sums and slice entries against what miners were told); and
 * blocks found (accepted shares meeting the network target) == blocks submitted to bcoin == block
 * records in Redis.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startCore, type RunningCore } from "../../core/app.ts";
import type { BlockResult } from "../../core/blocks/index.ts";
import { addressChecker } from "../../shared/config/addresses.ts";
import { loadConfigFile } from "../../shared/config/load.ts";
import { createLogger } from "../../shared/log.ts";
import { startBcoin, type BcoinNode } from "../helpers/bcoin.ts";
import { type EdgeProcess, type MiningRig, settledAccounting, startEdgeProcesses, startRigs, stopRigsAndEdges, twoEdgeConfig, waitFor } from "../helpers/edge-process.ts";
import { Ledger } from "../helpers/ledger.ts";
import { freePort } from "../helpers/redis.ts";
import { sentinelRedisYaml, startSentinelTopology, type SentinelTopology } from "../helpers/sentinel.ts";

const PREFIX = "fo:";
/**
 * Below bcoin regtest's network difficulty (~4.7e-10), and the rigs submit only shares that miss the
 * network target except where the test asks for a block: regtest's chain would otherwise move so
 * fast that a candidate delayed by the failover finds its job two heights old (dropped as stale).
 */
const DIFF = 1e-12;
const RIGS_PER_EDGE = 3;
const logLines: string[] = [];
const log = createLogger("failover", { level: "info", format: "text", components: {}, write: (l) => logLines.push(l) });

describe("Redis primary failover under mining load (real Sentinels)", () => {
  const dir = mkdtempSync(join(tmpdir(), "pp-failover-"));
  const ports = { eu1: freePort(), eu2: freePort() };
  const ledger = new Ledger();
  const rigs: MiningRig[] = [];
  const edges = new Map<string, EdgeProcess>();
  const blocks: BlockResult[] = [];
  let topo: SentinelTopology;
  let node: BcoinNode;
  let core: RunningCore;

  beforeAll(async () => {
    [topo, node] = await Promise.all([startSentinelTopology(), startBcoin()]);
    await node.mine(1);
    const cs = node.coinserver({ name: "bcoin-regtest" });
    const file = join(dir, "config.yml");
    writeFileSync(
      file,
      twoEdgeConfig({
        ports,
        difficulty: DIFF,
        procname: "failover",
        coin: `    coinservs: [{address: ${cs.address}, port: ${cs.port}, username: pool, password: "${cs.password}", name: ${cs.name}}]\n    block_poll: 0.2`,
        redis: sentinelRedisYaml(topo, PREFIX),
      }),
    );
    const config = await loadConfigFile(file, { addresses: addressChecker });
    core = await startCore(config, log.child("core"), { consumer: "failover-core" });
    core.onBlock((b) => blocks.push(b));
    await startEdgeProcesses(edges, file, dir);
  }, 120_000);

  afterAll(async () => {
    await stopRigsAndEdges(rigs, edges);
    await core?.stop().catch(() => {});
    await node?.stop();
    await topo?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("SIGKILL of the primary with a lagging replica: accepted == credited, none doubled; found == submitted == recorded blocks", async () => {
    rigs.push(...startRigs(ports, RIGS_PER_EDGE, ledger, { pauseMs: 5, blockEvery: Number.POSITIVE_INFINITY }));
    const accepted = () => rigs.reduce((n, r) => n + r.accepted, 0);
    const foundNow = () => rigs.reduce((n, r) => n + r.blocks.length, 0);
    await waitFor("every rig to have shares accepted", () => rigs.every((r) => r.accepted >= 5), edges.values());
    rigs[0]!.forceBlock();
    await waitFor("a block before the fault", () => blocks.length > 0, edges.values());

    const [first, second] = topo.dataPorts;
    expect(await topo.primaryPort()).toBe(first);
    const beforeFault = accepted();
    // The replica falls behind: the primary goes on acknowledging writes it never receives.
    await topo.signal(second, "SIGSTOP");
    const foundBefore = foundNow();
    await Bun.sleep(500);
    // Blocks too while the replica lags: their candidates and records are what a failover would lose.
    for (const r of rigs.slice(0, 3)) r.forceBlock();
    await Bun.sleep(1000);
    const duringLag = accepted() - beforeFault;
    const logFrom = new Map([...edges.values()].map((e) => [e, e.log.length]));
    await topo.signal(first, "SIGKILL");
    await topo.signal(second, "SIGCONT");
    const promoted = await topo.failedOver(first);
    expect(promoted).toBe(second);
    await topo.restartAsReplica(first, promoted);
    await topo.replicasOnline(promoted, 1);
    const afterFailover = accepted();
    const foundDuringFault = foundNow() - foundBefore;
    expect(foundDuringFault).toBeGreaterThan(0);
    await waitFor("both edges to reach the new primary", () => [...edges.values()].every((e) => /forward\] \[NOTICE\] redis reachable again/.test(e.log.slice(logFrom.get(e)))), edges.values());
    await waitFor("the blocks found during the fault to be submitted", () => blocks.length >= foundNow(), edges.values());
    rigs[0]!.forceBlock();
    rigs[RIGS_PER_EDGE]!.forceBlock();
    await waitFor("mining to go on after the failover, with blocks", () => accepted() > afterFailover + 500 && blocks.length >= foundNow() && foundNow() >= foundBefore + foundDuringFault + 2, edges.values());
    await Promise.all(rigs.map((r) => r.stop()));
    const found = rigs.flatMap((r) => r.blocks).sort();

    const primary = topo.client(promoted);
    const { diffs, credited } = await settledAccounting(ledger, primary);
    const recordedKeys = async () => [...(await primary.keys("unproc_block_*")), ...(await primary.keys("rejected_block_*"))].map((k) => k.replace(/^(unproc|rejected)_block_/, "")).sort();
    for (let i = 0; i < 600 && (blocks.length < found.length || (await recordedKeys()).length < found.length); i++) await Bun.sleep(100);
    const submitted = [...new Set(blocks.map((b) => b.hash))].sort();
    const recorded = await recordedKeys();
    const resent = [...edges.values()].reduce((n, e) => n + [...e.log.matchAll(/(\d+) writes the replicas had not confirmed are sent again/g)].reduce((a, m) => a + Number(m[1]), 0), 0);
    console.log(
      `redis failover (primary ${first} SIGKILLed, replica ${second} promoted) under ${rigs.length} miners on 2 edges: shares accepted by edges ${accepted()} (${duringLag} while the replica lagged), share records in Redis ${credited}; unconfirmed batches sent again after the failover ${resent}; unanswered submits ${rigs.reduce((n, r) => n + r.unanswered, 0)}; blocks found ${found.length} (${foundDuringFault} while the replica lagged or the primary was down), submitted ${submitted.length} (accepted ${blocks.filter((b) => b.accepted).length}), recorded in Redis ${recorded.length}`,
    );
    if (submitted.length !== found.length) console.log(logLines.filter((l) => /BLOCK|block/.test(l)).join("\n"));
    expect(submitted).toEqual(found);
    if (recorded.length !== found.length) {
      const missing = found.filter((h) => !recorded.includes(h));
      console.log(logLines.filter((l) => missing.some((h) => l.includes(h)) || /winning share|record not|confirmed/.test(l)).join("\n"));
    }
    expect(recorded).toEqual(found);
    expect(diffs).toEqual([]);
    expect(credited).toBe(accepted());
    expect(rigs.reduce((n, r) => n + r.unanswered, 0)).toBe(0);
  }, 240_000);
});
