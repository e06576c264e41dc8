/**
 * Issue 16 §2: the Redis primary dies under mining load. A real Sentinel topology (a primary, one
 * replica, three Sentinels: test/helpers/sentinel.ts), two real edge processes and the core (in
 * this process: jobs from a bcoin regtest node, block submission, share accounting), all connected
 * through `redis.sentinel`; miners submit shares all along, one in BLOCK_EVERY of them a block.
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
import { EdgeProcess, MiningRig } from "../helpers/edge-process.ts";
import { compareAccounting, Ledger, readAccounting } from "../helpers/ledger.ts";
import { freePort } from "../helpers/redis.ts";
import { SENTINEL_MASTER, startSentinelTopology, type SentinelTopology } from "../helpers/sentinel.ts";

const PREFIX = "fo:";
const USER = "RAqS1bAuWqW2f6ufsU5H4XpKfy5Pqj2oHz";
/** Below bcoin regtest's network difficulty (~4.7e-10); the rigs make one share in BLOCK_EVERY a block. */
const DIFF = 1e-12;
const BLOCK_EVERY = 400;
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
    const port = (key: string, p: number) => `
  ${key}:
    address: 127.0.0.1
    port: ${p}
    jobmanager: BTC
    start_difficulty: ${DIFF}
    minimum_manual_diff: ${DIFF / 10}
    vardiff: {enabled: false, minimum_difficulty: ${DIFF / 10}, maximum_difficulty: 1}`;
    const file = join(dir, "config.yml");
    writeFileSync(
      file,
      `
pool: {procname: failover, term_timeout: 10, datagram: {enabled: false}, events: {enabled: false}}
logging: {level: info}
coins:
  BTC:
    algo: sha256d
    network: bcoin-regtest
    pool_address: ${USER}
    coinservs: [{address: ${cs.address}, port: ${cs.port}, username: pool, password: "${cs.password}", name: ${cs.name}}]
    block_poll: 0.2
stratum:${port("a", ports.eu1)}${port("b", ports.eu2)}
edges:
  eu1: {ports: [a]}
  eu2: {ports: [b]}
reporters:
  redis: {type: redis}
redis:
  sentinel:
    name: ${SENTINEL_MASTER}
    sentinels: [${topo.sentinels.map((s) => `{host: ${s.host}, port: ${s.port}}`).join(", ")}]
  prefix: "${PREFIX}"
  wait_timeout: 0.5
monitor: {enabled: false}
`,
    );
    const config = await loadConfigFile(file, { addresses: addressChecker });
    core = await startCore(config, log.child("core"), { consumer: "failover-core" });
    core.onBlock((b) => blocks.push(b));
    for (const name of ["eu1", "eu2"] as const) {
      const e = new EdgeProcess(name, file, dir);
      edges.set(name, e);
      await e.start();
    }
  }, 120_000);

  afterAll(async () => {
    await Promise.all(rigs.map((r) => r.stop()));
    for (const e of edges.values()) await e.stop("SIGKILL");
    await core?.stop().catch(() => {});
    await node?.stop();
    await topo?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("SIGKILL of the primary with a lagging replica: accepted == credited, none doubled; found == submitted == recorded blocks", async () => {
    for (const name of ["eu1", "eu2"] as const) {
      for (let i = 0; i < RIGS_PER_EDGE; i++) {
        const worker = `${name}w${i}`;
        const rig = new MiningRig({ port: () => ports[name], user: `${USER}.${worker}`, address: USER, worker, ledger, pauseMs: 5, blockEvery: BLOCK_EVERY });
        rigs.push(rig);
        rig.start();
      }
    }
    const accepted = () => rigs.reduce((n, r) => n + r.accepted, 0);
    const waitFor = async (what: string, ok: () => boolean, ms = 60_000) => {
      const deadline = Date.now() + ms;
      while (!ok()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${[...edges.values()].map((e) => `${e.name}:\n${e.tail(15)}`).join("\n")}`);
        await Bun.sleep(50);
      }
    };
    await waitFor("every rig to have shares accepted, and a block found", () => rigs.every((r) => r.accepted >= 5) && blocks.length > 0);

    const [first, second] = topo.dataPorts;
    expect(await topo.primaryPort()).toBe(first);
    const beforeFault = accepted();
    // The replica falls behind: the primary goes on acknowledging writes it never receives.
    await topo.signal(second, "SIGSTOP");
    const foundBefore = rigs.reduce((n, r) => n + r.blocks.length, 0);
    await Bun.sleep(500);
    // Blocks too while the replica lags: their candidates and records are what a failover would lose.
    for (const r of rigs.slice(0, 3)) r.forceBlock();
    await Bun.sleep(1000);
    const duringLag = accepted() - beforeFault;
    await topo.signal(first, "SIGKILL");
    await topo.signal(second, "SIGCONT");
    const promoted = await topo.failedOver(first);
    expect(promoted).toBe(second);
    await topo.restartAsReplica(first, promoted);
    await topo.replicasOnline(promoted, 1);
    const afterFailover = accepted();
    const foundDuringFault = rigs.reduce((n, r) => n + r.blocks.length, 0) - foundBefore;
    expect(foundDuringFault).toBeGreaterThan(0);
    const blocksBefore = blocks.length;
    await waitFor("mining to go on after the failover, with a block", () => accepted() > afterFailover + 500 && blocks.length > blocksBefore);
    await Promise.all(rigs.map((r) => r.stop()));
    const found = rigs.flatMap((r) => r.blocks).sort();

    const primary = topo.client(promoted);
    let diffs: string[] = [];
    const deadline = Date.now() + 60_000;
    do {
      await Bun.sleep(250);
      diffs = compareAccounting(ledger, await readAccounting(primary, { algo: "sha256d", chain: 1 }));
    } while (diffs.length > 0 && Date.now() < deadline);
    const recordedKeys = async () => [...(await primary.keys("unproc_block_*")), ...(await primary.keys("rejected_block_*"))].map((k) => k.replace(/^(unproc|rejected)_block_/, "")).sort();
    for (let i = 0; i < 200 && (blocks.length < found.length || (await recordedKeys()).length < found.length); i++) await Bun.sleep(100);
    const submitted = [...new Set(blocks.map((b) => b.hash))].sort();
    const recorded = await recordedKeys();
    const got = await readAccounting(primary, { algo: "sha256d", chain: 1 });
    const credited = [...got.slices.values()].reduce((a, b) => a + b, 0);
    const resent = [...edges.values()].reduce((n, e) => n + [...e.log.matchAll(/(\d+) writes the replicas had not confirmed are sent again/g)].reduce((a, m) => a + Number(m[1]), 0), 0);
    console.log(
      `redis failover (primary ${first} SIGKILLed, replica ${second} promoted) under ${rigs.length} miners on 2 edges: shares accepted by edges ${accepted()} (${duringLag} while the replica lagged), share records in Redis ${credited}; unconfirmed batches sent again after the failover ${resent}; unanswered submits ${rigs.reduce((n, r) => n + r.unanswered, 0)}; blocks found ${found.length} (${foundDuringFault} while the replica lagged or the primary was down), submitted ${submitted.length} (accepted ${blocks.filter((b) => b.accepted).length}), recorded in Redis ${recorded.length}`,
    );
    expect(submitted).toEqual(found);
    expect(recorded).toEqual(found);
    expect(diffs).toEqual([]);
    expect(credited).toBe(accepted());
    expect(rigs.reduce((n, r) => n + r.unanswered, 0)).toBe(0);
  }, 240_000);
});
