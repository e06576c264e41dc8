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
import { contractNames, MESSAGE_FIELD, type BlockCandidateV1 } from "../../shared/contract/index.ts";
import { createPowRegistry, loadPowNative } from "../../shared/pow/index.ts";
import { parseQuarantine } from "../gate/quarantine-store.ts";
import { CoinserverPool } from "../coinserver/index.ts";
import { JobManager, JobPublisher, jobSettings, type JobCoinConfig, type JobEvent } from "../jobs/index.ts";
import { BCOIN_REGTEST_ADDRESS, startBcoin, type BcoinNode } from "../../test/helpers/bcoin.ts";
import { captureLog } from "../../test/helpers/log-capture.ts";
import { startRedis, type PrivateRedis } from "../../test/helpers/redis.ts";
import { BlockConsumer } from "./consumer.ts";
import { BlockSubmitter } from "./submitter.ts";
import { candidateChecker } from "./verify.ts";
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
let tamperedSubmitter: BlockSubmitter;
const check = candidateChecker(createPowRegistry(["sha256d"], loadPowNative({ warn: () => {} })));
const names = contractNames(PREFIX);
const cap = captureLog("blocks");
const results: BlockResult[] = [];
const sentHeaders: string[] = [];
function sentHeader(method: string, params?: readonly unknown[]): string {
  const p = params?.[0];
  const hex = method === "submitblock" ? p : method === "getblocktemplate" && typeof p === "object" && p !== null ? (p as { data?: unknown }).data : undefined;
  return typeof hex === "string" ? hex.slice(0, 160) : "";
}
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
  // Every block sent to bcoin is seen here first (submitblock, or GBT mode submit): its header, hex.
  const spied = {
    call: (method: string, params?: readonly unknown[]) => pool.call(method, params),
    callAll: (method: string, params?: readonly unknown[], opts?: { readonly waitMs?: number; readonly urgent?: boolean }) => (sentHeaders.push(sentHeader(method, params)), pool.callAll(method, params, opts)),
    callServer: (name: string, method: string, params?: readonly unknown[], opts?: { readonly urgent?: boolean }) => (sentHeaders.push(sentHeader(method, params)), pool.callServer(name, method, params, opts)),
  };
  submitter = new BlockSubmitter({ jobs, pool: spied, log: cap.log, policy: { retryMs: 50 } });
  tamperedSubmitter = new BlockSubmitter({ jobs: tampered, pool: spied, log: cap.log, policy: { retryMs: 50 } });
  for (const s of [submitter, tamperedSubmitter]) s.subscribe((r) => results.push(r));
  consumer = new BlockConsumer({
    redis: redis.client,
    prefix: PREFIX,
    consumer: "core:test",
    submitter: (jm) => (jm === "BTC" ? submitter : jm === "TAMPER" ? tamperedSubmitter : undefined),
    check,
    log: cap.log,
    blockMs: 200,
    retryMs: 100,
    discoverMs: 100,
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

/** The job miners would have now (a fresh template is asked for first; an unchanged one gives no new job, so the latest published one stands). */
async function currentJob(jm: JobManager) {
  const fresh = nextJob(jm);
  jm.refreshNow("start");
  await Promise.race([fresh, Bun.sleep(500)]);
  return readLatestJob(redis.client, PREFIX, jm.jobmanager);
}

/** Every entry of `stream` handled and acked by the block group. */
async function waitForAcked(stream: string): Promise<void> {
  await waitFor(`acks on ${stream}`, async () => ((await redis.client.xpending(stream, names.blockGroup)) as [number])[0] === 0 || undefined);
}

/**
 * The job miners would have now (a fresh template is asked for first; an unchanged one gives no new
 * job, so the latest published one stands) → solved by the edge-side miner → candidate → BlockResult.
 */
async function mineThroughPool(jm: JobManager, opts: { miss?: boolean } = {}) {
  const job = await currentJob(jm);
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

  test("(4a) a main-chain claim above the network target is never sent to bcoin nor recorded; on the v1 stream no edge is quarantined", async () => {
    const before = (await node.rpc("getblockcount")) as number;
    const job = await currentJob(jobs);
    const en2 = Uint8Array.of(0, 0, 0, ++nonceSeq);
    const c = candidateFor(job, solveJob(job, EN1, en2, { miss: true }), EN1, en2, { address: BCOIN_REGTEST_ADDRESS });
    const id = await sendCandidate(redis.client, PREFIX, c);
    await waitFor("the refusal", () => (cap.count(new RegExp(`FORGED BTC block candidate ${id} from edge test-edge: job ${job.id}: claims a BTC block, but PoW hash ${c.powHash} is above the network target`)) === 1 ? true : undefined));
    await waitForAcked(names.candidateStream);
    expect(cap.count(new RegExp(`candidate ${id} came on the shared v1 stream, which any edge may write: no edge quarantined`))).toBe(1);
    expect(sentHeaders).not.toContain(c.header);
    expect(results.some((r) => r.candidateId === id)).toBe(false);
    expect(await node.rpc("getblockcount")).toBe(before);
    expect(await redis.client.keys(names.quarantinePattern)).toEqual([]);
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
    await waitFor("both logged", () => (cap.count(new RegExp(`candidate ${bad} in ${names.candidateStream}: malformed`)) === 1 && cap.count(/job 00000000deadbeef is no longer held/) === 1 ? true : undefined));
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

describe("contract v2: every edge's own candidate stream, identity from the stream, every candidate checked against its job", () => {
  /** A block on the current BTC job, mined by `edge`'s miner (its share seq `seq`). */
  async function found(edge: string, seq: number, opts: { miss?: boolean } = {}): Promise<BlockCandidateV1> {
    const job = await currentJob(jobs);
    const en2 = Uint8Array.of(0, 0, 1, ++nonceSeq);
    return candidateFor(job, solveJob(job, EN1, en2, opts), EN1, en2, { address: BCOIN_REGTEST_ADDRESS, edge, shareSeq: seq, session: "0000e001" });
  }

  test("an edge's candidate stream is read from the moment its share stream exists; its valid block is submitted and accepted", async () => {
    await redis.client.xadd(names.edgeStream("shares", "eu1"), "*", MESSAGE_FIELD, "x");
    await waitFor("the candidate stream of eu1 with the block group", async () => {
      const groups = (await redis.client.call("XINFO", "GROUPS", names.edgeStream("candidates", "eu1")).catch(() => [])) as unknown[][];
      return groups.some((g) => g.includes(names.blockGroup)) || undefined;
    });
    const before = (await node.rpc("getblockcount")) as number;
    const c = await found("eu1", 11);
    const id = await sendCandidate(redis.client, PREFIX, c, "eu1");
    const r = await waitFor("the block result", () => results.find((x) => x.candidateId === id));
    expect(r).toMatchObject({ accepted: true, chain: "best", edge: "eu1", session: "0000e001", shareSeq: 11, hash: c.blockHash });
    expect(sentHeaders).toContain(c.header);
    expect(await node.rpc("getblockcount")).toBe(before + 1);
    await waitForAcked(names.edgeStream("candidates", "eu1"));
    expect(consumer.status()).toMatchObject({ refused: 0 });
  });

  test("a candidate in eu2's stream naming eu1 is refused: acked, never submitted, no result, no quarantine", async () => {
    const c = await found("eu1", 12);
    const id = await sendCandidate(redis.client, PREFIX, c, "eu2");
    await waitFor("the refusal", () => (cap.count(new RegExp(`candidate ${id} in ${PREFIX}candidates:eu2 REFUSED: it names edge "eu1", but only edge "eu2" writes this stream`)) === 1 ? true : undefined));
    await waitForAcked(names.edgeStream("candidates", "eu2"));
    expect(sentHeaders).not.toContain(c.header);
    expect(results.some((r) => r.candidateId === id)).toBe(false);
    expect(await redis.client.keys(names.quarantinePattern)).toEqual([]);
    expect(consumer.status().refused).toBe(1);
  });

  test("forged candidates (tampered nonce, header not of its job, main claim above the target) are never sent to bcoin and quarantine their edge", async () => {
    const before = (await node.rpc("getblockcount")) as number;
    const genuine = await found("eu3", 1);
    const forged: Record<string, BlockCandidateV1> = {
      // The nonce field no longer matches the header that was hashed.
      eu3: { ...genuine, nonce: (genuine.nonce + 1) >>> 0 },
      // A header whose merkle root commits to some other coinbase than the job's.
      eu4: { ...genuine, edge: "eu4", header: `${genuine.header.slice(0, 72)}${"ee".repeat(32)}${genuine.header.slice(136)}` },
      // Honest bytes and hashes, but no block: the hash is above the network target.
      eu5: await found("eu5", 1, { miss: true }),
    };
    const ids: Record<string, string> = {};
    for (const [edge, c] of Object.entries(forged)) ids[edge] = await sendCandidate(redis.client, PREFIX, c, edge);
    const details = { eu3: /: nonce \(rebuilt [0-9a-f]{8}, claimed [0-9a-f]{8}\)$/, eu4: /: merkle root \(rebuilt [0-9a-f]{64}, claimed (ee){32}\)$/, eu5: /claims a BTC block, but PoW hash [0-9a-f]{64} is above the network target \(bits 207fffff\)$/ };
    for (const [edge, detail] of Object.entries(details)) {
      const q = await waitFor(`the quarantine of ${edge}`, async () => {
        const h = await redis.client.hgetall(names.quarantine(edge));
        return Object.keys(h).length > 0 ? parseQuarantine(edge, h) : undefined;
      });
      expect(q).toMatchObject({ edge, reason: "forged block candidate", stream: names.edgeStream("candidates", edge), entry: ids[edge], action: null });
      expect(q.detail).toMatch(detail);
      expect(cap.count(new RegExp(`FORGED BTC block candidate ${ids[edge]} from edge ${edge}: job [0-9a-f]+: `))).toBe(1);
      expect(cap.count(new RegExp(`edge ${edge} QUARANTINED: forged block candidate`))).toBe(1);
      await waitForAcked(names.edgeStream("candidates", edge));
    }
    for (const c of Object.values(forged)) expect(sentHeaders).not.toContain(c.header);
    expect(results.filter((r) => Object.values(ids).includes(r.candidateId))).toEqual([]);
    expect(await node.rpc("getblockcount")).toBe(before);
    expect(consumer.status().forged).toBeGreaterThanOrEqual(3);

    // Quarantined already (an operator decision may be pending on it): a second forgery leaves the record as it is.
    await redis.client.hset(names.quarantine("eu3"), "action", "release");
    const again = await sendCandidate(redis.client, PREFIX, { ...genuine, nonce: (genuine.nonce + 2) >>> 0 }, "eu3");
    await waitFor("the second refusal", () => (cap.count(new RegExp(`edge eu3 was already quarantined; its forged block candidate ${again} is refused`)) === 1 ? true : undefined));
    expect(await redis.client.hget(names.quarantine("eu3"), "entry")).toBe(ids.eu3!);
    expect(await redis.client.hget(names.quarantine("eu3"), "action")).toBe("release");
  });

  test("an edge's candidate stream deleted under the reader: found again, its group re-created, its next block submitted", async () => {
    const stream = names.edgeStream("candidates", "eu1");
    await redis.client.del(stream);
    await waitFor("the read to fail", () => (cap.count(/reading the block candidate streams failed: (NOGROUP|UNBLOCKED)/) >= 1 ? true : undefined));
    await waitFor("reading again", () => (consumer.status().state === "reading" ? true : undefined));
    // Re-created from eu1's share stream, group and all.
    expect(await redis.client.exists(stream)).toBe(1);
    const c = await found("eu1", 14);
    const id = await sendCandidate(redis.client, PREFIX, c, "eu1");
    const r = await waitFor("the block result", () => results.find((x) => x.candidateId === id));
    expect(r).toMatchObject({ accepted: true, edge: "eu1", shareSeq: 14 });
    await waitForAcked(stream);
  });

  test("a candidate left pending by a previous leader is taken over and submitted by the new one", async () => {
    await consumer.stop();
    const stream = names.edgeStream("candidates", "eu1");
    const c = await found("eu1", 13);
    const id = await sendCandidate(redis.client, PREFIX, c, "eu1");
    // The old leader read it and died before acking.
    const read = (await redis.client.call("XREADGROUP", "GROUP", names.blockGroup, "core:old", "COUNT", 10, "STREAMS", stream, ">")) as [string, [string, string[]][]][];
    expect(read[0]![1].map(([entry]) => entry)).toEqual([id]);
    const before = (await node.rpc("getblockcount")) as number;
    consumer = new BlockConsumer({ redis: redis.client, prefix: PREFIX, consumer: "core:new", submitter: (coin) => (coin === "BTC" ? submitter : undefined), check, log: cap.log, blockMs: 200, takeover: true });
    consumer.start();
    const r = await waitFor("the block result", () => results.find((x) => x.candidateId === id));
    expect(r).toMatchObject({ accepted: true, chain: "best", edge: "eu1", shareSeq: 13 });
    expect(await node.rpc("getblockcount")).toBe(before + 1);
    expect(cap.count(new RegExp(`took over 1 block candidate\\(s\\) another core left pending in ${stream}`))).toBe(1);
    await waitForAcked(stream);
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
