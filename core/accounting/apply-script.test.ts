/** The apply script's seen-set on its own: out-of-order ranges merge, overlaps are reported exactly. */
import { afterAll, beforeAll, expect, test } from "bun:test";
import Redis from "ioredis";
import { startRedis, type PrivateRedis } from "../../test/helpers/redis.ts";
import { createShareApplier } from "./apply-script.ts";
import type { SharePlan } from "./share-plan.ts";

let redis: PrivateRedis;
let client: Redis;
beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url);
});
afterAll(async () => {
  client.disconnect();
  await redis.stop();
});

/** A plan that only marks `runs` on one seen-set key and acknowledges nothing real. */
const marks = (runs: string): SharePlan => ({
  keys: ["as:stream", "as:seen"],
  args: ["g", "600", "1", "0", "0", "1", runs, "0-1"],
  seenKeys: ["as:seen"],
  applied: [],
});

test("ranges committed out of order merge; overlaps come back as exact ranges and nothing is written", async () => {
  const apply = createShareApplier(client);
  expect(await apply(marks("5-10"))).toEqual({ kind: "ok" });
  expect(await apply(marks("1-4,12-12"))).toEqual({ kind: "ok" });
  expect(await client.get("as:seen")).toBe("1-10,12-12");
  expect(await apply(marks("9-13,20-21"))).toEqual({ kind: "seen", ranges: new Map([["as:seen", [[9, 10], [12, 12]]]]) });
  expect(await client.get("as:seen")).toBe("1-10,12-12");
  expect(await client.ttl("as:seen")).toBeGreaterThan(500);
});

test("a target key of the wrong type is refused before any write", async () => {
  const apply = createShareApplier(client);
  await client.set("as:list", "not a list");
  const plan: SharePlan = { keys: ["as:stream", "as:seen2", "as:list"], args: ["g", "600", "1", "0", "1", "1", "1-1", "0-1", "1", "x:1"], seenKeys: ["as:seen2"], applied: [] };
  expect(await apply(plan)).toEqual({ kind: "badkey", key: "as:list", detail: "type string" });
  expect(await client.exists("as:seen2")).toBe(0);
});
