/**
 * A found block's record waits for its winning share (spec §8.2 (c)): through a real Redis and the
 * ingest reader, the share batch is fed only after the block asked to be recorded, as when the
 * candidate overtakes its record (the core reads candidates first; an edge replays spooled
 * candidates before share batches).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import Redis from "ioredis";
import { contractNames } from "../../shared/contract/index.ts";
import { startRedis, type PrivateRedis } from "../../test/helpers/redis.ts";
import { startAccounting, type CoreAccounting } from "../ingest/index.ts";
import { ADDR_A, ADDR_B, drained, feed, quietLogger, share, testSettings, waitFor } from "../ingest/testing.ts";
import type { ShareId } from "./share-wait.ts";

const PREFIX = "sw:";
const EDGE = "eu1";
const SESSION = "0000beef";
const WAIT_MS = 1500;
const hash = (c: string) => c.repeat(64);

let redis: PrivateRedis;
let client: Redis;
let core: CoreAccounting;
let stopped = false;
const log = quietLogger();
const names = contractNames(PREFIX);

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url, { maxRetriesPerRequest: null });
  core = await startAccounting(testSettings(PREFIX), client, log, { consumer: "t1", tuning: { blockMs: 50, tidyEveryMs: 0 }, shareWait: { timeoutMs: WAIT_MS, pollMs: 20 } });
});
afterAll(async () => {
  if (!stopped) await core.stop();
  client.disconnect();
  await redis.stop();
});

const winner = (seq: number): ShareId => ({ edge: EDGE, session: SESSION, seq });
const untilDrained = () => waitFor("the share stream to drain", () => drained(redis.client, names.verifiedShareStream, names.accountingGroup));

/** What core/app.ts does for an accepted main-chain block: wait for the winning share, then record. */
async function recordAccepted(h: string, share: ShareId) {
  await core.waitForShare(share, `LTC block ${h}`);
  return core.recordBlock({ currency: "LTC", algo: "scrypt", hash: h, height: 100, address: ADDR_A, worker: "rig1", totalSubsidy: 1, fees: 0, hexBits: "1d00ffff", merged: false, accepted: true });
}

test("a block whose winning share arrives after it waits for it: the share is in the round the block closes", async () => {
  // Round 1 and its block, the winning share (seq 2) applied first, as usual.
  await feed(redis.client, PREFIX, EDGE, SESSION, [share(1), share(2)]);
  await untilDrained();
  expect(await recordAccepted(hash("1"), winner(2))).toMatchObject({ kind: "recorded", solveIndexes: { "1": 1 } });

  // The next block's winning share (seq 3) is the first share since: its batch comes later.
  const pending = recordAccepted(hash("2"), winner(3));
  await Bun.sleep(200);
  expect(await redis.client.exists(`unproc_block_${hash("2")}`)).toBe(0);
  await feed(redis.client, PREFIX, EDGE, SESSION, [share(3, { address: ADDR_B, worker: "", difficulty: 300 })]);
  expect(await pending).toEqual({ kind: "recorded", key: `unproc_block_${hash("2")}`, solveIndexes: { "1": 2 } });

  expect(await redis.client.hgetall(`unproc_block_${hash("2")}`)).toMatchObject({ chain_1_solve_index: "2", chain_1_shares: "300" });
  expect(await redis.client.lrange("chain_1_slice_2", 0, -1)).toEqual([`${ADDR_B}:300`]);
  expect(await redis.client.exists("chain_1_slice")).toBe(0);
  expect(log.lines.filter((l) => l.includes("was not applied"))).toEqual([]);
});

test("a winning share that never comes: after the bound the block is recorded anyway, with a warning naming both", async () => {
  await feed(redis.client, PREFIX, EDGE, SESSION, [share(4)]);
  await untilDrained();
  const started = Date.now();
  const out = await recordAccepted(hash("3"), winner(99));
  expect(Date.now() - started).toBeGreaterThanOrEqual(WAIT_MS - 50);
  expect(out).toEqual({ kind: "recorded", key: `unproc_block_${hash("3")}`, solveIndexes: { "1": 3 } });
  const warned = log.lines.filter((l) => l.includes("was not applied within"));
  expect(warned).toHaveLength(1);
  expect(warned[0]).toContain(`LTC block ${hash("3")}`);
  expect(warned[0]).toContain(`${EDGE}/${SESSION}#99`);
  expect(warned[0]).toContain("[WARN]");
});

test("stopping the accounting ends a wait at once: the block is still recorded", async () => {
  await feed(redis.client, PREFIX, EDGE, SESSION, [share(5)]);
  await untilDrained();
  const started = Date.now();
  const pending = recordAccepted(hash("4"), winner(100));
  await Bun.sleep(100);
  stopped = true;
  await core.stop();
  expect(await pending).toMatchObject({ kind: "recorded" });
  expect(Date.now() - started).toBeLessThan(WAIT_MS);
  expect(log.lines.filter((l) => l.includes("before accounting stopped") && l.includes(hash("4")))).toHaveLength(1);
});
