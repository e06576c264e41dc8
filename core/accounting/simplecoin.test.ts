/**
 * The SimpleCoin data model through a real Redis: a scripted sequence of shares of every type goes
 * through the share stream and the ingest reader, then blocks are recorded; every key and value is
 * compared with spec §8.2.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import Redis from "ioredis";
import { contractNames, ShareResult } from "../../shared/contract/index.ts";
import { startRedis, type PrivateRedis } from "../../test/helpers/redis.ts";
import { startAccounting, type CoreAccounting } from "../ingest/index.ts";
import { ADDR_A, ADDR_B, drained, feed, quietLogger, share, simpleCoinKeys, T0, testSettings, waitFor } from "../ingest/testing.ts";

const PREFIX = "sc:";
const S0 = 1699999980; // minute of T0
const S1 = S0 + 60;
const HASH1 = "00000000000000000007a1b2c3d4e5f60718293a4b5c6d7e8f90112233445566";
const HASH2 = "1111111111111111111111111111111111111111111111111111111111111111";
const HASH3 = "2222222222222222222222222222222222222222222222222222222222222222";

let redis: PrivateRedis;
let client: Redis;
let core: CoreAccounting;
const names = contractNames(PREFIX);

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url, { maxRetriesPerRequest: null });
  core = await startAccounting(testSettings(PREFIX), client, quietLogger(), { consumer: "t1", tuning: { blockMs: 50, tidyEveryMs: 0 } });
});
afterAll(async () => {
  await core.stop();
  client.disconnect();
  await redis.stop();
});

const untilDrained = () => waitFor("the share stream to drain", () => drained(redis.client, names.verifiedShareStream, names.accountingGroup));

test("shares of every type write PowerPool's keys and values exactly", async () => {
  const doge = { aux: ["DOGE"] };
  await feed(redis.client, PREFIX, "eu1", "0000beef", [
    share(1, { difficulty: 128, ...doge }),
    share(2, { difficulty: 512.5, ...doge }),
    share(3, { difficulty: 256, address: ADDR_B, worker: "", ...doge }),
    share(4, { result: ShareResult.dup, ...doge }),
    share(5, { result: ShareResult.low, difficulty: 64, address: ADDR_B, worker: "", ...doge }),
    share(6, { result: ShareResult.stale, jobId: "" }),
    share(7, { result: ShareResult.invalid, address: ADDR_B }),
  ]);
  // The next minute, in its own entry.
  await feed(redis.client, PREFIX, "eu1", "0000beef", [share(8, { time: T0 + 60_000, address: ADDR_B, worker: "", ...doge })]);
  await untilDrained();
  const r = redis.client;

  expect(await simpleCoinKeys(r, PREFIX)).toEqual([
    "chain_1_slice",
    "current_block_DOGE_scrypt",
    "current_block_LTC_scrypt",
    `min_acc_scrypt_${S0}`,
    `min_acc_scrypt_${S1}`,
    `min_dup_scrypt_${S0}`,
    `min_low_scrypt_${S0}`,
    `min_stale_scrypt_${S0}`,
  ]);
  expect(await r.hgetall("current_block_LTC_scrypt")).toEqual({ chain_1_shares: "1024.5" });
  expect(await r.hgetall("current_block_DOGE_scrypt")).toEqual({ chain_1_shares: "1024.5" });
  expect(await r.lrange("chain_1_slice", 0, -1)).toEqual([`${ADDR_A}:128`, `${ADDR_A}:512.5`, `${ADDR_B}:256`, `${ADDR_B}:128`]);
  expect(await r.hgetall(`min_acc_scrypt_${S0}`)).toEqual({ [`${ADDR_A}.rig1`]: "640.5", [`${ADDR_B}.`]: "256", "pool.LTC": "896.5", "pool_currency.LTC": "896.5", "pool_currency.DOGE": "896.5" });
  expect(await r.hgetall(`min_acc_scrypt_${S1}`)).toEqual({ [`${ADDR_B}.`]: "128", "pool.LTC": "128", "pool_currency.LTC": "128", "pool_currency.DOGE": "128" });
  expect(await r.hgetall(`min_dup_scrypt_${S0}`)).toEqual({ [`${ADDR_A}.rig1`]: "128", "pool.LTC": "128", "pool_currency.LTC": "128", "pool_currency.DOGE": "128" });
  expect(await r.hgetall(`min_low_scrypt_${S0}`)).toEqual({ [`${ADDR_B}.`]: "64", "pool.LTC": "64", "pool_currency.LTC": "64", "pool_currency.DOGE": "64" });
  // No job: {currency} is UNKNOWN and there is no merged credit.
  expect(await r.hgetall(`min_stale_scrypt_${S0}`)).toEqual({ [`${ADDR_A}.rig1`]: "128", "pool.LTC": "128", "pool_currency.UNKNOWN": "128" });
  expect(await r.get(`${PREFIX}seen:eu1:0000beef`)).toBe("1-8");
});

test("an accepted block rotates the chain atomically and records unproc_block", async () => {
  const r = redis.client;
  const res = await core.recordBlock(
    { currency: "LTC", algo: "scrypt", hash: HASH1, height: 1_000_000, address: ADDR_A, worker: "rig1", totalSubsidy: 2_500_000_000n, fees: 12345, hexBits: "1A0FFFF0", merged: false, accepted: true },
    T0 + 120_250,
  );
  expect(res).toEqual({ kind: "recorded", key: `unproc_block_${HASH1}`, solveIndexes: { "1": 1 } });
  expect(await r.hgetall(`unproc_block_${HASH1}`)).toEqual({
    chain_1_shares: "1024.5",
    solve_time: "1700000120.25",
    chain_1_solve_index: "1",
    address: ADDR_A,
    worker: "rig1",
    height: "1000000",
    total_subsidy: "2500000000",
    fees: "12345",
    hex_bits: "1a0ffff0",
    hash: HASH1,
    currency: "LTC",
    algo: "scrypt",
    merged: "0",
  });
  expect(await r.hgetall("current_block_LTC_scrypt")).toEqual({ start_time: "1700000120.25", chain_1_start_index: "1" });
  expect(await r.get("chain_1_slice_index")).toBe("1");
  expect(await r.exists("chain_1_slice")).toBe(0);
  expect(await r.lrange("chain_1_slice_1", 0, -1)).toEqual([`${ADDR_A}:128`, `${ADDR_A}:512.5`, `${ADDR_B}:256`, `${ADDR_B}:128`]);
  expect(await r.hgetall("current_block_DOGE_scrypt")).toEqual({ chain_1_shares: "1024.5" });

  // Recording the same block again (a retried call) changes nothing.
  expect(await core.recordBlock({ currency: "LTC", algo: "scrypt", hash: HASH1, height: 1_000_000, address: ADDR_A, worker: "rig1", totalSubsidy: 1, fees: 1, hexBits: "1a0ffff0", merged: false, accepted: true })).toEqual({
    kind: "already-recorded",
    key: `unproc_block_${HASH1}`,
  });
  expect(await r.get("chain_1_slice_index")).toBe("1");
});

test("a rejected block is recorded apart and rotates nothing", async () => {
  const r = redis.client;
  const before = await simpleCoinKeys(r, PREFIX);
  const res = await core.recordBlock(
    { currency: "DOGE", algo: "scrypt", hash: HASH2, height: 5_000_000, address: ADDR_B, worker: "", totalSubsidy: 1_000_000_000_000, fees: null, hexBits: "1b00ffff", merged: true, accepted: false, rejectReason: "duplicate" },
    T0 + 130_000,
  );
  expect(res).toEqual({ kind: "rejected-recorded", key: `rejected_block_${HASH2}` });
  expect(await r.hgetall(`rejected_block_${HASH2}`)).toEqual({
    address: ADDR_B,
    worker: "",
    height: "5000000",
    total_subsidy: "1000000000000",
    fees: "None",
    hex_bits: "1B00FFFF",
    hash: HASH2,
    currency: "DOGE",
    algo: "scrypt",
    merged: "1",
    reject_reason: "duplicate",
    time: "1700000130.0",
  });
  expect(await simpleCoinKeys(r, PREFIX)).toEqual([...before, `rejected_block_${HASH2}`].sort());
  expect(await r.hgetall("current_block_DOGE_scrypt")).toEqual({ chain_1_shares: "1024.5" });
  expect(await r.get("chain_1_slice_index")).toBe("1");
});

test("a merged (aux) block rotates the whole chain's live slice", async () => {
  const r = redis.client;
  await feed(r, PREFIX, "eu1", "0000beef", [share(9, { time: T0 + 125_000, aux: ["DOGE"], difficulty: 32 })]);
  await untilDrained();
  expect(await r.lrange("chain_1_slice", 0, -1)).toEqual([`${ADDR_A}:32`]);
  const res = await core.recordBlock(
    { currency: "DOGE", algo: "scrypt", hash: HASH3, height: 5_000_001, address: ADDR_A, worker: "rig1", totalSubsidy: 1_000_000_000_000, fees: null, hexBits: "1b00ffff", merged: true, accepted: true },
    T0 + 140_000,
  );
  expect(res).toEqual({ kind: "recorded", key: `unproc_block_${HASH3}`, solveIndexes: { "1": 2 } });
  // First DOGE block: no start_time; its shares include everything merged since the start.
  expect(await r.hgetall(`unproc_block_${HASH3}`)).toEqual({
    chain_1_shares: "1056.5",
    solve_time: "1700000140.0",
    chain_1_solve_index: "2",
    address: ADDR_A,
    worker: "rig1",
    height: "5000001",
    total_subsidy: "1000000000000",
    fees: "None",
    hex_bits: "1B00FFFF",
    hash: HASH3,
    currency: "DOGE",
    algo: "scrypt",
    merged: "1",
  });
  expect(await r.hgetall("current_block_DOGE_scrypt")).toEqual({ start_time: "1700000140.0", chain_1_start_index: "2" });
  expect(await r.lrange("chain_1_slice_2", 0, -1)).toEqual([`${ADDR_A}:32`]);
  expect(await r.hgetall("current_block_LTC_scrypt")).toEqual({ start_time: "1700000120.25", chain_1_start_index: "1", chain_1_shares: "32" });
});
