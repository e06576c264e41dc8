/**
 * Issue 19 §2: a batch is applied wholly or not at all. Against a real redis-server, the last
 * write of a real planned unit (its RPUSH to the live slice, its HINCRBYFLOATs, its XACK) is made
 * to fail by a key the test places; Redis must be byte for byte as before (DUMP of every key), and
 * once the key is removed the retry applies the unit exactly once.
 */
import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import Redis from "ioredis";
import { contractNames, decodeShareBatch, MESSAGE_FIELD, ShareResult } from "../../shared/contract/index.ts";
import { ADDR_A, ADDR_B, encodeBatch, expectedTotals, quietLogger, share, testSettings, totals } from "../ingest/testing.ts";
import { startRedis, type PrivateRedis } from "../../test/helpers/redis.ts";
import { createAccounting } from "./index.ts";
import { planShares, type PlanEntry } from "./share-plan.ts";

const PREFIX = "aa:";
const names = contractNames(PREFIX);
let redis: PrivateRedis;
let client: Redis;

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url);
});
beforeEach(async () => {
  await client.flushall();
});
afterAll(async () => {
  client.disconnect();
  await redis.stop();
});

/** Every key with its DUMP and whether it expires: what "byte for byte" compares. */
async function snapshot(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const key of (await client.keys("*")).sort()) {
    const dump = await client.dumpBuffer(key);
    out[key] = `${dump?.toString("hex")} ttl:${(await client.pttl(key)) > 0}`;
  }
  return out;
}

const records = [
  share(1, { difficulty: 128, aux: ["DOGE"] }),
  share(2, { difficulty: 512.5 }),
  share(3, { result: ShareResult.stale, difficulty: 64, address: ADDR_B, worker: "" }),
  share(4, { difficulty: 256, address: ADDR_B, worker: "" }),
];

/** Puts the records in the stream as two entries read by the group (pending), and returns them as a unit. */
async function pendingUnit(): Promise<PlanEntry[]> {
  await client.xgroup("CREATE", names.verifiedShareStream, names.accountingGroup, "$", "MKSTREAM");
  await client.xadd(names.verifiedShareStream, "*", MESSAGE_FIELD, encodeBatch("eu1", "0000000a", records.slice(0, 2)));
  await client.xadd(names.verifiedShareStream, "*", MESSAGE_FIELD, encodeBatch("eu1", "0000000a", records.slice(2)));
  const read = (await client.callBuffer("XREADGROUP", "GROUP", names.accountingGroup, "c1", "STREAMS", names.verifiedShareStream, ">")) as [Buffer, [Buffer, Buffer[]][]][];
  return read[0]![1].map(([id, fields]) => ({ id: id.toString(), batch: decodeShareBatch(new Uint8Array(fields[1]!)) }));
}

function plan(unit: PlanEntry[]) {
  const acc = createAccounting(client, testSettings(PREFIX), quietLogger());
  return {
    acc,
    plan: planShares({
      stream: names.verifiedShareStream,
      group: names.accountingGroup,
      entries: unit,
      route: (p) => acc.routing.forPort(p) ?? [],
      seenKey: names.seenSet,
      seenTtlSeconds: 600,
      exclude: new Map(),
    }),
  };
}

async function pending(): Promise<number> {
  return Number(((await client.xpending(names.verifiedShareStream, names.accountingGroup)) as unknown[])[0]);
}

/** Earlier rounds' state the failed apply must leave alone. */
async function earlierState(): Promise<void> {
  await client.hset(`min_acc_scrypt_${Math.floor(records[0]!.time / 60_000) * 60}`, `${ADDR_A}.rig1`, "1000");
  await client.hset("current_block_LTC_scrypt", "chain_1_shares", "5000", "start_time", "1699999000.0");
  await client.rpush("chain_1_slice", `${ADDR_A}:5000`);
  await client.set(names.seenSet("eu1", "0000000a"), "100-200", "EX", 600);
}

const cases: [string, () => Promise<unknown>, () => Promise<unknown>, RegExp][] = [
  ["the live slice (the last RPUSH) is a string", () => client.rename("chain_1_slice", "tmp").then(() => client.set("chain_1_slice", "x")), () => client.del("chain_1_slice").then(() => client.rename("tmp", "chain_1_slice")), /chain_1_slice: type string/],
  ["a minute field is near a double's limit", () => client.hset("min_acc_scrypt_1699999980", "pool.LTC", "1.7e308"), () => client.hdel("min_acc_scrypt_1699999980", "pool.LTC"), /pool\.LTC is not a number within/],
  ["a round total is 'inf'", () => client.hset("current_block_DOGE_scrypt", "chain_1_shares", "inf"), () => client.hdel("current_block_DOGE_scrypt", "chain_1_shares"), /chain_1_shares is not a number within/],
  ["a minute field has blanks Redis refuses", () => client.hset("min_stale_scrypt_1699999980", `${ADDR_B}.`, " 5"), () => client.hdel("min_stale_scrypt_1699999980", `${ADDR_B}.`), /is not a number within/],
  ["the stream key (the XACK) is a hash", () => client.rename(names.verifiedShareStream, "tmp").then(() => client.hset(names.verifiedShareStream, "a", "b")), () => client.del(names.verifiedShareStream).then(() => client.rename("tmp", names.verifiedShareStream)), /type hash/],
];

for (const [what, spoil, mend, detail] of cases) {
  test(`${what}: nothing is written, seen-sets included; after the fix the retry applies the unit exactly once`, async () => {
    await earlierState();
    const unit = await pendingUnit();
    const { acc, plan: p } = plan(unit);
    await spoil();
    const before = await snapshot();
    const outcome = await acc.applyShares(p);
    expect(outcome.kind).toBe("badkey");
    expect(outcome.kind === "badkey" && `${outcome.key}: ${outcome.detail}`).toMatch(detail);
    expect(await snapshot()).toEqual(before);

    await mend();
    expect(await acc.applyShares(p)).toEqual({ kind: "ok" });
    expect(await pending()).toBe(0);
    expect(await client.get(names.seenSet("eu1", "0000000a"))).toBe("1-4,100-200");
    const t = await totals(client);
    const want = expectedTotals(records);
    expect(t.chainShares).toBe(String(5000 + Number(want.chainShares)));
    expect([t.sliceCount, t.sliceSum]).toEqual([want.sliceCount + 1, want.sliceSum + 5000]);
    // Once: the same plan again reports every record as seen and changes nothing.
    const after = await snapshot();
    expect((await acc.applyShares(p)).kind).toBe("seen");
    expect(await snapshot()).toEqual(after);
  });
}

test("an increment that is not a finite number (a plan built around the checks) is a BADARG error before any write", async () => {
  await earlierState();
  const unit = await pendingUnit();
  const { acc, plan: p } = plan(unit);
  const i = p.args.findIndex((a) => a === "128");
  const args = [...p.args];
  args[i] = "inf";
  const before = await snapshot();
  await expect(acc.applyShares({ ...p, args })).rejects.toThrow(/BADARG increment inf/);
  args[i] = "1e308";
  await expect(acc.applyShares({ ...p, args })).rejects.toThrow(/BADARG increment 1e308/);
  expect(await snapshot()).toEqual(before);
  expect(await acc.applyShares(p)).toEqual({ kind: "ok" });
});
