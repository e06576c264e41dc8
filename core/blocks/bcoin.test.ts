/**
 * Template → job → Redis → an edge-side solver (only the decoded JobV1) → candidate stream → the
 * core's consumer → submitblock → a real bcoin regtest node (child process) and a private Redis.
 * The job manager is driven by hand here (no tip watcher), so bcoin's template cache is predictable:
 * it builds a new template only on the first request after a block (bcoin-regtest.md, Gotcha 5).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  base58CheckEncode,
  bytesToHex,
  bytesToRpcHex,
  concatBytes,
  encodeSegwitAddress,
  findWitnessCommitment,
  hash160,
  hexToBytes,
  parseBlock,
  rpcHexToBytes,
  serializeTx,
  sha256,
  sha256d,
  txid,
  WITNESS_RESERVED_VALUE,
} from "../../shared/bitcoin/index.ts";
import { contractNames } from "../../shared/contract/index.ts";
import { CoinserverPool } from "../coinserver/index.ts";
import { JobManager, JobPublisher, jobSettings, type JobCoinConfig, type JobEvent } from "../jobs/index.ts";
import { BCOIN_REGTEST_ADDRESS, startBcoin, type BcoinNode } from "../../test/helpers/bcoin.ts";
import { captureLog } from "../../test/helpers/log-capture.ts";
import { startRedis, type PrivateRedis } from "../../test/helpers/redis.ts";
import { BlockConsumer } from "./consumer.ts";
import { BlockSubmitter } from "./submitter.ts";
import { candidateFor, readLatestJob, sendCandidate, solveJob } from "./testing.ts";
import type { BlockResult } from "./types.ts";

const PREFIX = "t:";
const OP_TRUE = Uint8Array.of(0x51);
/** bcoin regtest P2SH (version 0x26) of the redeem script OP_TRUE: spendable with scriptSig `01 51`. */
const P2SH_OP_TRUE = base58CheckEncode(concatBytes(Uint8Array.of(0x26), hash160(OP_TRUE)));
/** bcoin regtest P2WSH of the witness script OP_TRUE: spendable with the witness [51]. */
const P2WSH_OP_TRUE = encodeSegwitAddress("rb", 0, sha256(OP_TRUE));
const EN1 = hexToBytes("0a0b0c0d");

const coin = (key: string): JobCoinConfig => ({
  key,
  currency: "BTC",
  algo: "sha256d",
  network: "bcoin-regtest",
  pool_address: BCOIN_REGTEST_ADDRESS,
  rules: ["segwit"],
  coinbase_tag: "/pp-test/",
  version_mask: 0x1fffe000,
  diff1: 0xffffn << 208n,
  pow_block_hash: false,
});

let node: BcoinNode;
let redis: PrivateRedis;
let pool: CoinserverPool;
let jobs: JobManager;
let tampered: JobManager;
let submitter: BlockSubmitter;
let consumer: BlockConsumer;
const cap = captureLog("blocks");
const results: BlockResult[] = [];
let nonceSeq = 0;

beforeAll(async () => {
  [node, redis] = await Promise.all([startBcoin(), startRedis()]);
  // Block 1 pays P2SH(OP_TRUE) and block 2 P2WSH(OP_TRUE): spendable test coins once mature (100 blocks).
  await node.mine(1, P2SH_OP_TRUE);
  await node.mine(1, P2WSH_OP_TRUE);
  await node.mine(100);
  pool = new CoinserverPool({ label: "BTC", servers: [node.coinserver({ name: "bcoin" })], pingInterval: 1, log: cap.log });
  pool.start();
  expect(await pool.waitForLive(5000)).toBe(true);
  const publisher = new JobPublisher({ redis: redis.client, prefix: PREFIX, log: cap.log });
  const settings = { extranonce_serv_size: 4, extranonce_size: 4 };
  jobs = new JobManager({ settings: jobSettings(coin("BTC"), settings), source: pool, publisher, log: cap.log });
  // Same coinserver, but every template claims one satoshi more than the block may pay.
  const overpay = {
    call: async (method: string, params?: readonly unknown[]) => {
      const r = (await pool.call(method, params)) as Record<string, unknown>;
      return method === "getblocktemplate" ? { ...r, coinbasevalue: (r.coinbasevalue as number) + 1 } : r;
    },
  };
  tampered = new JobManager({ settings: jobSettings(coin("TAMPER"), settings), source: overpay, publisher, log: cap.log });
  await Promise.all([jobs.start(), tampered.start()]);
  submitter = new BlockSubmitter({ jobs, pool, log: cap.log, policy: { retryMs: 50 } });
  const tamperedSubmitter = new BlockSubmitter({ jobs: tampered, pool, log: cap.log, policy: { retryMs: 50 } });
  for (const s of [submitter, tamperedSubmitter]) s.subscribe((r) => results.push(r));
  consumer = new BlockConsumer({
    redis: redis.client,
    prefix: PREFIX,
    consumer: "core:test",
    submitter: (jm) => (jm === "BTC" ? submitter : jm === "TAMPER" ? tamperedSubmitter : undefined),
    log: cap.log,
    blockMs: 200,
  });
  consumer.start();
});

afterAll(async () => {
  if (process.env.SHOW_LOG) console.log(cap.lines.join("\n"));
  await consumer?.stop();
  jobs?.stop();
  tampered?.stop();
  pool?.stop();
  await Promise.all([node?.stop(), redis?.stop()]);
});

function nextJob(jm: JobManager): Promise<JobEvent> {
  return new Promise((resolve) => {
    const off = jm.subscribe((ev) => {
      off();
      resolve(ev);
    });
  });
}

async function waitFor<T>(what: string, get: () => T | undefined | Promise<T | undefined>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(20);
  }
}

/**
 * The job miners would have now (a fresh template is asked for first; an unchanged one gives no new
 * job, so the latest published one stands) → solved by the edge-side miner → candidate → BlockResult.
 */
async function mineThroughPool(jm: JobManager, opts: { miss?: boolean } = {}) {
  const fresh = nextJob(jm);
  jm.refreshNow("start");
  await Promise.race([fresh, Bun.sleep(500)]);
  const job = await readLatestJob(redis.client, PREFIX, jm.jobmanager);
  const stored = jm.store.get(job.id);
  if (!stored) throw new Error(`job ${job.id} is not in the core's store`);
  const en2 = Uint8Array.of(0, 0, 0, ++nonceSeq);
  const solved = solveJob(job, EN1, en2, opts);
  const candidate = candidateFor(job, solved, EN1, en2, { address: BCOIN_REGTEST_ADDRESS, worker: "rig1" });
  const entryId = await sendCandidate(redis.client, PREFIX, candidate);
  const result = await waitFor("block result", () => results.find((r) => r.candidateId === entryId));
  return { job, stored, candidate, result };
}

describe("blocks found through the pool are accepted by bcoin", () => {
  test("(1) template → job → solved from the JobV1 alone → submitted → height +1, tip = candidate hash", async () => {
    const before = (await node.rpc("getblockcount")) as number;
    const afterBlock = new Promise<JobEvent>((resolve) => {
      const off = jobs.subscribe((ev) => ev.cause === "block-found" && (off(), resolve(ev)));
    });
    const { job, candidate, result } = await mineThroughPool(jobs);
    expect(job.type).toBe(0);
    expect(job.height).toBe(before + 1);
    expect(result).toMatchObject({ accepted: true, rejectReason: null, chain: "best", height: before + 1, hash: candidate.blockHash, worker: "rig1", merged: false });
    expect(result.servers).toEqual([expect.objectContaining({ server: "bcoin", verdict: "accepted", method: "submitblock", tries: 1 })]);
    expect(result.totalSubsidy).toBe(5_000_000_000n);
    expect(result.shareToSubmitMs).toBeGreaterThanOrEqual(0);
    expect(await node.rpc("getblockcount")).toBe(before + 1);
    expect(await node.rpc("getbestblockhash")).toBe(candidate.blockHash);
    // The block's coinbase is the miner's, byte for byte: its txid leads the block.
    const block = (await node.rpc("getblock", [candidate.blockHash])) as { tx: string[] };
    expect(block.tx[0]).toBe(bytesToRpcHex(sha256d(hexToBytes(candidate.coinbase))));
    // §15 item 29: a fresh template is asked for right after the block, giving a flush job on top of it.
    const next = await afterBlock;
    expect(next.job).toMatchObject({ type: 0, height: before + 2 });
    expect(cap.count(/accepted/)).toBeGreaterThanOrEqual(1);
  });

  test("(2) with a mempool transaction: branch of one, block carries it, fees recorded", async () => {
    await node.mine(1); // drops bcoin's cached template: the next request sees the mempool
    const spend = await spendCoinbase(1, { scriptSig: Uint8Array.of(0x01, 0x51), witness: [] });
    const { job, result, candidate } = await mineThroughPool(jobs);
    expect(job.branch).toEqual([bytesToHex(rpcHexToBytes(spend))]);
    expect(result).toMatchObject({ accepted: true, chain: "best", fees: 10_000n, totalSubsidy: 5_000_010_000n });
    const block = (await node.rpc("getblock", [candidate.blockHash])) as { tx: string[] };
    expect(block.tx).toEqual([expect.any(String), spend]);
    expect(await node.rpc("getrawmempool")).toEqual([]);
  });

  test("(4a) a header above the target is rejected with bcoin's reason, logged", async () => {
    const before = (await node.rpc("getblockcount")) as number;
    const { result, candidate } = await mineThroughPool(jobs, { miss: true });
    expect(result).toMatchObject({ accepted: false, rejectReason: "high-hash" });
    expect(result.servers[0]).toMatchObject({ verdict: "rejected", reason: "high-hash", raw: "rejected: high-hash" });
    expect(await node.rpc("getblockcount")).toBe(before);
    expect(cap.count(new RegExp(`BLOCK ${candidate.blockHash}:${before + 1} REJECTED: high-hash`))).toBe(1);
  });

  test("(4b) a coinbase paying one satoshi too much is rejected as bad-cb-amount", async () => {
    const { result } = await mineThroughPool(tampered);
    expect(result).toMatchObject({ accepted: false, rejectReason: "bad-cb-amount", jobmanager: "TAMPER" });
  });

  test("malformed candidates and candidates for unknown jobs are logged and acked", async () => {
    const names = contractNames(PREFIX);
    const bad = await sendCandidate(redis.client, PREFIX, '{"v":1,"edge":"x"}');
    const job = await readLatestJob(redis.client, PREFIX, "BTC");
    const solved = solveJob(job, EN1, Uint8Array.of(9, 9, 9, 9));
    const unknown = await sendCandidate(redis.client, PREFIX, { ...candidateFor(job, solved, EN1, Uint8Array.of(9, 9, 9, 9), { address: BCOIN_REGTEST_ADDRESS }), jobId: "00000000deadbeef" });
    await waitFor("both logged", () => (cap.count(new RegExp(`candidate ${bad}: malformed`)) === 1 && cap.count(/job 00000000deadbeef is no longer held/) === 1 ? true : undefined));
    await waitFor("acks", async () => ((await redis.client.xpending(names.candidateStream, names.blockGroup)) as [number])[0] === 0 || undefined);
    expect(results.some((r) => r.candidateId === unknown)).toBe(false);
  });

  test("(3) segwit active: witness commitment (ours = bcoin's) and the coinbase witness", async () => {
    const height = (await node.rpc("getblockcount")) as number;
    await node.mine(432 - height); // BIP9 activation on bcoin regtest (bcoin-regtest.md, Gotcha 4)
    const spend = await spendCoinbase(2, { scriptSig: new Uint8Array(0), witness: [OP_TRUE] });
    const { job, stored, result, candidate } = await mineThroughPool(jobs);
    expect(stored.segwitActive).toBe(true);
    expect(stored.txDataHex).toHaveLength(1);
    expect(job.coinb2).toContain("6a24aa21a9ed");
    expect(cap.count(/witness commitment differs/)).toBe(0);
    expect(result).toMatchObject({ accepted: true, chain: "best" });
    const raw = (await node.rpc("getblock", [candidate.blockHash, 0])) as string;
    const block = parseBlock(hexToBytes(raw));
    expect(block.txs[0]!.inputs[0]!.witness).toEqual([WITNESS_RESERVED_VALUE]);
    expect(findWitnessCommitment(block.txs[0]!)).not.toBeNull();
    expect(bytesToHex(txid(block.txs[1]!))).toBe(bytesToHex(rpcHexToBytes(spend)));
  });
});

/** Spends the coinbase of block `h` (an OP_TRUE script) to OP_TRUE with a 10 000 sat fee; returns the txid once in the mempool. */
async function spendCoinbase(h: number, input: { scriptSig: Uint8Array; witness: Uint8Array[] }): Promise<string> {
  const hash = (await node.rpc("getblockhash", [h])) as string;
  const cb = ((await node.rpc("getblock", [hash])) as { tx: string[] }).tx[0]!;
  const tx = {
    version: 1,
    inputs: [{ prevTxid: rpcHexToBytes(cb), prevIndex: 0, scriptSig: input.scriptSig, sequence: 0xffffffff, witness: input.witness }],
    outputs: [{ value: 5_000_000_000n - 10_000n, script: Uint8Array.of(0xa9, 0x14, ...hash160(OP_TRUE), 0x87) }],
    locktime: 0,
  };
  const id = (await node.rpc("sendrawtransaction", [bytesToHex(serializeTx(tx))])) as string;
  await waitFor("mempool", async () => (((await node.rpc("getrawmempool")) as string[]).includes(id) ? true : undefined));
  return id;
}
