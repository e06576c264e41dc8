/**
 * Issue 19 §2 through the real ingest and a real redis-server: the attack (two stale
 * records at difficulty 1e308 in one batch, read together with honest entries) and records that
 * fail the per-record check, mixed with good ones in the same entries. Only the failing records
 * are dead-lettered, each with its reason; every other record is credited exactly once.
 */
import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import Redis from "ioredis";
import { contractNames, decodeShareBatch, MESSAGE_FIELD, ShareResult } from "../../shared/contract/index.ts";
import { startRedis, type PrivateRedis } from "../../test/helpers/redis.ts";
import { createAccounting } from "../accounting/index.ts";
import { startIngest, type Ingest } from "./index.ts";
import { ADDR_A, ADDR_B, drained, encodeBatch, expectedTotals, forgedBatch, quietLogger, share, testSettings, totals, waitFor } from "./testing.ts";

const PREFIX = "hr:";
const names = contractNames(PREFIX);
let redis: PrivateRedis;
let ingest: Ingest | undefined;
let client: Redis | undefined;

beforeAll(async () => {
  redis = await startRedis();
});
beforeEach(async () => {
  await ingest?.stop();
  client?.disconnect();
  await redis.client.flushall();
});
afterAll(async () => {
  await ingest?.stop();
  client?.disconnect();
  await redis.stop();
});

function start(count = 100) {
  client = new Redis(redis.url, { maxRetriesPerRequest: null });
  const log = quietLogger();
  ingest = startIngest({ redis: client, prefix: PREFIX, accounting: createAccounting(client, testSettings(PREFIX), log), log, consumer: "c", tuning: { blockMs: 50, claimEveryMs: 50, tidyEveryMs: 0, count } });
  return log;
}

const deadLetters = async () => (await redis.client.xrangeBuffer(names.deadLetter("shares"), "-", "+")).map(([, f]) => {
  const at = (name: string) => f.findIndex((x, i) => i % 2 === 0 && x.toString() === name);
  const get = (name: string) => (at(name) < 0 ? undefined : f[at(name) + 1]);
  const refused = get("refused")?.toString();
  return { reason: get("reason")?.toString() ?? "", refused: refused === undefined ? undefined : refused.split(",").map(Number), records: decodeShareBatch(new Uint8Array(get(MESSAGE_FIELD)!)).records.map((r) => r.seq) };
});

test("the four-line attack's records (1e308, stale) read with honest entries: honest credit exact, attack dead-lettered", async () => {
  const honest = [share(1), share(2, { difficulty: 256 }), share(3, { address: ADDR_B, worker: "" })];
  const attack = [share(1, { result: ShareResult.stale, jobId: "", difficulty: 1e308 }), share(2, { result: ShareResult.stale, jobId: "", difficulty: 1e308 })];
  const more = [share(4, { difficulty: 64 })];
  // All in the stream before the ingest reads, so one read (one unit) holds all three entries.
  await redis.client.xadd(names.verifiedShareStream, "*", MESSAGE_FIELD, encodeBatch("eu1", "0000000a", honest));
  await redis.client.xadd(names.verifiedShareStream, "*", MESSAGE_FIELD, forgedBatch("eu1", "000000ff", attack));
  await redis.client.xadd(names.verifiedShareStream, "*", MESSAGE_FIELD, encodeBatch("eu1", "0000000a", more));
  start();
  await waitFor("the stream to drain", () => drained(redis.client, names.verifiedShareStream, names.accountingGroup));
  expect(await totals(redis.client)).toEqual(expectedTotals([...honest, ...more]));
  expect(await redis.client.get(names.seenSet("eu1", "0000000a"))).toBe("1-4");
  // The attacker's session never reached a seen-set: a corrected replay could still count.
  expect(await redis.client.exists(names.seenSet("eu1", "000000ff"))).toBe(0);
  const dead = await deadLetters();
  expect(dead).toHaveLength(1);
  expect(dead[0]!.refused).toBeUndefined();
  expect(dead[0]!.records).toEqual([1, 2]);
  expect(dead[0]!.reason).toContain("2 of 2 records refused: seq 1: difficulty 1e+308 is outside port scrypt_STRAT's (0, 1048576]");
  for (const key of await redis.client.keys("*")) {
    if ((await redis.client.type(key)) !== "hash") continue;
    for (const v of Object.values(await redis.client.hgetall(key))) expect(Number.isFinite(Number(v))).toBe(true);
  }
});

test("bad records inside good entries: only they are dead-lettered, each with its reason; the others are credited once", async () => {
  const good = [share(1), share(3, { difficulty: 32 }), share(5, { address: ADDR_B, worker: "" }), share(7, { result: ShareResult.dup })];
  const bad = [
    share(2, { difficulty: 1e300 }),
    share(4, { currency: "current_block_X" }),
    share(6, { worker: "w:1" }),
    share(8, { port: "other" }),
    share(9, { time: Date.now() * 10 }),
    share(10, { address: "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa" }),
  ];
  const all = [...good, ...bad].sort((a, b) => a.seq - b.seq);
  await redis.client.xadd(names.verifiedShareStream, "*", MESSAGE_FIELD, forgedBatch("eu1", "0000000b", all.slice(0, 5)));
  await redis.client.xadd(names.verifiedShareStream, "*", MESSAGE_FIELD, forgedBatch("eu1", "0000000b", all.slice(5)));
  const log = start(1);
  await waitFor("the stream to drain", () => drained(redis.client, names.verifiedShareStream, names.accountingGroup));
  expect(await totals(redis.client)).toEqual(expectedTotals(good));
  expect(await redis.client.get(names.seenSet("eu1", "0000000b"))).toBe("1-1,3-3,5-5,7-7");
  const dead = await deadLetters();
  // Each dead letter carries its whole entry and names the refused seqs.
  expect(dead.map((d) => [d.refused, d.records])).toEqual([
    [
      [2, 4],
      [1, 2, 3, 4, 5],
    ],
    [
      [6, 8, 9, 10],
      [6, 7, 8, 9, 10],
    ],
  ]);
  const reasons = dead.flatMap((d) => d.reason.split("\n"));
  expect(reasons).toHaveLength(6);
  expect(reasons[0]).toContain("seq 2: difficulty 1e+300");
  expect(reasons[1]).toContain('seq 4: currency "current_block_X"');
  expect(reasons[2]).toContain('seq 6: worker "w:1"');
  expect(reasons[3]).toContain('seq 8: port "other" is not configured');
  expect(reasons[4]).toContain("seq 9: time");
  expect(reasons[5]).toContain("seq 10: address");
  expect(log.lines.some((l) => l.includes("records refused") && l.includes("are credited"))).toBe(true);
});

test("a non-finite number cannot come from an edge's writer: the whole entry is dead-lettered, the next entry is credited", async () => {
  await redis.client.xadd(names.verifiedShareStream, "*", MESSAGE_FIELD, forgedBatch("eu1", "0000000c", [share(1), share(2, { difficulty: Infinity })]));
  await redis.client.xadd(names.verifiedShareStream, "*", MESSAGE_FIELD, forgedBatch("eu1", "0000000c", [share(3, { time: NaN })]));
  await redis.client.xadd(names.verifiedShareStream, "*", MESSAGE_FIELD, encodeBatch("eu1", "0000000c", [share(4)]));
  start();
  await waitFor("the stream to drain", () => drained(redis.client, names.verifiedShareStream, names.accountingGroup));
  expect(await totals(redis.client)).toEqual(expectedTotals([share(4)]));
  const reasons = (await redis.client.xrange(names.deadLetter("shares"), "-", "+")).map(([, f]) => f[f.indexOf("reason") + 1]);
  expect(reasons).toEqual(["share batch: record 1: difficulty expected a positive number, got Infinity", "share batch: record 0: time expected a time stamp, got NaN"]);
});

test("a dead letter with refused records, replayed as it is, adds nothing twice", async () => {
  const entry = [share(1), share(2, { worker: "a:b" }), share(3, { difficulty: 8 })];
  await redis.client.xadd(names.verifiedShareStream, "*", MESSAGE_FIELD, forgedBatch("eu1", "0000000d", entry));
  start();
  await waitFor("the stream to drain", () => drained(redis.client, names.verifiedShareStream, names.accountingGroup));
  const once = await totals(redis.client);
  expect(once).toEqual(expectedTotals([entry[0]!, entry[2]!]));
  const fields = (await redis.client.xrangeBuffer(names.deadLetter("shares"), "-", "+"))[0]![1];
  const message = fields[fields.findIndex((x: Buffer, i: number) => i % 2 === 0 && x.toString() === MESSAGE_FIELD) + 1]!;
  await redis.client.xadd(names.verifiedShareStream, "*", MESSAGE_FIELD, message);
  await waitFor("the replay to drain", async () => (await redis.client.xlen(names.deadLetter("shares"))) === 2 && (await drained(redis.client, names.verifiedShareStream, names.accountingGroup)));
  expect(await totals(redis.client)).toEqual(once);
});

test("refused records while the apply keeps failing (a key of the wrong type): one dead letter, not one per retry", async () => {
  await redis.client.set("chain_1_slice", "in the way");
  await redis.client.xadd(names.verifiedShareStream, "*", MESSAGE_FIELD, forgedBatch("eu1", "0000000e", [share(1), share(2, { worker: "a:b" })]));
  const log = start();
  // 100, 200, 400 ms … between attempts: several in a second and a half.
  await waitFor("the failure to be logged", () => log.lines.some((l) => l.includes("chain_1_slice")));
  await Bun.sleep(1500);
  await redis.client.del("chain_1_slice");
  await waitFor("the stream to drain", () => drained(redis.client, names.verifiedShareStream, names.accountingGroup), 15_000);
  expect(await totals(redis.client)).toEqual(expectedTotals([share(1)]));
  expect((await deadLetters()).map((d) => d.refused)).toEqual([[2]]);
});
