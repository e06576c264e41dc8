/**
 * The whole core (core/app.ts) with a real bcoin regtest node and a private Redis: block candidates
 * on edges' own streams and on the v1 stream reach the consumer with the core's PoW registry as the
 * check, and only genuine blocks reach bcoin and the SimpleCoin keys. A forged candidate writes no
 * `rejected_block_<hash>` (nor any other block key) and quarantines the edge whose stream carried it.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startCore, type RunningCore } from "../app.ts";
import { hexToBytes } from "../../shared/bitcoin/index.ts";
import { addressChecker } from "../../shared/config/addresses.ts";
import { parseConfig } from "../../shared/config/load.ts";
import { contractNames, type BlockCandidateV1, type JobV1 } from "../../shared/contract/index.ts";
import { BCOIN_REGTEST_ADDRESS, startBcoin, type BcoinNode } from "../../test/helpers/bcoin.ts";
import { captureLog } from "../../test/helpers/log-capture.ts";
import { bcoinPoolYaml } from "../../test/helpers/pool-config.ts";
import { startRedis, type PrivateRedis } from "../../test/helpers/redis.ts";
import { readQuarantine } from "../gate/quarantine-store.ts";
import { candidateFor, readLatestJob, sendCandidate, solveJob } from "./testing.ts";
import type { BlockResult } from "./types.ts";
import { untilWith } from "../../test/helpers/until.ts";

const PREFIX = "cw:";
const names = contractNames(PREFIX);
const EN1 = hexToBytes("01020304");
let node: BcoinNode;
let redis: PrivateRedis;
let core: RunningCore | undefined;
const cap = captureLog("core");
const results: BlockResult[] = [];
let en2Seq = 0;

beforeAll(async () => {
  [node, redis] = await Promise.all([startBcoin(), startRedis()]);
  await node.mine(1);
  const text = bcoinPoolYaml({ procname: "cw", coinserver: node.coinserver({ name: "bcoin" }), poolAddress: BCOIN_REGTEST_ADDRESS, difficulty: 1e-8, redisUrl: redis.url, prefix: PREFIX, chain: 1 });
  core = await startCore(parseConfig(text, "cw.yml", { addresses: addressChecker }), cap.log, { consumer: "cw-core" });
  core.onBlock((r) => results.push(r));
}, 60_000);

afterAll(async () => {
  if (process.env.SHOW_LOG) console.log(cap.lines.join("\n"));
  await core?.stop().catch(() => {});
  await Promise.all([node?.stop(), redis?.stop()]);
});

const waitFor = untilWith(() => cap.lines.slice(-20).join("\n"), { ms: 15_000 });

/** The newest BTC job on bcoin's current tip. */
async function currentJob(): Promise<JobV1> {
  const tip = String(await node.rpc("getbestblockhash"));
  return waitFor("a job on the tip", async () => {
    const job = await readLatestJob(redis.client, PREFIX, "BTC").catch(() => undefined);
    return job && core?.coins.get("BTC")?.jobs.status().prevHash === tip ? job : undefined;
  });
}

function mine(job: JobV1, edge: string, opts: { miss?: boolean } = {}): BlockCandidateV1 {
  const en2 = Uint8Array.of(0, 0, 0, ++en2Seq);
  return candidateFor(job, solveJob(job, EN1, en2, opts), EN1, en2, { address: BCOIN_REGTEST_ADDRESS, edge, shareSeq: en2Seq });
}

const blockKeys = async (hash: string) => (await redis.client.keys(`*${hash}*`)).sort();

describe("the core checks every block candidate against its job before submitting or recording it", () => {
  test("forged candidates, v1 and v2: bcoin never gets them, no block key, the v2 edge quarantined", async () => {
    const before = (await node.rpc("getblockcount")) as number;
    const job = await currentJob();
    const v2 = mine(job, "eu7", { miss: true });
    const v1 = mine(job, "eu8", { miss: true });
    const tampered = { ...mine(job, "eu9"), nonce: 0xdeadbeef };
    const ids = [await sendCandidate(redis.client, PREFIX, v2, "eu7"), await sendCandidate(redis.client, PREFIX, v1), await sendCandidate(redis.client, PREFIX, tampered, "eu9")];
    // Entry ids are per stream (two may be equal): the edge named tells the lines apart.
    for (const [i, edge] of ["eu7", "eu8", "eu9"].entries())
      await waitFor(`the refusal from ${edge}`, () => (cap.count(new RegExp(`FORGED BTC block candidate ${ids[i]} from edge ${edge}: `)) === 1 ? true : undefined));
    const q7 = await waitFor("eu7's quarantine", () => readQuarantine(redis.client, names, "eu7").then((q) => q ?? undefined));
    expect(q7).toMatchObject({ reason: "forged block candidate", stream: names.edgeStream("candidates", "eu7"), entry: ids[0] });
    expect(q7.detail).toContain("is above the network target");
    expect((await readQuarantine(redis.client, names, "eu9"))?.detail).toMatch(/: nonce \(rebuilt efbeadde, claimed [0-9a-f]{8}\)$/);
    // The v1 stream's sender cannot be told apart: nobody is quarantined for it.
    expect(await readQuarantine(redis.client, names, "eu8")).toBeNull();
    expect(results).toEqual([]);
    expect(await node.rpc("getblockcount")).toBe(before);
    for (const c of [v2, v1, tampered]) expect(await blockKeys(c.blockHash)).toEqual([]);
    expect(await redis.client.keys("rejected_block_*")).toEqual([]);
  });

  test("a genuine block on an edge's own stream is submitted, accepted and recorded", async () => {
    const before = (await node.rpc("getblockcount")) as number;
    const c = mine(await currentJob(), "eu1");
    const id = await sendCandidate(redis.client, PREFIX, c, "eu1");
    const r = await waitFor("the block result", () => results.find((x) => x.candidateId === id));
    expect(r).toMatchObject({ accepted: true, chain: "best", edge: "eu1", hash: c.blockHash });
    expect(await node.rpc("getblockcount")).toBe(before + 1);
    // Its winning share never comes here: stopping the core records the block without it.
    await core!.stop();
    core = undefined;
    expect(await redis.client.exists(`unproc_block_${c.blockHash}`)).toBe(1);
    expect(await redis.client.keys("rejected_block_*")).toEqual([]);
  });
});
