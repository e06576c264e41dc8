/**
 * Merge mining end to end (issue 7): the core with a real bcoin regtest parent and aux coinserver
 * *simulators* (test/helpers/aux-simulator.ts, validating auxpows by auxpow-notes.md's rules),
 * joined by a private Redis. Solutions are ground from the published JobV1 alone, as an edge's
 * miner would, and sent as BlockCandidateV1 on the candidate stream.
 *
 * bcoin regtest's parent target is about 2^255; the simulators' aux target is 0xffff·2^240 (about
 * 2^256), so a hash above the parent target but within the aux target is an aux block only, and
 * one within the parent target is both.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startCore, type RunningCore } from "../../core/app.ts";
import type { AuxBlockResult } from "../../core/aux/index.ts";
import type { BlockResult } from "../../core/blocks/index.ts";
import { candidateFor, readLatestJob, sendCandidate } from "../../core/blocks/testing.ts";
import { bytesToBigIntLE, coinbaseMerkleRootInto, concatBytes, hexToBytes, sha256d, stratumPrevhashToBytes, u32FromHex, writeHeaderInto } from "../../shared/bitcoin/index.ts";
import { addressChecker } from "../../shared/config/addresses.ts";
import { parseConfig } from "../../shared/config/load.ts";
import { contractNames, MESSAGE_FIELD, ShareBatchWriter, ShareResult, type JobV1 } from "../../shared/contract/index.ts";
import { createLogger } from "../../shared/log.ts";
import { startAuxSimulator, type AuxSimulator } from "../helpers/aux-simulator.ts";
import { startBcoin, type BcoinNode } from "../helpers/bcoin.ts";
import { startRedis, type PrivateRedis } from "../helpers/redis.ts";

const POOL_ADDRESS = "RAqS1bAuWqW2f6ufsU5H4XpKfy5Pqj2oHz";
const PREFIX = "mm:";
const EN1 = Uint8Array.of(1, 2, 3, 4);
let shareSeq = 0;
let en2Counter = 0;

let redis: PrivateRedis;
let node: BcoinNode;
const logLines: string[] = [];
const log = createLogger("mm", {
  level: "debug",
  format: "text",
  components: {},
  write: (line) => {
    logLines.push(line);
    if (process.env.E2E_LOG) process.stderr.write(`${line}\n`);
  },
});

beforeAll(async () => {
  [redis, node] = await Promise.all([startRedis(), startBcoin()]);
  await node.mine(1);
});
afterAll(async () => {
  await node?.stop();
  await redis?.stop();
});

async function until<T>(f: () => T | undefined | false | Promise<T | undefined | false>, what: string, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${logLines.slice(-30).join("\n")}`);
    await Bun.sleep(25);
  }
}

interface AuxSpec {
  readonly key: string;
  readonly sim: AuxSimulator;
  readonly method: "createauxblock" | "getauxblock";
  readonly flush?: boolean;
}

async function startMergedCore(aux: readonly AuxSpec[]): Promise<{ core: RunningCore; blocks: BlockResult[]; auxBlocks: AuxBlockResult[] }> {
  const cs = node.coinserver({ name: "bcoin" });
  const auxYaml = aux
    .map(
      (a) => `  ${a.key}:
    algo: sha256d
    coinservs: [{address: 127.0.0.1, port: ${a.sim.port}, username: u, password: p, name: ${a.key.toLowerCase()}-sim}]
    work_interval: 60
    flush: ${a.flush ?? false}
    payout: {method: ${a.method}${a.method === "createauxblock" ? `, address: ${a.key.toLowerCase()}-payout` : ""}}`,
    )
    .join("\n");
  const config = parseConfig(
    `
pool: {procname: mm, extranonce_serv_size: 4, extranonce_size: 4, datagram: {enabled: false}, events: {enabled: false}}
coins:
  BTC:
    algo: sha256d
    network: bcoin-regtest
    pool_address: ${POOL_ADDRESS}
    coinservs: [{address: ${cs.address}, port: ${cs.port}, username: pool, password: "${cs.password}", name: bcoin}]
    block_poll: 0.2
    merged: [${aux.map((a) => a.key).join(", ")}]
aux:
${auxYaml}
# The port the test's hand-made share records name (the core credits configured ports only).
stratum:
  edge-port: {address: 127.0.0.1, port: 3333, start_difficulty: 1, minimum_manual_diff: 1, vardiff: {enabled: false, minimum_difficulty: 1, maximum_difficulty: 1}}
reporters:
  redis: {type: redis, chain: 1}
redis: {url: "${redis.url}", prefix: "${PREFIX}"}
monitor: {enabled: false}
`,
    "mm.yml",
    { addresses: addressChecker },
  );
  const core = await startCore(config, log.child("core"), { consumer: "mm-core" });
  const blocks: BlockResult[] = [];
  const auxBlocks: AuxBlockResult[] = [];
  core.onBlock((r) => blocks.push(r));
  core.aux.onBlock((r) => auxBlocks.push(r));
  return { core, blocks, auxBlocks };
}

/** The newest BTC job whose aux list satisfies `ok`. */
function jobWhere(ok: (j: JobV1) => boolean, what: string): Promise<JobV1> {
  return until(async () => {
    const j = await readLatestJob(redis.client, PREFIX, "BTC").catch(() => undefined);
    return j && ok(j) ? j : undefined;
  }, what);
}

/** Grinds a share on `job` whose PoW hash (LE) meets `want(hash, parentTarget)`; sends it as a candidate. */
async function mineCandidate(job: JobV1, want: "aux-only" | "both"): Promise<{ id: string; blockHash: string }> {
  const en2 = Uint8Array.of(0, 0, 0, ++en2Counter);
  const coinbase = concatBytes(hexToBytes(job.coinb1), EN1, en2, hexToBytes(job.coinb2));
  const root = coinbaseMerkleRootInto(coinbase, job.branch.map(hexToBytes), new Uint8Array(32));
  const parentTarget = BigInt(`0x${job.target}`);
  const auxTarget = job.aux.reduce((m, a) => (BigInt(`0x${a.target}`) < m ? BigInt(`0x${a.target}`) : m), (1n << 256n) - 1n);
  const header = new Uint8Array(80);
  for (let nonce = 0; nonce < 10_000; nonce++) {
    writeHeaderInto(header, job.version, stratumPrevhashToBytes(job.prevhash), root, job.ntime, u32FromHex(job.bits), nonce);
    const hash = sha256d(header);
    const h = bytesToBigIntLE(hash);
    const main = h <= parentTarget;
    if ((want === "both" ? main : !main) && h <= auxTarget) {
      const share = { edge: "test-edge", session: "0000abcd", shareSeq: ++shareSeq };
      const c = { ...candidateFor(job, { header: header.slice(), coinbase, hash, nonce }, EN1, en2, { address: POOL_ADDRESS, ...share }), main, aux: job.aux.map((a) => a.currency) };
      const id = await sendCandidate(redis.client, PREFIX, c);
      // Like an edge: the winning share's record follows its candidate (the block's record waits for it).
      const batch = new ShareBatchWriter(share.edge, share.session);
      batch.add({ seq: share.shareSeq, result: ShareResult.acc, difficulty: 1e-12, time: Date.now(), jobmanager: job.jobmanager, jobId: job.id, currency: job.currency, algo: job.algo, port: "edge-port", address: POOL_ADDRESS, worker: "rig1", aux: c.aux, extranonce1: EN1, extranonce2: en2, ntime: job.ntime, nonce, version: job.version });
      await redis.client.xadd(contractNames(PREFIX).shareStream, "*", MESSAGE_FIELD, Buffer.from(batch.finish()));
      return { id, blockHash: c.blockHash };
    }
  }
  throw new Error(`no ${want} nonce in 10000`);
}

describe("one aux chain (createauxblock payout, flush on new aux blocks)", () => {
  let sim: AuxSimulator;
  let run: Awaited<ReturnType<typeof startMergedCore>>;
  beforeAll(async () => {
    sim = startAuxSimulator({ chainId: 1 });
    run = await startMergedCore([{ key: "NMC", sim, method: "createauxblock", flush: true }]);
  });
  afterAll(async () => {
    await run?.core.stop();
    sim?.stop();
  });

  test("jobs carry the commitment (display-order aux hash, size 1, nonce 0) and the aux target", async () => {
    const job = await jobWhere((j) => j.aux.length === 1, "a job with aux work");
    const a = job.aux[0]!;
    expect(a).toMatchObject({ currency: "NMC", chainId: 1, height: sim.height() + 1, algo: "sha256d" });
    expect(a.target).toBe(`ffff${"0".repeat(60)}`);
    expect(job.coinb1).toContain(`2cfabe6d6d${a.hash}0100000000000000`);
  });

  test("an aux block found without a parent block: accepted by the simulator, recorded merged=1", async () => {
    const job = await jobWhere((j) => j.aux.length === 1, "a job with aux work");
    const auxHash = job.aux[0]!.hash;
    await mineCandidate(job, "aux-only");
    const r = await until(() => run.auxBlocks.find((b) => b.hash === auxHash), "the aux block result");
    expect(r).toMatchObject({ verdict: "accepted", currency: "NMC", parentMain: false, height: job.aux[0]!.height, hexBits: "2100FFFF" });
    expect(sim.accepted).toContain(auxHash);
    expect(run.blocks).toHaveLength(0);
    const rec = await until(async () => {
      const h = await redis.client.hgetall(`unproc_block_${auxHash}`);
      return Object.keys(h).length > 0 ? h : undefined;
    }, "the unproc_block record");
    expect(rec).toMatchObject({ merged: "1", currency: "NMC", hex_bits: "2100FFFF", fees: "None", total_subsidy: "5000000000", algo: "sha256d" });
    // The tip moved: new aux work, a flush job (flush: true) with the next aux block.
    const next = await jobWhere((j) => j.aux[0]?.height === job.aux[0]!.height + 1, "a job on the next aux block");
    expect(next.type).toBe(0);
  });

  test("parent and aux block found by the same share", async () => {
    const job = await jobWhere((j) => j.aux.length === 1 && !sim.accepted.includes(j.aux[0]!.hash), "a job on fresh aux work");
    const auxHash = job.aux[0]!.hash;
    const { blockHash } = await mineCandidate(job, "both");
    const main = await until(() => run.blocks.find((b) => b.hash === blockHash), "the parent block result");
    expect(main.accepted).toBe(true);
    const aux = await until(() => run.auxBlocks.find((b) => b.hash === auxHash), "the aux block result");
    expect(aux).toMatchObject({ verdict: "accepted", parentMain: true, parentHash: blockHash });
    expect(await node.rpc("getbestblockhash")).toBe(blockHash);
  });

  test("an aux tip change makes old work stale: -8 is handled, logged, and a new job follows", async () => {
    const job = await jobWhere((j) => j.aux.length === 1 && !sim.accepted.includes(j.aux[0]!.hash), "a job on fresh aux work");
    const old = job.aux[0]!;
    sim.advanceTip();
    await mineCandidate(job, "aux-only");
    const r = await until(() => run.auxBlocks.find((b) => b.hash === old.hash), "the stale aux result");
    expect(r.verdict).toBe("stale");
    expect(r.reason).toContain("block hash unknown");
    expect(sim.submissions.at(-1)).toMatchObject({ hash: old.hash, verdict: "unknown" });
    expect(logLines.some((l) => l.includes(`NMC BLOCK ${old.hash}`) && l.includes("STALE"))).toBe(true);
    const next = await jobWhere((j) => j.aux[0]!.height === old.height + 1 && j.aux[0]!.hash !== old.hash, "a job on the new aux tip");
    expect(next.aux[0]!.hash).not.toBe(old.hash);
  });
});

describe("three aux chains: slots from chain ids, each chain's auxpow accepted", () => {
  const sims = [1, 16, 98].map((chainId) => startAuxSimulator({ chainId }));
  let run: Awaited<ReturnType<typeof startMergedCore>>;
  beforeAll(async () => {
    run = await startMergedCore([
      { key: "NMC", sim: sims[0]!, method: "createauxblock" },
      { key: "AUXB", sim: sims[1]!, method: "getauxblock" },
      { key: "AUXC", sim: sims[2]!, method: "createauxblock" },
    ]);
  });
  afterAll(async () => {
    await run?.core.stop();
    for (const s of sims) s.stop();
  });

  test("one share meets all three aux targets: three blocks, one per simulator", async () => {
    const job = await jobWhere((j) => j.aux.length === 3, "a job with three aux chains");
    // Chain ids 1, 16, 98 differ mod 4 (rule 11): a tree of 4, nonce 0.
    expect(job.coinb1).toMatch(/2cfabe6d6d[0-9a-f]{64}0400000000000000/);
    await mineCandidate(job, "aux-only");
    for (const [i, a] of job.aux.entries()) {
      const r = await until(() => run.auxBlocks.find((b) => b.hash === a.hash), `the ${a.currency} result`);
      expect(r.verdict).toBe("accepted");
      expect(sims[i]!.accepted).toEqual([a.hash]);
    }
    expect(sims[1]!.submissions[0]!.method).toBe("getauxblock");
  });
});

describe("segwit-active parent (witness commitment and auxpow commitment together)", () => {
  let sim: AuxSimulator;
  let run: Awaited<ReturnType<typeof startMergedCore>>;
  beforeAll(async () => {
    await node.mine(432);
    sim = startAuxSimulator({ chainId: 1 });
    run = await startMergedCore([{ key: "NMC", sim, method: "getauxblock" }]);
  });
  afterAll(async () => {
    await run?.core.stop();
    sim?.stop();
  });

  test("a share that is both blocks: bcoin takes the segwit block, the simulator the auxpow", async () => {
    const job = await jobWhere((j) => j.aux.length === 1 && j.height > 432, "a segwit job with aux work");
    const stored = run.core.coins.get("BTC")!.jobs.store.get(job.id)!;
    expect(stored.segwitActive).toBe(true);
    expect(job.coinb2).toContain("6a24aa21a9ed");
    const { blockHash } = await mineCandidate(job, "both");
    const main = await until(() => run.blocks.find((b) => b.hash === blockHash), "the parent block result");
    expect(main.accepted).toBe(true);
    const aux = await until(() => run.auxBlocks.find((b) => b.hash === job.aux[0]!.hash), "the aux block result");
    expect(aux.verdict).toBe("accepted");
  });
});
