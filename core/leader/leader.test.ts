/**
 * The leader lease, the fence and the supervisor against a private redis-server: a deposed epoch's
 * scripts, transactions and job publications write nothing; a clean stop hands the lease over.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Redis from "ioredis";
import { defineScript } from "../accounting/scripts.ts";
import { coreAclUser } from "../../shared/contract/acl.ts";
import { contractNames } from "../../shared/contract/index.ts";
import { captureLog } from "../../test/helpers/log-capture.ts";
import { startRedis, type PrivateRedis } from "../../test/helpers/redis.ts";
import { untilWith } from "../../test/helpers/until.ts";
import { buildJob } from "../jobs/build-job.ts";
import { decodeStoredJob, jobArchiveKey } from "../jobs/job-archive.ts";
import { JobIdAllocator } from "../jobs/job-ids.ts";
import { JobPublisher } from "../jobs/publisher.ts";
import { jobSettings } from "../jobs/settings.ts";
import { parseTemplate } from "../jobs/template.ts";
import { rawTemplate } from "../jobs/testing.ts";
import { attachFence, fencedTx, isFenced } from "./fence.ts";
import { LeaderLease, leaderKeys } from "./lease.ts";
import { CoreSupervisor, type Leadership } from "./supervisor.ts";

let redis: PrivateRedis;
const conns: Redis[] = [];
const until = untilWith(() => "", { ms: 10_000 });

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  for (const c of conns) c.disconnect();
  await redis?.stop();
});

/** A fresh connection with a fence at `epoch` on `key`. */
function fenced(key: string, epoch: number): Redis {
  const c = new Redis(redis.url, { maxRetriesPerRequest: null, enableAutoPipelining: true });
  attachFence(c, { key, epoch });
  conns.push(c);
  return c;
}

describe("fence", () => {
  test("a script runs under the current epoch and writes nothing under a deposed one", async () => {
    await redis.client.set("f1:epoch", "1");
    const c = fenced("f1:epoch", 1);
    const run = defineScript(c, "ppTestWrite", "redis.call('RPUSH', KEYS[1], unpack(ARGV)) return #ARGV");
    expect(await run(["f1:list"], ["a", "b"])).toBe(2);
    await redis.client.incr("f1:epoch");
    const err = await run(["f1:list"], ["c"]).catch((e: unknown) => e);
    expect(isFenced(err)).toBe(true);
    expect(String(err)).toContain("epoch 1 is no longer the leader (current: 2)");
    expect(await redis.client.lrange("f1:list", 0, -1)).toEqual(["a", "b"]);
  });

  test("a fenced transaction answers like EXEC (big variadic commands split), and writes nothing once deposed", async () => {
    await redis.client.set("f2:epoch", "7");
    const c = fenced("f2:epoch", 7);
    // A scratch stream, not a contract one (names.test.ts keeps literal contract stream names out of code).
    const stream = "f2:s";
    await redis.client.xgroup("CREATE", stream, "g", "0", "MKSTREAM");
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await redis.client.xadd(stream, "*", "m", String(i)))!);
    await redis.client.xreadgroup("GROUP", "g", "c1", "STREAMS", stream, ">");
    const many = Array.from({ length: 4500 }, (_, i) => `m${i}`);
    const out = await fencedTx(c).call("RPUSH", "f2:list", ...many).call("XACK", stream, "g", ...ids).call("HSET", "f2:h", "a", "1").call("GET", "f2:none").exec();
    expect(out).toEqual([
      [null, 4500],
      [null, 5],
      [null, 1],
      [null, ""],
    ]);
    expect(await redis.client.lrange("f2:list", 0, -1)).toEqual(many);
    // A command Redis refuses is reported in its place, as EXEC does.
    const bad = await fencedTx(c).call("HSET", "f2:list", "x", "1").call("SET", "f2:k", "v").exec();
    expect(bad?.[0]?.[0]).toBeInstanceOf(Error);
    expect(bad?.[1]).toEqual([null, "OK"]);

    await redis.client.incr("f2:epoch");
    const err = await fencedTx(c).call("SET", "f2:k", "deposed").call("DEL", "f2:list").exec().catch((e: unknown) => e);
    expect(isFenced(err)).toBe(true);
    expect(await redis.client.get("f2:k")).toBe("v");
    expect(await redis.client.llen("f2:list")).toBe(4500);
  });

  const settings = jobSettings(
    { key: "A", currency: "BTC", algo: "sha256d", network: "bitcoin", pool_address: "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", rules: ["segwit"], coinbase_tag: "", version_mask: 0, diff1: 1n, pow_block_hash: false },
    { extranonce_serv_size: 4, extranonce_size: 4 },
  );
  const ids = new JobIdAllocator();

  test("the current leader's job goes out with its archive, which rebuilds the same stored job", async () => {
    const { log } = captureLog();
    await redis.client.set("f4:epoch", "5");
    const pub = new JobPublisher({ redis: fenced("f4:epoch", 5), prefix: "f4:", log, archiveTtlMs: 60_000 });
    const { stored } = buildJob(parseTemplate(rawTemplate()), settings, ids.next(), 0);
    expect(await pub.publish(stored.job, stored)).toBe(true);
    const raw = await redis.client.get(jobArchiveKey("f4:", stored.job.id));
    expect(decodeStoredJob(raw!)).toEqual(stored);
    expect(await redis.client.pttl(jobArchiveKey("f4:", stored.job.id))).toBeGreaterThan(50_000);
    await pub.stop();
  });

  test("a deposed core's job publisher publishes nothing", async () => {
    const { log, lines } = captureLog();
    await redis.client.set("f3:epoch", "3");
    const c = fenced("f3:epoch", 2);
    const pub = new JobPublisher({ redis: c, prefix: "f3:", log, retryMs: 50, archiveTtlMs: 60_000 });
    const { stored } = buildJob(parseTemplate(rawTemplate()), settings, ids.next(), 0);
    const job = stored.job;
    const published = pub.publish(job, stored);
    await until("the publisher to report the refusal", () => lines.some((l) => l.includes("FENCED")));
    await pub.stop(100);
    expect(await published).toBe(false);
    const names = contractNames("f3:");
    expect(await redis.client.exists(names.jobStream("A"), names.latestJob("A"), jobArchiveKey("f3:", job.id))).toBe(0);
  });
});

describe("lease", () => {
  test("one holder at a time; every new holder gets a higher epoch; renew and release only by the holder", async () => {
    const keys = leaderKeys("l1:");
    const a = new LeaderLease(redis.client, keys, "a", 5000);
    const b = new LeaderLease(redis.client, keys, "b", 5000);
    expect(await a.acquire()).toEqual({ kind: "acquired", epoch: 1 });
    expect(await b.acquire()).toEqual({ kind: "held", holder: "a", epoch: 1 });
    expect(await b.renew(1)).toBe(false);
    await b.release(1);
    expect(await a.renew(1)).toBe(true);
    await a.release(1);
    expect(await b.acquire()).toEqual({ kind: "acquired", epoch: 2 });
    expect(await a.renew(1)).toBe(false);
    expect(await b.holder()).toEqual({ id: "b", epoch: 2 });
    expect(await a.currentEpoch()).toBe(2);
  });
});

describe("the core's Redis ACL user (shared/contract/acl.ts)", () => {
  test("covers the leader keys and every command the lease, the fence and the takeover use", async () => {
    const user = coreAclUser("core-acl-test", "pw-acl");
    await redis.client.call("ACL", "SETUSER", user.name, ...user.rules);
    const c = new Redis(redis.url, { username: user.name, password: "pw-acl", maxRetriesPerRequest: null });
    conns.push(c);
    const keys = leaderKeys("acl:");
    const lease = new LeaderLease(c, keys, "core-a", 5000);
    const got = await lease.acquire();
    expect(got.kind).toBe("acquired");
    const epoch = got.kind === "acquired" ? got.epoch : 0;
    expect(await lease.renew(epoch)).toBe(true);
    attachFence(c, { key: keys.epoch, epoch });
    const stream = "acl:s";
    await c.xgroup("CREATE", stream, "g", "0", "MKSTREAM");
    await c.xadd(stream, "*", "m", "1");
    expect(await c.call("XAUTOCLAIM", stream, "g", "core-a", 0, "0-0")).toBeArray();
    const run = defineScript(c, "ppAclTest", "return redis.call('SET', KEYS[1], ARGV[1])");
    expect(await run(["acl:k"], ["v"])).toBe("OK");
    expect(await fencedTx(c).call("SET", keys.status("core-a"), "{}", "PX", 1000).exec()).toEqual([[null, "OK"]]);
    const found: string[] = [];
    let cursor = "0";
    do {
      const [next, batch] = await c.scan(cursor, "MATCH", keys.statusPattern);
      found.push(...batch);
      cursor = next;
    } while (cursor !== "0");
    expect(found).toEqual([keys.status("core-a")]);
    await lease.release(epoch);
  });
});

describe("supervisor", () => {
  test("the standby takes over when the leader stops, at a higher epoch; the status keys name both roles", async () => {
    const { log } = captureLog();
    const started: { id: string; epoch: number; stopped: boolean }[] = [];
    const make = (id: string) =>
      new CoreSupervisor({
        redis: redis.client,
        prefix: "s1:",
        id,
        timing: { ttlMs: 1000, renewMs: 100 },
        log,
        async start(l: Leadership) {
          const rec = { id, epoch: l.fence.epoch, stopped: false };
          started.push(rec);
          expect(await l.isLeader()).toBe(true);
          return {
            async stop() {
              rec.stopped = true;
            },
          };
        },
      });
    const a = make("a");
    a.start();
    await until("a to lead", () => a.state.role === "active");
    const b = make("b");
    b.start();
    const status = async (id: string) => JSON.parse((await redis.client.get(`s1:core:status:${id}`)) ?? "null") as { role: string; epoch: number | null } | null;
    await until("b's standby status", async () => (await status("b"))?.role === "standby");
    expect(await status("a")).toMatchObject({ role: "active", epoch: 1 });

    await a.stop();
    await until("b to lead", () => b.state.role === "active");
    expect(started.map((s) => [s.id, s.epoch, s.stopped])).toEqual([
      ["a", 1, true],
      ["b", 2, false],
    ]);
    expect(await status("a")).toBeNull();
    await b.stop();
  });

  test("a lease already in its name (an acquire that timed out but ran) is adopted, not waited out", async () => {
    const { log } = captureLog();
    const lease = new LeaderLease(redis.client, leaderKeys("s2:"), "late", 60_000);
    const got = await lease.acquire();
    const epochs: number[] = [];
    const sup = new CoreSupervisor({
      redis: redis.client,
      prefix: "s2:",
      id: "late",
      timing: { ttlMs: 60_000, renewMs: 100 },
      log,
      async start(l: Leadership) {
        epochs.push(l.fence.epoch);
        return { stop: async () => {} };
      },
    });
    sup.start();
    await until("the supervisor to lead", () => sup.state.role === "active");
    expect(epochs).toEqual([got.epoch]);
    await sup.stop();
  });
});
