/**
 * Share and agent ingest against a real Redis: concurrent consumers, dead letters, a broken key,
 * a Redis restart, and the PPAgent keys of spec §8.2 (d).
 */
import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import Redis from "ioredis";
import { agentRecordCodec, contractNames, MESSAGE_FIELD, type AgentRecordV1 } from "../../shared/contract/index.ts";
import { startRedis, type PrivateRedis } from "../../test/helpers/redis.ts";
import { createAccounting } from "../accounting/index.ts";
import { tidyStream } from "./housekeeping.ts";
import { startIngest, type Ingest, type IngestTuning } from "./index.ts";
import { ADDR_A, drained, testPort, encodeBatch, expectedTotals, feed, mixedRecords, quietLogger, share, testSettings, totals, waitFor } from "./testing.ts";

const PREFIX = "in:";
const names = contractNames(PREFIX);
const FAST: Partial<IngestTuning> = { blockMs: 50, claimEveryMs: 50, tidyEveryMs: 0 };

let redis: PrivateRedis;
const running: { ingest: Ingest; client: Redis }[] = [];

beforeAll(async () => {
  redis = await startRedis();
  redis.client.on("error", () => {}); // quiet during the outage test
});
beforeEach(async () => {
  for (const r of running.splice(0)) {
    await r.ingest.stop();
    r.client.disconnect();
  }
  await redis.client.flushall();
});
afterAll(async () => {
  for (const r of running.splice(0)) {
    await r.ingest.stop();
    r.client.disconnect();
  }
  await redis.stop();
});

function start(consumer: string, opts: { settings?: ReturnType<typeof testSettings>; tuning?: Partial<IngestTuning> } = {}) {
  const client = new Redis(redis.url, { maxRetriesPerRequest: null, retryStrategy: () => 50 });
  client.on("error", () => {}); // the outage test stops the server on purpose
  const log = quietLogger();
  const accounting = createAccounting(client, opts.settings ?? testSettings(PREFIX), log);
  const ingest = startIngest({ redis: client, prefix: PREFIX, accounting, log, consumer, tuning: { ...FAST, ...opts.tuning } });
  running.push({ ingest, client });
  return { ingest, log };
}

const sharesDrained = () => drained(redis.client, names.verifiedShareStream, names.accountingGroup);

test("two consumers stealing each other's entries, with replays in between: exact totals", async () => {
  // claimIdleMs 1: each takes over whatever the other holds, so both often apply the same entry.
  const x = start("x", { tuning: { claimIdleMs: 1, claimEveryMs: 1, count: 3 } });
  const y = start("y", { tuning: { claimIdleMs: 1, claimEveryMs: 1, count: 5 } });
  const a = mixedRecords(3000);
  const b = mixedRecords(3000);
  await Promise.all([
    feed(redis.client, PREFIX, "eu1", "000000aa", a, 50),
    feed(redis.client, PREFIX, "us1", "000000bb", b, 64),
    feed(redis.client, PREFIX, "eu1", "000000aa", a, 77), // the eu1 spool replayed at the same time
  ]);
  await waitFor("the stream to drain", sharesDrained, 30_000);
  expect(await totals(redis.client)).toEqual(expectedTotals([...a, ...b]));
  expect(await redis.client.get(`${PREFIX}seen:eu1:000000aa`)).toBe("1-3000");
  expect(await redis.client.get(`${PREFIX}seen:us1:000000bb`)).toBe("1-3000");
  // The replay went through the "already applied" path, not around it.
  expect([...x.log.lines, ...y.log.lines].some((l) => l.includes("records already applied were skipped"))).toBe(true);
});

test("malformed entries and records for unknown ports are dead-lettered; the rest is credited and the stream keeps flowing", async () => {
  const settings = {
    ...testSettings(PREFIX),
    reporters: {
      r1: { type: "redis" as const, chain: 1, attrs: {}, pool_report_configs: [] },
      r2: { type: "redis" as const, chain: 2, attrs: {}, pool_report_configs: [{ user: "pool", worker_format_string: "{region}", report_merge: false }] },
    },
    stratum: { p1: testPort("r1"), p2: testPort("r2") },
  };
  const { log } = start("z", { settings });
  const r = redis.client;
  await r.xadd(names.verifiedShareStream, "*", MESSAGE_FIELD, Buffer.from([0x53, 9, 0, 0]));
  await r.xadd(names.verifiedShareStream, "*", "other", "x");
  await r.xadd(names.verifiedShareStream, "*", MESSAGE_FIELD, encodeBatch("eu1", "00000001", [share(1, { port: "p1" }), share(2, { port: "nope" })]));
  await r.xadd(names.verifiedShareStream, "*", MESSAGE_FIELD, encodeBatch("eu1", "00000001", [share(3, { port: "p1" })]));
  await r.xadd(names.verifiedShareStream, "*", MESSAGE_FIELD, encodeBatch("eu1", "00000001", [share(4, { port: "p2", difficulty: 64 })]));
  await waitFor("the stream to drain", sharesDrained);

  // Share 1 shared its entry with the unknown port's share 2: it is credited all the same.
  expect(await r.lrange("chain_1_slice", 0, -1)).toEqual([`${ADDR_A}:128`, `${ADDR_A}:128`]);
  expect(await r.lrange("chain_2_slice", 0, -1)).toEqual([`${ADDR_A}:64`]);
  const dead = await r.xrange(contractNames(PREFIX).deadLetter("shares"), "-", "+");
  const reasons = dead.map(([, f]) => f[f.indexOf("reason") + 1]);
  expect(reasons).toEqual(["share batch: expected version 1 or 2, got 9", 'expected a field "m", got none', 'seq 2: port "nope" is not configured']);
  // The bad format string was reported once at start-up with its key path, and skipped.
  expect(log.lines.some((l) => l.includes("reporters.r2.pool_report_configs[0].worker_format_string") && l.includes("{region}"))).toBe(true);
  expect(Object.keys(await r.hgetall(`min_acc_scrypt_${Math.floor(share(4).time / 60_000) * 60}`)).sort()).toEqual([`${ADDR_A}.rig1`]);
});

test("a key of the wrong type holds the shares back without losing them", async () => {
  const r = redis.client;
  await r.set("current_block_LTC_scrypt", "oops");
  const { log } = start("k");
  await feed(r, PREFIX, "eu1", "00000002", [share(1), share(2)]);
  await waitFor("the failure to be logged", () => log.lines.some((l) => l.includes("current_block_LTC_scrypt")));
  expect(await r.exists("chain_1_slice")).toBe(0);
  await r.del("current_block_LTC_scrypt");
  await waitFor("the stream to drain", sharesDrained);
  expect(await r.hgetall("current_block_LTC_scrypt")).toEqual({ chain_1_shares: "256" });
  expect(log.lines.filter((l) => l.includes("failing, retrying")).length).toBe(1);
});

test("a Redis restart: the consumer waits, recreates its group and resumes", async () => {
  const { ingest, log } = start("o");
  await feed(redis.client, PREFIX, "eu1", "00000003", [share(1)]);
  await waitFor("the stream to drain", sharesDrained);
  await redis.stopServer();
  await Bun.sleep(300);
  await redis.startServer(); // an empty Redis: no group, no scripts
  await feed(redis.client, PREFIX, "eu1", "00000004", [share(1, { difficulty: 32 })]);
  await waitFor("the stream to drain", sharesDrained, 15_000);
  expect(await redis.client.lrange("chain_1_slice", 0, -1)).toEqual([`${ADDR_A}:32`]);
  expect(ingest.status().shares.state).toBe("running");
  // One line when the connection went and one when it came back, not one per retry.
  const shareLines = log.lines.filter((l) => l.includes("[test.shares]"));
  expect(shareLines.filter((l) => l.includes("redis connection lost")).length).toBe(1);
  expect(shareLines.filter((l) => l.includes("redis connection back")).length).toBe(1);
});

test("PPAgent data lands in hashrate_, temp_ and status_ keys", async () => {
  const { log } = start("g");
  const r = redis.client;
  const rec = (type: AgentRecordV1["type"], data: unknown, stamp: number): string => agentRecordCodec.encode({ v: 1, edge: "eu1", address: ADDR_A, worker: "rig1", type, data, stamp });
  const before = Date.now() / 1000;
  await r.xadd(names.verifiedAgentStream, "*", MESSAGE_FIELD, rec("hashrate", [12.5, 100], 1409899777));
  await r.xadd(names.verifiedAgentStream, "*", MESSAGE_FIELD, rec("temp", [45.5], 1409899777.5));
  await r.xadd(names.verifiedAgentStream, "*", MESSAGE_FIELD, rec("status", { v: "0.3", gpus: 2 }, 1409899777));
  await r.xadd(names.verifiedAgentStream, "*", MESSAGE_FIELD, rec("thresholds", { temp: 80 }, 1409899777));
  await r.xadd(names.verifiedAgentStream, "*", MESSAGE_FIELD, "{not json");
  await waitFor("the agent stream to drain", () => drained(r, names.verifiedAgentStream, names.agentGroup));

  expect(await r.hgetall("hashrate_1409899740")).toEqual({ [`${ADDR_A}_rig1_0`]: "12.5", [`${ADDR_A}_rig1_1`]: "100" });
  expect(await r.hgetall("temp_1409899740.0")).toEqual({ [`${ADDR_A}_rig1_0`]: "45.5" });
  const status = (await r.get(`status_${ADDR_A}_rig1`)) ?? "";
  expect(status).toMatch(/^\{"v": "0\.3", "gpus": 2, "time": \d+\.\d+\}$/);
  expect(JSON.parse(status).time).toBeGreaterThanOrEqual(before);
  expect(await r.ttl(`status_${ADDR_A}_rig1`)).toBeGreaterThan(86_000);
  expect(log.lines.some((l) => l.includes('Recieved unsupported ppagent type "thresholds"'))).toBe(true);
  expect((await r.xrange(contractNames(PREFIX).deadLetter("agent"), "-", "+")).length).toBe(1);
});

test("tidying trims what the group acknowledged and keeps what it still needs", async () => {
  const r = redis.client;
  await r.call("XGROUP", "CREATE", names.verifiedShareStream, names.accountingGroup, "0", "MKSTREAM");
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) ids.push((await r.xadd(names.verifiedShareStream, "*", MESSAGE_FIELD, "x")) ?? "");
  // Deliver three, acknowledge the first and the third: the second is still needed, and so are the undelivered two.
  await r.call("XREADGROUP", "GROUP", names.accountingGroup, "t", "COUNT", 3, "STREAMS", names.verifiedShareStream, ">");
  await r.xack(names.verifiedShareStream, names.accountingGroup, ids[0] ?? "", ids[2] ?? "");
  expect(await tidyStream(r, names.verifiedShareStream, names.accountingGroup, "t")).toEqual({ pending: 1, lag: 2 });
  expect((await r.xrange(names.verifiedShareStream, "-", "+")).map(([id]) => id)).toEqual(ids.slice(1));
});
