/**
 * Reporters on real Redis servers (one for the streams and outboxes, one as the Celery broker):
 * shares from the stream become Celery messages on the broker's queue; a broker outage is retried
 * with back-off (one log line down, one back) and loses nothing; a found block reaches a
 * stand-alone reporter and a double's child alike. The real Celery worker is in
 * test/e2e/celery-reporter.test.ts.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { agentRecordCodec, contractNames, MESSAGE_FIELD, ShareResult, type ShareRecordV1 } from "../../shared/contract/index.ts";
import type { ReporterConfig } from "../../shared/config/schema.ts";
import { startRedis, type PrivateRedis } from "../../test/helpers/redis.ts";
import type { BlockRecord } from "../accounting/index.ts";
import { ADDR_A, ADDR_B, feed, quietLogger, share, waitFor } from "../ingest/testing.ts";
import { decodeCeleryMessage, startReporters, type DecodedCeleryMessage, type Reporters, type ReportersSettings } from "./index.ts";

const PREFIX = "rt:";
const names = contractNames(PREFIX);
const FAST = { minuteSeconds: 1, graceMs: 50, stopDrainMs: 3000, outbox: { minBackoffMs: 50, maxBackoffMs: 400, pollMs: 100 }, consumer: { blockMs: 100 } };

function celery(broker: string, queue: string): ReporterConfig {
  return { type: "celery", broker, celery_task_prefix: "simplecoin.tasks", queue, share_batch_interval: 1, chain: 1, pool_report_configs: [], attrs: {} };
}

function settings(broker: string): ReportersSettings {
  return {
    procname: "rt_0",
    redis: { prefix: PREFIX },
    reporters: { redis: { type: "redis", chain: 1, pool_report_configs: [], attrs: {} }, solo: celery(broker, "solo"), legacy: celery(broker, "celery"), both: { type: "double", reporters: ["redis", "legacy"] } },
    stratum: { a: { reporter: "solo", jobmanager: "LTC" }, b: { reporter: "both", jobmanager: "LTC" }, c: { reporter: "redis", jobmanager: "LTC" } },
    coins: { LTC: { currency: "LTC", merged: ["DOGE"] } },
    aux: { DOGE: { currency: "DOGE" } },
    switchers: {},
  };
}

async function queueMessages(broker: PrivateRedis, queue: string): Promise<DecodedCeleryMessage[]> {
  // Workers BRPOP: the oldest message is at the right end.
  return (await broker.client.lrange(queue, 0, -1)).reverse().map(decodeCeleryMessage);
}

function sums(msgs: readonly DecodedCeleryMessage[]) {
  const shares: Record<string, number> = {};
  const minutes: Record<string, number> = {};
  for (const m of msgs) {
    if (m.task.endsWith(".add_share")) shares[String(m.args[0])] = (shares[String(m.args[0])] ?? 0) + Number(m.args[1]);
    if (m.task.endsWith(".add_one_minute")) {
      const k = m.kwargs;
      const type = Object.keys(k).find((x) => x.endsWith("_shares") && x !== "valid_shares") ?? "valid_shares";
      const key = `${String(k.user)}.${String(k.worker)}:${type}`;
      minutes[key] = (minutes[key] ?? 0) + Number(k[type]);
    }
  }
  return { shares, minutes };
}

describe("reporters on real Redis", () => {
  let redis: PrivateRedis;
  let broker: PrivateRedis;
  let reporters: Reporters;
  const log = quietLogger();

  beforeAll(async () => {
    [redis, broker] = await Promise.all([startRedis(), startRedis()]);
    reporters = await startReporters(settings(broker.url), { redis: redis.client, consumer: "rt-core", log, celery: FAST });
  });

  afterAll(async () => {
    await reporters?.stop();
    await Promise.all([redis?.stop(), broker?.stop()]);
  });

  test("shares of each port reach only their celery reporter, batched, and their entries are acknowledged", async () => {
    const now = Date.now();
    const recs: ShareRecordV1[] = [
      share(1, { port: "a", time: now, difficulty: 8 }),
      share(2, { port: "b", time: now, difficulty: 16 }),
      share(3, { port: "b", time: now, difficulty: 32, address: ADDR_B, worker: "" }),
      share(4, { port: "b", time: now, difficulty: 4, result: ShareResult.dup }),
      share(5, { port: "c", time: now, difficulty: 1000 }),
    ];
    await feed(redis.client, PREFIX, "eu1", "0a0b0c0d", recs, 2);
    await waitFor("both reporters' add_share", async () => (await broker.client.llen("celery")) >= 3 && (await broker.client.llen("solo")) >= 2, 10_000);
    await waitFor("the reporter groups to acknowledge every entry", async () => {
      const pending = await Promise.all(["solo", "legacy"].map((k) => redis.client.xpending(names.verifiedShareStream, names.reporterGroup(k)) as Promise<unknown[]>));
      return pending.every((p) => Number(p[0]) === 0);
    });
    expect(sums(await queueMessages(broker, "solo"))).toEqual({ shares: { [ADDR_A]: 8 }, minutes: { [`${ADDR_A}.rig1:valid_shares`]: 8 } });
    expect(sums(await queueMessages(broker, "celery"))).toEqual({
      shares: { [ADDR_A]: 16, [ADDR_B]: 32 },
      minutes: { [`${ADDR_A}.rig1:valid_shares`]: 16, [`${ADDR_B}.:valid_shares`]: 32, [`${ADDR_A}.rig1:dup_shares`]: 4 },
    });
    expect(reporters.status().legacy).toMatchObject({ queue_size: 0, unrep_shares: 0, failing_since: null, last_error: null, broker_connected: true });
    await broker.client.del("celery", "solo");
  });

  test("a broker outage: tasks wait in the outbox, retried with back-off (one line down, one back), nothing lost", async () => {
    const linesBefore = log.lines.length;
    await broker.stopServer();
    const now = Date.now();
    await feed(redis.client, PREFIX, "eu1", "0a0b0c0d", [share(10, { port: "b", time: now, difficulty: 3 }), share(11, { port: "b", time: now + 1, difficulty: 5 })]);
    const blk = block("00000000000000000000000000000000000000000000000000000000000000b1");
    reporters.recordBlock(blk);
    await waitFor("the outbox to hold the tasks", () => (reporters.status().legacy as { queue_size: number }).queue_size >= 3, 10_000);
    // Several back-off rounds while the broker is away.
    await Bun.sleep(1500);
    const down = reporters.status().legacy as { failing_since: string | null; last_error: string | null };
    expect(down.failing_since).not.toBeNull();
    expect(down.last_error).toContain("celery broker");
    // The stream entries are acknowledged into the durable outbox: the stream is not held up.
    expect(Number(((await redis.client.xpending(names.verifiedShareStream, names.reporterGroup("legacy"))) as unknown[])[0])).toBe(0);
    await broker.startServer();
    await waitFor("the outbox to drain", () => (reporters.status().legacy as { queue_size: number }).queue_size === 0, 15_000);
    const msgs = await queueMessages(broker, "celery");
    expect(sums(msgs).shares).toEqual({ [ADDR_A]: 8 });
    expect(msgs.filter((m) => m.task === "simplecoin.tasks.add_block").map((m) => m.kwargs.hash_hex)).toEqual([blk.hash]);
    const lines = log.lines.slice(linesBefore).filter((l) => l.includes("sending to the celery broker (queue celery)"));
    expect(lines.filter((l) => l.includes("failing, retrying with backoff"))).toHaveLength(1);
    expect(lines.filter((l) => l.includes("working again"))).toHaveLength(1);
    await broker.client.del("celery", "solo");
  });

  test("PPAgent data becomes agent_receive(address, worker, type, data, stamp)", async () => {
    const rec = { v: 1 as const, edge: "eu1", address: ADDR_B, worker: "rig2", type: "hashrate" as const, data: [1.5, 2], stamp: 1409899740.5 };
    await redis.client.xadd(names.verifiedAgentStream, "*", MESSAGE_FIELD, agentRecordCodec.encode(rec));
    for (const q of ["solo", "celery"]) {
      await waitFor(`agent_receive on ${q}`, async () => (await broker.client.llen(q)) >= 1, 10_000);
      const [m] = await queueMessages(broker, q);
      expect(m).toMatchObject({ task: "simplecoin.tasks.agent_receive", args: [ADDR_B, "rig2", "hashrate", [1.5, 2], 1409899740.5], kwargs: {} });
    }
    await broker.client.del("celery", "solo");
  });

  test("PPAgent data paired with a port goes only to that port's celery reporters", async () => {
    const rec = { v: 1 as const, edge: "eu1", port: "a", address: ADDR_B, worker: "rig3", type: "temp" as const, data: [61], stamp: 1409899800 };
    await redis.client.xadd(names.verifiedAgentStream, "*", MESSAGE_FIELD, agentRecordCodec.encode(rec));
    await redis.client.xadd(names.verifiedAgentStream, "*", MESSAGE_FIELD, agentRecordCodec.encode({ ...rec, port: "b", worker: "rig4" }));
    await redis.client.xadd(names.verifiedAgentStream, "*", MESSAGE_FIELD, agentRecordCodec.encode({ ...rec, port: "c", worker: "rig5" }));
    await waitFor("agent_receive on solo", async () => (await broker.client.llen("solo")) >= 1, 10_000);
    await waitFor("agent_receive on celery", async () => (await broker.client.llen("celery")) >= 1, 10_000);
    // Port c's reporter is redis only: its record must not reach either queue; give it time to (wrongly) arrive.
    await Bun.sleep(500);
    expect((await queueMessages(broker, "solo")).map((m) => m.args[1])).toEqual(["rig3"]);
    expect((await queueMessages(broker, "celery")).map((m) => m.args[1])).toEqual(["rig4"]);
    await broker.client.del("celery", "solo");
  });

  test("a block reaches the stand-alone reporter and the double's child (spec §15 item 17); aux blocks name their currency; rejected ones go nowhere", async () => {
    reporters.recordBlock(block("00000000000000000000000000000000000000000000000000000000000000c1"));
    reporters.recordBlock({ ...block("00000000000000000000000000000000000000000000000000000000000000c2"), currency: "DOGE", merged: true, fees: null, hexBits: "1e0fffff" });
    reporters.recordBlock({ ...block("00000000000000000000000000000000000000000000000000000000000000c3"), accepted: false, rejectReason: "high-hash" });
    reporters.recordBlock({ ...block("00000000000000000000000000000000000000000000000000000000000000c4"), currency: "BTC" });
    for (const q of ["solo", "celery"]) {
      await waitFor(`add_block on ${q}`, async () => (await broker.client.llen(q)) >= 2, 10_000);
      const msgs = await queueMessages(broker, q);
      expect(msgs.map((m) => m.task)).toEqual(["simplecoin.tasks.add_block", "simplecoin.tasks.add_block"]);
      expect(msgs[0]?.kwargs).toEqual({ user: ADDR_A, height: 1234, total_value: 5_000_000_000, transaction_fees: 12_345, bits: "1d00ffff", hash_hex: "00000000000000000000000000000000000000000000000000000000000000c1", merged: null, worker: "rig1" });
      expect(msgs[1]?.kwargs).toMatchObject({ merged: "DOGE", transaction_fees: null, bits: "1E0FFFFF" });
    }
  });
});

function block(hash: string): BlockRecord {
  return { currency: "LTC", algo: "scrypt", hash, height: 1234, address: ADDR_A, worker: "rig1", totalSubsidy: 5_000_000_000n, fees: 12_345n, hexBits: "1D00FFFF", merged: false, accepted: true };
}

describe("celery reporters and the accounting's per-record check (issue 19)", () => {
  test("a record the check refuses is not reported; the others of its entry are", async () => {
    await using redis = await startRedis();
    await using broker = await startRedis();
    const refused: number[] = [];
    const reporters = await startReporters(settings(broker.url), {
      redis: redis.client,
      consumer: "rt-check",
      log: quietLogger(),
      celery: FAST,
      checkRecord: (r) => (r.difficulty > 1e6 ? (refused.push(r.seq), "difficulty above the port's maximum") : undefined),
    });
    try {
      const now = Date.now();
      await feed(redis.client, PREFIX, "eu1", "0a0b0c0e", [share(1, { port: "a", time: now, difficulty: 8 }), share(2, { port: "a", time: now, difficulty: 1e12 }), share(3, { port: "a", time: now, difficulty: 2 })]);
      await waitFor("the reporter group to acknowledge the entry", async () => Number(((await redis.client.xpending(names.verifiedShareStream, names.reporterGroup("solo"))) as unknown[])[0]) === 0 && refused.length > 0, 10_000);
      await waitFor("the add_share task", async () => (await broker.client.llen("solo")) >= 2, 10_000);
      expect(refused).toEqual([2]);
      expect(sums(await queueMessages(broker, "solo"))).toEqual({ shares: { [ADDR_A]: 10 }, minutes: { [`${ADDR_A}.rig1:valid_shares`]: 10 } });
    } finally {
      await reporters.stop();
    }
  }, 30_000);
});
