/**
 * The whole pool end to end (issue 5 §7): an edge and a core, in this process, joined only by a
 * real private Redis (AOF-persisted so it can be stopped and restarted), with a real bcoin regtest
 * node (child process) as the coinserver and real stratum sockets to two miners — a cpuminer-style
 * client and an ASIC-style one (configure, suggest_difficulty, version rolling).
 *
 * bcoin regtest's network target is about 2^255, so with a share difficulty of 1e-8 (target about
 * 2^250) every accepted share is also a block: each accepted share here produces a block
 * submission and, once bcoin takes it, a flush job. The tests are written around that: an accepted
 * share's duplicate is sent in the same write (judged before any flush can arrive), a stale share
 * is one on the job a flush ended, and a "low" share is ground to miss the network target too.
 *
 * What Redis must finally hold is derived from what the miners were told (a ledger of replies), so
 * the assertions do not depend on how the edge's and the core's work interleave.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type Redis from "ioredis";
import { startCore, type RunningCore } from "../../core/app.ts";
import type { BlockResult } from "../../core/blocks/index.ts";
import { startEdge, type RunningEdge } from "../../edge/app.ts";
import { base58CheckEncode, bytesToRpcHex, concatBytes, sha256d, stratumPrevhashToBytes, u32FromHex, u32ToHex } from "../../shared/bitcoin/index.ts";
import { addressChecker } from "../../shared/config/addresses.ts";
import { parseConfig, type Config } from "../../shared/config/load.ts";
import { createLogger } from "../../shared/log.ts";
import { BCOIN_REGTEST_ADDRESS, startBcoin, type BcoinNode } from "../helpers/bcoin.ts";
import { compareAccounting, Ledger, pyFloat, readAccounting as readAccountingAt, type Credit } from "../helpers/ledger.ts";
import { buildHeader, TestMiner, type MinerJob, type Share, type StratumMessage } from "../helpers/miner.ts";
import { bcoinPoolYaml } from "../helpers/pool-config.ts";
import { startRedis, type PrivateRedis } from "../helpers/redis.ts";

const POOL_ADDRESS = "RAqS1bAuWqW2f6ufsU5H4XpKfy5Pqj2oHz";
/** A second bcoin regtest P2PKH address (version 0x3c, hash160 0x22×20), so the two miners' credit differs. */
const CPU_ADDRESS = base58CheckEncode(concatBytes(Uint8Array.of(0x3c), new Uint8Array(20).fill(0x22)));
const ASIC_ADDRESS = BCOIN_REGTEST_ADDRESS;
const CPU = { address: CPU_ADDRESS, worker: "cpu1" };
const ASIC = { address: ASIC_ADDRESS, worker: "asic1" };
const CPU_DIFF = 1e-8;
const ASIC_DIFF = 2e-8;
const ALGO = "sha256d";
const CURRENCY = "BTC";
const CHAIN = 1;

const readAccounting = (client: Redis) => readAccountingAt(client, { algo: ALGO, chain: CHAIN });
const compare = compareAccounting;

/** The core's and the edge's log lines (E2E_LOG=1 also prints them as they come). */
const logLines: string[] = [];
const log = createLogger("e2e", {
  level: "debug",
  format: "text",
  components: {},
  write: (line) => {
    logLines.push(line);
    if (process.env.E2E_LOG) process.stderr.write(`${line}\n`);
  },
});

/** Polls `cond`; a timeout names what was awaited and shows the pool's last notable log lines. */
async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) {
      const notable = logLines.filter((l) => /\[(NOTICE|WARN|ERROR)\]/.test(l)).slice(-20);
      throw new Error(`timed out after ${ms} ms waiting for ${what}; last log lines:\n${notable.join("\n")}`);
    }
    await Bun.sleep(25);
  }
}

/** The block hash (display hex) of a share: sha256d of the header it stands for. */
function blockHashOf(miner: TestMiner, job: MinerJob, share: Share): string {
  return bytesToRpcHex(sha256d(buildHeader(job, miner.extranonce1, share, miner.versionMask)));
}

/**
 * A share that misses the share target and the network target alike (hash ≥ 2^255: top bit of
 * the little-endian hash's last byte), so the pool must call it low and not a block.
 */
function pureLowShare(miner: TestMiner, job: MinerJob): Share {
  for (let i = 0; i < 10_000; i++) {
    const s = miner.mineShare(job, { difficulty: 1e-300 });
    const hash = sha256d(buildHeader(job, miner.extranonce1, s, miner.versionMask));
    if ((hash[31]! & 0x80) !== 0) return s;
  }
  throw new Error("pureLowShare: no hash at or above 2^255 in 10000 tries");
}

let submitSeq = 0;
/** Submit params as the miner sends them: worker first, version bits last when rolled. */
function submitLine(user: string, s: Share, id: string): string {
  const params: unknown[] = [user, s.jobId, s.extranonce2, s.ntime, s.nonce];
  if (s.versionBits !== undefined) params.push(s.versionBits);
  return JSON.stringify({ id, method: "mining.submit", params });
}

/**
 * Sends every submit in ONE write and returns the replies in order. The edge reads them in one
 * chunk and checks them back to back (sha256d is hashed inline), so nothing — no flush job from
 * the block an accepted share found — can come between them.
 */
async function submitTogether(miner: TestMiner, user: string, items: readonly (Share | unknown[])[]): Promise<StratumMessage[]> {
  const ids = items.map(() => `s${++submitSeq}`);
  const lines = items.map((it, i) => (Array.isArray(it) ? JSON.stringify({ id: ids[i], method: "mining.submit", params: [user, ...it] }) : submitLine(user, it, ids[i]!)));
  miner.sendRaw(`${lines.join("\n")}\n`);
  const replies: StratumMessage[] = [];
  for (const id of ids) replies.push(await miner.next((m) => m.method === undefined && m.id === id, 10_000));
  return replies;
}

const errorOf = (m: StratumMessage) => m.error;

describe("pool end to end: edge + core + Redis + bcoin regtest", () => {
  let redis: PrivateRedis;
  let node: BcoinNode;
  let core: RunningCore;
  let edge: RunningEdge;
  let cpu: TestMiner;
  let asic: TestMiner;
  let spoolDir: string;
  const blocks: BlockResult[] = [];
  const ledger = new Ledger();
  const cpuUser = `${CPU.address}.${CPU.worker}`;
  const asicUser = `${ASIC.address}.${ASIC.worker}`;
  /** The first accepted share (test 2), used again for the stale case (test 3). */
  let first: { job: MinerJob; hash: string } | undefined;

  const resultFor = (hash: string) => blocks.find((b) => b.hash === hash);

  /** Mines and submits one share on the miner's newest job; on a stale answer (a flush raced it), once more on the next job. */
  async function acceptedShare(miner: TestMiner, who: Credit, user: string, versionBits?: number): Promise<{ job: MinerJob; share: Share; hash: string }> {
    for (let attempt = 0; attempt < 4; attempt++) {
      const job = miner.lastJob!;
      const share = miner.mineShare(job, versionBits === undefined ? {} : { versionBits });
      const [reply] = await submitTogether(miner, user, [share]);
      ledger.reply(who, reply!, job.difficulty);
      if (reply!.result === true) return { job, share, hash: blockHashOf(miner, job, share) };
      expect(errorOf(reply!)).toEqual([21, "Job not found (=stale)", null]);
      await until(() => miner.lastJob !== job, "a newer job after a stale answer");
    }
    throw new Error("acceptedShare: four stale answers in a row");
  }

  /**
   * Waits for the core's block result for `hash`, for its accounting record when accepted (so the
   * next share cannot reach its round), and, when the block became the tip, for the flush job on top of it.
   */
  async function blockAndFlush(miners: readonly TestMiner[], hash: string): Promise<BlockResult> {
    await until(() => resultFor(hash) !== undefined, `the core's block result for ${hash}`);
    const r = resultFor(hash)!;
    if (r.accepted) await until(async () => (await redis.client.exists(`unproc_block_${hash}`)) === 1, `unproc_block_${hash}`);
    if (r.accepted && r.chain === "best") {
      // The flush job's prevhash (stratum word order) is the new block.
      for (const m of miners) await until(() => bytesToRpcHex(stratumPrevhashToBytes(m.lastJob!.prevhash)) === hash, `a flush job on top of ${hash}`);
    }
    return r;
  }

  beforeAll(async () => {
    [redis, node] = await Promise.all([startRedis({ persistence: "aof" }), startBcoin()]);
    // One block first, so the chain tip is recent (a node with only the 2011 genesis counts itself as syncing).
    await node.mine(1);
    spoolDir = mkdtempSync(join(tmpdir(), "pp-e2e-spool-"));
    const cs = node.coinserver({ name: "bcoin" });
    const config: Config = parseConfig(
      bcoinPoolYaml({ procname: "e2e", coinserver: cs, poolAddress: POOL_ADDRESS, difficulty: CPU_DIFF, redisUrl: redis.url, prefix: "e2e:", chain: CHAIN }),
      "test.yml",
      { addresses: addressChecker },
    );
    core = await startCore(config, log.child("core"), { consumer: "e2e-core" });
    core.onBlock((r) => blocks.push(r));
    edge = await startEdge(config, "e2e", log.child("edge"), { spoolDir, listenPorts: { main: 0 }, hostname: "127.0.0.1", powWorkers: 1 });
  });

  afterAll(async () => {
    cpu?.[Symbol.dispose]();
    asic?.[Symbol.dispose]();
    // Idempotent: test 6 stops them; this only runs them down after an earlier failure.
    await edge?.stop().catch(() => {});
    await core?.stop().catch(() => {});
    await node?.stop();
    await redis?.stop();
    if (spoolDir) rmSync(spoolDir, { recursive: true, force: true });
  });

  test("a cpuminer-style and an ASIC-style client authorize with bcoin regtest addresses and get work", async () => {
    const port = edge.stratum.listeners.get("main")!.port;
    cpu = await TestMiner.connect(port);
    const hs = await cpu.cpuMinerHandshake(cpuUser);
    expect(hs.authorize.result).toBe(true);
    expect(hs.afterAuthorize.map((m) => m.method)).toEqual(["mining.set_difficulty", "mining.notify"]);
    expect(cpu.difficulty).toBe(CPU_DIFF);
    expect(cpu.extranonce1).toMatch(/^[0-9a-f]{8}$/);
    expect(cpu.extranonce2Size).toBe(4);

    asic = await TestMiner.connect(port);
    const a = await asic.asicHandshake(asicUser, { mask: "1fffe000", minimumDifficulty: 1e-9, suggest: ASIC_DIFF });
    expect(a.configure.result).toMatchObject({ "version-rolling": true, "version-rolling.mask": "1fffe000", "minimum-difficulty": true });
    expect(a.suggest?.result).toBe(true);
    expect(a.authorize.result).toBe(true);
    await asic.nextMethod("mining.set_difficulty");
    await asic.nextMethod("mining.notify");
    expect(asic.difficulty).toBe(ASIC_DIFF);
    expect(asic.versionMask).toBe(0x1fffe000);
    expect(asic.extranonce1).not.toBe(cpu.extranonce1);
    // Both mine the block on top of bcoin's tip.
    const tip = (await node.rpc("getbestblockhash")) as string;
    for (const m of [cpu, asic]) expect(bytesToRpcHex(stratumPrevhashToBytes(m.lastJob!.prevhash))).toBe(tip);
  });

  test("an accepted share is a block bcoin accepts, recorded as unproc_block in Redis", async () => {
    const height = (await node.rpc("getblockcount")) as number;
    const { job, hash } = await acceptedShare(cpu, CPU, cpuUser);
    first = { job, hash };
    const r = await blockAndFlush([cpu, asic], hash);
    expect(r).toMatchObject({ accepted: true, chain: "best", hash, height: height + 1, address: CPU.address, worker: CPU.worker, currency: CURRENCY, algo: ALGO, rejectReason: null });
    expect(await node.rpc("getblockcount")).toBe(height + 1);
    expect(await node.rpc("getbestblockhash")).toBe(hash);
    // The coinbase pays the pool address.
    const block = (await node.rpc("getblock", [hash, true, true])) as { tx: { vout: { scriptPubKey: { address?: string; addresses?: string[] } }[] }[] };
    const payees = block.tx[0]!.vout.flatMap((o) => o.scriptPubKey.addresses ?? (o.scriptPubKey.address ? [o.scriptPubKey.address] : []));
    expect(payees).toContain(POOL_ADDRESS);

    const key = `unproc_block_${hash}`;
    await until(async () => (await redis.client.exists(key)) === 1, key);
    const rec = await redis.client.hgetall(key);
    expect(rec).toMatchObject({ address: CPU.address, worker: CPU.worker, height: String(height + 1), hash, currency: CURRENCY, algo: ALGO, merged: "0", fees: "0" });
    expect(rec.hex_bits).toBe("207fffff");
    expect(Number(rec.total_subsidy)).toBeGreaterThan(0);

    // The ASIC's share rolls version bits; bcoin's block carries them.
    const bits = 0x00002000;
    const a = await acceptedShare(asic, ASIC, asicUser, bits);
    const ra = await blockAndFlush([cpu, asic], a.hash);
    expect(ra).toMatchObject({ accepted: true, hash: a.hash, address: ASIC.address, worker: ASIC.worker });
    const header = (await node.rpc("getblockheader", [a.hash, true])) as { version: number };
    expect(header.version >>> 0).toBe(((u32FromHex(a.job.version) & ~0x1fffe000) | bits) >>> 0);
    expect(await node.rpc("getbestblockhash")).toBe(a.hash);
  });

  test("duplicate, low, malformed, unknown-job and stale shares are rejected with PowerPool's codes", async () => {
    const job = cpu.lastJob!;
    const good = cpu.mineShare(job);
    const low = pureLowShare(cpu, job);
    const future = u32ToHex(Math.floor(Date.now() / 1000) + 3 * 3600);
    const replies = await submitTogether(cpu, cpuUser, [
      good,
      good, // duplicate, judged before the block `good` found can flush the job
      low,
      [job.id, "00", job.ntime, good.nonce], // extranonce2 of 1 byte, subscribed 4
      [job.id, good.extranonce2, job.ntime, "zzzzzzzz"], // non-hex nonce
      [job.id, good.extranonce2, future, good.nonce], // ntime 3 h ahead
      ["deadbeef", good.extranonce2, job.ntime, good.nonce], // a job id never issued
    ]);
    expect(replies.map((m) => m.result)).toEqual([true, null, null, null, null, null, null]);
    expect(replies.slice(1).map(errorOf)).toEqual([
      [22, "Duplicate share", null],
      [23, "Low difficulty share", null],
      [20, "Other/Unknown", null],
      [20, "Other/Unknown", null],
      [20, "Other/Unknown", null],
      [21, "Job not found (=stale)", null],
    ]);
    ledger.add(CPU, "acc", job.difficulty);
    ledger.add(CPU, "dup", job.difficulty);
    ledger.add(CPU, "low", job.difficulty);
    ledger.add(CPU, "stale", cpu.difficulty);
    // The low share was no block either: only `good` reached the core.
    const r = await blockAndFlush([cpu, asic], blockHashOf(cpu, job, good));
    expect(r.accepted).toBe(true);
    expect(resultFor(blockHashOf(cpu, job, low))).toBeUndefined();

    // Stale: a well-formed share meeting the target, on the job the first block's flush ended.
    const old = first!.job;
    const [stale] = await submitTogether(cpu, cpuUser, [cpu.mineShare(old)]);
    expect(stale!.error).toEqual([21, "Job not found (=stale)", null]);
    ledger.add(CPU, "stale", old.difficulty);
    // The ASIC's duplicate is credited to the ASIC at its own difficulty.
    const ajob = asic.lastJob!;
    const ashare = asic.mineShare(ajob, { versionBits: 0x00004000 });
    const [aok, adup] = await submitTogether(asic, asicUser, [ashare, ashare]);
    expect(aok!.result).toBe(true);
    expect(adup!.error).toEqual([22, "Duplicate share", null]);
    ledger.add(ASIC, "acc", ajob.difficulty);
    ledger.add(ASIC, "dup", ajob.difficulty);
    await blockAndFlush([cpu, asic], blockHashOf(asic, ajob, ashare));
  });

  test("share records in Redis match what the miners were told", async () => {
    let diffs: string[] = [];
    await until(async () => (diffs = compare(ledger, await readAccounting(redis.client))).length === 0, `the accounting to match the ledger (${diffs.join("; ")})`).catch((e: Error) => {
      throw new Error(`${e.message}: ${diffs.join("; ")}`);
    });
    const got = await readAccounting(redis.client);
    // Spelled out for the reader (the ledger comparison already covers it).
    expect(got.sums.get(cpuUser)).toMatchObject({ dup: expect.closeTo(CPU_DIFF, 12), low: expect.closeTo(CPU_DIFF, 12), stale: expect.closeTo(2 * CPU_DIFF, 12) });
    expect(Math.round(got.sums.get(cpuUser)!.acc / CPU_DIFF)).toBe(2);
    expect(Math.round(got.sums.get(asicUser)!.acc / ASIC_DIFF)).toBe(2);
    expect(got.slices.get(`${CPU.address}:1e-08`)).toBe(2);
    expect(got.slices.get(`${ASIC.address}:2e-08`)).toBe(2);
  });

  test("Redis stopped and restarted mid-run loses nothing", async () => {
    const before = (await node.rpc("getblockcount")) as number;
    // One accepted share just before the outage: its records and block candidate may or may not be in Redis yet.
    await acceptedShare(cpu, CPU, cpuUser);
    await redis.stopServer();
    await until(() => !edge.forwarder.link.up, "the edge to notice the outage");

    // The edge keeps answering: shares accepted, duplicates rejected, all spooled.
    const outage: string[] = [];
    // Several rounds spread over a second or two, so every reconnect loop backs off a few times.
    for (let round = 0; round < 6; round++) {
      if (round > 0) await Bun.sleep(300);
      for (const [miner, who, user, bits] of [
        [cpu, CPU, cpuUser, undefined],
        [asic, ASIC, asicUser, 0x00006000],
      ] as const) {
        const job = miner.lastJob!;
        const share = miner.mineShare(job, bits === undefined ? {} : { versionBits: bits });
        const replies = await submitTogether(miner, user, [share, share]);
        for (const r of replies) ledger.reply(who, r, job.difficulty);
        if (replies[0]!.result === true) outage.push(blockHashOf(miner, job, share));
        expect(replies[1]!.error).toEqual(replies[0]!.result === true ? [22, "Duplicate share", null] : [21, "Job not found (=stale)", null]);
      }
    }
    expect(outage.length).toBeGreaterThan(0);
    await until(() => edge.forwarder.spooledRecords > 0 && edge.forwarder.spooledCandidates > 0, "share records and block candidates in the edge's spool");

    const restartedAt = { cpu: cpu.lastJob, asic: asic.lastJob };
    await redis.startServer();

    // Both sides reconnect by themselves: the spooled candidates reach the core and bcoin …
    for (const hash of outage) await until(() => resultFor(hash) !== undefined, `the core's block result for outage share ${hash}`, 30_000);
    // Blocks found on one job during the outage compete at one height: bcoin keeps the first it
    // sees in its main chain and the rest on side branches, and the core must say which is which.
    const mainAt = new Map<number, string[]>();
    for (const hash of outage) {
      const r = resultFor(hash)!;
      expect(r).toMatchObject({ accepted: true, rejectReason: null });
      const inMainChain = (await node.rpc("getblockhash", [r.height])) === hash;
      if (inMainChain) {
        expect(["best", "main-chain"]).toContain(r.chain);
        mainAt.set(r.height, [...(mainAt.get(r.height) ?? []), hash]);
      } else {
        expect(r.chain).toBe("side-chain");
      }
    }
    for (const hashes of mainAt.values()) expect(hashes).toHaveLength(1);
    expect((await node.rpc("getblockcount")) as number).toBeGreaterThan(before);
    // … the core's jobs reach the edge again (a flush for the new block), and shares on them count.
    await until(() => cpu.lastJob !== restartedAt.cpu && asic.lastJob !== restartedAt.asic, "new jobs after the restart", 30_000);
    await acceptedShare(cpu, CPU, cpuUser);
    await acceptedShare(asic, ASIC, asicUser, 0x00008000);

    // Every record exactly once: the one-minute sums and the slice entries equal the ledger.
    let diffs: string[] = [];
    await until(async () => (diffs = compare(ledger, await readAccounting(redis.client))).length === 0, "the accounting to match the ledger", 30_000).catch((e: Error) => {
      throw new Error(`${e.message}: ${diffs.join("; ")}`);
    });
    await until(() => edge.forwarder.spooledRecords === 0 && edge.forwarder.spooledCandidates === 0, "the edge's spool to drain");
    const totalAccepted = [...ledger.shares.values()].reduce((n, r) => n + r.acc.length, 0);
    const got = await readAccounting(redis.client);
    expect([...got.slices.values()].reduce((a, b) => a + b, 0)).toBe(totalAccepted);
    expect(Math.round(got.sums.get(cpuUser)!.acc / CPU_DIFF)).toBe(ledger.shares.get(cpuUser)!.acc.length);
    expect(Math.round(got.sums.get(asicUser)!.acc / ASIC_DIFF)).toBe(ledger.shares.get(asicUser)!.acc.length);
    expect(compare(ledger, got)).toEqual([]);
    // §8.2 (b)/(c): every accepted difficulty is in exactly one round — a recorded block's
    // chain_1_shares or the current block's.
    let rounds = 0;
    for (const key of [`current_block_${CURRENCY}_${ALGO}`, ...(await redis.client.keys("unproc_block_*"))]) rounds += Number((await redis.client.hget(key, `chain_${CHAIN}_shares`)) ?? 0);
    const acceptedDifficulty = [...ledger.shares.values()].reduce((n, r) => n + r.acc.reduce((a, b) => a + b, 0), 0);
    expect(rounds).toBeCloseTo(acceptedDifficulty, 15);
  });

  test("every block is recorded after its winning share: it is in the round the block closes or an earlier one", async () => {
    // Every accepted share here is a block (see the module note), and each has its record.
    const totalAccepted = [...ledger.shares.values()].reduce((n, r) => n + r.acc.length, 0);
    const accepted = () => [...new Map(blocks.filter((b) => b.accepted).map((b) => [b.hash, b])).values()];
    await until(() => accepted().length === totalAccepted, `${totalAccepted} accepted block results`, 30_000);
    await until(async () => (await Promise.all(accepted().map((b) => redis.client.exists(`unproc_block_${b.hash}`)))).every((n) => n === 1), "every accepted block's unproc_block");
    const entry = (b: BlockResult) => `${b.address}:${b.address === CPU.address ? pyFloat(CPU_DIFF) : pyFloat(ASIC_DIFF)}`;

    // Before the outage blocks came one at a time: each round holds exactly its winning share.
    const sequential = blocks.slice(0, 4);
    expect(sequential.map((b) => b.accepted)).toEqual([true, true, true, true]);
    for (const b of sequential) {
      const idx = await redis.client.hget(`unproc_block_${b.hash}`, `chain_${CHAIN}_solve_index`);
      expect(idx).toMatch(/^\d+$/);
      expect(await redis.client.lrange(`chain_${CHAIN}_slice_${idx}`, 0, -1)).toEqual([entry(b)]);
    }
    // After it, candidates reached the core before their shares (spooled candidates are replayed
    // first), and each record waited for its share: so the last rotation swept every accepted
    // share, and nothing is left in the live round. Blocks whose shares were all counted before an
    // earlier block's rotation close an empty round (no solve index), as in PowerPool.
    expect(await redis.client.llen(`chain_${CHAIN}_slice`)).toBe(0);
    expect(await redis.client.hget(`current_block_${CURRENCY}_${ALGO}`, `chain_${CHAIN}_shares`)).toBeNull();
    expect(logLines.filter((l) => l.includes("was not applied"))).toEqual([]);
  });

  test("edge and core stop cleanly; the bcoin child is gone", async () => {
    cpu.close();
    asic.close();
    await edge.stop();
    await core.stop();
    expect(edge.forwarder.spooledRecords).toBe(0);
    // The spool files are removed once replayed: nothing is left for a next start to resend.
    expect(readdirSync(spoolDir).filter((f) => f.endsWith(".spool") && statSync(join(spoolDir, f)).size > 0)).toEqual([]);
    await node.stop();
    expect(node.running).toBe(false);
    await expect(fetch(node.rpcUrl, { method: "POST", body: "{}", signal: AbortSignal.timeout(2000) })).rejects.toThrow();
    await redis.stop();
  });
});
