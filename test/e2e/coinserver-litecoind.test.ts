/**
 * Issue 16 §3 against real Litecoin Core 0.21 nodes (regtest): a burst of block candidates, and the
 * serving coinserver killed. Three connected nodes: ltc0 (primary) and ltc1 (secondary) serve the
 * pool, ltc2 is only a peer, so ltc1 still has one (getblocktemplate needs it) when ltc0 is killed.
 *
 * The nodes run with -rpcworkqueue=4 -rpcthreads=2 while the pool's config keeps the default
 * `rpcworkqueue: 16`, so the core's 14 calls in flight overflow the node's queue and it answers
 * HTTP 500 "Work queue depth exceeded": the error this issue is about, provoked on purpose.
 */
import Redis from "ioredis";
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { startCore, type RunningCore } from "../../core/app.ts";
import type { BlockResult } from "../../core/blocks/index.ts";
import { candidateFor, readLatestJob, sendCandidate, solveJob } from "../../core/blocks/testing.ts";
import type { JobV1 } from "../../shared/contract/index.ts";
import { addressChecker } from "../../shared/config/addresses.ts";
import { parseConfig } from "../../shared/config/load.ts";
import { createScryptHasher, loadPowNative } from "../../shared/pow/index.ts";
import { LTC_REGTEST_ADDRESS, startLitecoinds, type LitecoindGroup } from "../helpers/litecoind.ts";
import { captureLog } from "../helpers/log-capture.ts";
import { ltcCoinYaml } from "../helpers/ltc-pool.ts";
import { startRedis, type PrivateRedis } from "../helpers/redis.ts";
import { notableLines, untilWith } from "../helpers/until.ts";

setDefaultTimeout(240_000);

const PREFIX = "ltcd:";
const BURST = 300;
let redisServer: PrivateRedis;
let redis: Redis;
let nodes: LitecoindGroup;
let core: RunningCore | undefined;
const cap = captureLog("core");
const until = untilWith(() => notableLines(cap.lines, 25), { ms: 60_000, everyMs: 50 });
const results: BlockResult[] = [];
const scrypt = createScryptHasher(loadPowNative(), "scrypt");
const pow = (header: Uint8Array) => {
  const out = new Uint8Array(32);
  scrypt.hashInto(header, out);
  return out;
};

beforeAll(async () => {
  [redisServer, nodes] = await Promise.all([startRedis(), startLitecoinds(3, { rpcworkqueue: 4, rpcthreads: 2 })]);
  redis = new Redis(redisServer.url, { maxRetriesPerRequest: null });
  const [ltc0, ltc1] = nodes.nodes;
  const config = parseConfig(
    `
${ltcCoinYaml({ block_poll: 0.2, rpc_ping_int: 0.5, job_refresh: 60 }, [ltc1!.coinserver({ poll_priority: 50 }), ltc0!.coinserver({ poll_priority: 100 })])}stratum:
  main: {port: 3333}
reporters:
  redis: {type: redis}
redis: {url: "${redisServer.url}", prefix: "${PREFIX}"}
monitor: {enabled: false}
`,
    "litecoind.yml",
    { addresses: addressChecker },
  );
  core = await startCore(config, cap.log, { consumer: "litecoind-test" });
  core.onBlock((r) => results.push(r));
});

afterAll(async () => {
  await core?.stop();
  redis?.disconnect();
  await Promise.all([nodes?.stop(), redisServer?.stop()]);
});

/** The newest LTC job once it builds on `prevHash` (display hex of the node's best block). */
async function jobOn(prevHash: string): Promise<JobV1> {
  return until(`a job on ${prevHash}`, async () => {
    const job = await readLatestJob(redis, PREFIX, "LTC").catch(() => undefined);
    return job && core?.coins.get("LTC")?.jobs.status().prevHash === prevHash ? job : undefined;
  });
}

function candidate(job: JobV1, i: number) {
  const en1 = new Uint8Array(job.extranonce1Size);
  new DataView(en1.buffer).setUint32(0, i);
  const en2 = new Uint8Array(job.extranonce2Size);
  return candidateFor(job, solveJob(job, en1, en2, { pow }), en1, en2, { address: LTC_REGTEST_ADDRESS, shareSeq: i + 1 });
}

async function recorded(hash: string): Promise<boolean> {
  return (await redis.exists(`unproc_block_${hash}`, `rejected_block_${hash}`)) > 0;
}

describe("coinservers under a candidate burst and a kill (real litecoind)", () => {
  test(`a burst of ${BURST} candidates: every one submitted, answered and recorded; the busy node is never marked down`, async () => {
    const [ltc0] = nodes.nodes;
    const job = await jobOn(String(await ltc0!.rpc("getbestblockhash")));
    const candidates = Array.from({ length: BURST }, (_, i) => candidate(job, i));
    await Promise.all(candidates.map((c) => sendCandidate(redis, PREFIX, c)));

    await until(`${BURST} block results`, () => results.length >= BURST, 180_000);
    expect(new Set(results.map((r) => r.hash)).size).toBe(BURST);
    // Every candidate reached both nodes and got a real answer from each, not a transport error.
    for (const r of results) expect(r.servers.map((s) => `${s.server}:${s.verdict === "error" ? s.reason : "answered"}`).sort()).toEqual(["ltc0:answered", "ltc1:answered"]);
    // One block wins its height; the others are valid blocks the nodes keep off the main chain.
    expect(results.filter((r) => r.accepted).length).toBeGreaterThanOrEqual(1);
    for (const r of results.filter((x) => !x.accepted)) expect(r.rejectReason).toContain("inconclusive");

    // The node's work queue did overflow (so the case was exercised) and was treated as busy.
    expect(cap.count(/coinserver ltc\d is busy \(\w+: work queue depth exceeded\)/)).toBeGreaterThanOrEqual(1);
    const busy = core!.coins.get("LTC")!.pool.status().servers.reduce((n, s) => n + (s.busyAnswers ?? 0), 0);
    expect(busy).toBeGreaterThan(0);
    expect(cap.count(/went down|is not reachable|no live coinserver/)).toBe(0);
    expect(core!.coins.get("LTC")!.pool.status()).toMatchObject({ current: "ltc0", live: 2 });
    expect(core!.coins.get("LTC")!.pool.status().servers.every((s) => s.maxInFlight === 14)).toBe(true);

    // Recorded: rejected blocks at once, accepted ones after their (absent) winning share's bounded wait.
    await until("every block recorded in Redis", async () => (await Promise.all(results.map((r) => recorded(r.hash)))).every(Boolean), 90_000);
  });

  test("the serving node killed: templates move to the other within a poll, blocks are accepted there; the dead one is used again when back", async () => {
    const [ltc0, ltc1, ltc2] = nodes.nodes;
    const ltc = core!.coins.get("LTC")!;
    expect(ltc.pool.current()).toBe("ltc0");
    await ltc0!.kill();
    // A block the pool has not seen, mined on the peer: only ltc1 can tell the pool about it.
    const [mined] = await ltc2!.mine(1);
    await until("ltc1 has the new block", async () => (await ltc1!.rpc("getbestblockhash")) === mined);
    const job = await jobOn(mined!);
    expect(ltc.pool.current()).toBe("ltc1");
    expect(cap.count(/coinserver ltc0 went down/)).toBe(1);

    const before = results.length;
    const c = candidate(job, 1_000_001);
    await sendCandidate(redis, PREFIX, c);
    const r = await until("the block result from ltc1", () => results.slice(before).find((x) => x.hash === c.blockHash));
    expect(r).toMatchObject({ accepted: true, chain: "best" });
    expect(r.servers.map((s) => `${s.server}:${s.verdict}`)).toEqual(["ltc1:accepted"]);

    // ltc0 comes back (same datadir), reconnects to its peers, catches up and serves again.
    await ltc0!.start();
    await until("ltc0 serving again", () => ltc.pool.current() === "ltc0");
    await until("ltc0 synced", async () => (await ltc0!.rpc("getbestblockhash")) === r.hash);
    const [next] = await ltc2!.mine(1);
    const job2 = await jobOn(next!);
    const before2 = results.length;
    const c2 = candidate(job2, 1_000_002);
    await sendCandidate(redis, PREFIX, c2);
    const r2 = await until("the block result after ltc0 is back", () => results.slice(before2).find((x) => x.hash === c2.blockHash));
    expect(r2.accepted).toBe(true);
    expect(r2.servers.map((s) => s.server).sort()).toEqual(["ltc0", "ltc1"]);
    expect(r2.servers.find((s) => s.server === "ltc0")?.verdict).toBe("accepted");
    expect(cap.count(/coinserver ltc0 is up after \d+ s down/)).toBe(1);
  });
});
