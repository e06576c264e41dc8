/**
 * The hostile-input suite's small run (issue 19 §4); `bun run fuzz` is the large one (main.ts).
 * Fixed seeds, so a failure repeats; each part asserts that it compared something.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startRedis, type PrivateRedis } from "../helpers/redis.ts";
import { runNetworkFuzz } from "./network.ts";
import { Rng } from "./rng.ts";
import { runStreamFuzz } from "./stream.ts";
import { runSubmitDiff } from "./submit-diff.ts";

let redis: PrivateRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});

test("fast submit path = JSON path on 1500 mutated lines: replies, records, candidates, counters", () => {
  const res = runSubmitDiff(new Rng(1901), 1500);
  expect(res.mismatches).toEqual([]);
  expect(res.fastLines).toBeGreaterThan(300);
  expect(res.accepted).toBeGreaterThan(100);
  expect(res.candidates).toBeGreaterThan(10);
  expect(res.records).toBeGreaterThan(res.accepted);
});

test("hostile stream entries: the core keeps draining and its accounting changes by exactly the valid records", async () => {
  const res = await runStreamFuzz(new Rng(1902), redis.url, 200);
  expect(res.problems).toEqual([]);
  expect(res.hostileShareEntries).toBeGreaterThan(30);
  expect(res.refusedRecords).toBeGreaterThan(30);
  expect(res.creditedRecords).toBeGreaterThan(500);
  expect(res.hostileCandidates).toBeGreaterThan(10);
  expect(res.submitted).toBeGreaterThanOrEqual(res.candidates - res.hostileCandidates);
}, 60_000);

test("a live edge under hostile clients from many addresses: every honest miner credited exactly its accepted shares", async () => {
  const res = await runNetworkFuzz(new Rng(1903), { seconds: 4, honestMiners: 2, concurrency: 8, sources: 100 });
  expect(res.problems).toEqual([]);
  expect(res.hostileConnections).toBeGreaterThan(100);
  expect(res.agentConnections).toBeGreaterThan(10);
  for (const h of res.honest) {
    expect(h.accepted).toBeGreaterThan(20);
    expect(h.credited).toBe(h.accepted);
  }
  expect(res.edgeClientsAfter).toBe(2);
}, 90_000);
