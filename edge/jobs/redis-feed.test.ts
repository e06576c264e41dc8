import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { contractNames, jobCodec, MESSAGE_FIELD, type JobV1 } from "../../shared/contract/index.ts";
import { captureLog } from "../../test/helpers/log-capture.ts";
import { startRedis, type PrivateRedis } from "../../test/helpers/redis.ts";
import { JobCache } from "./job-cache.ts";
import { RedisJobFeed } from "./redis-feed.ts";
import { spec16Job } from "../../shared/contract/testing.ts";

let redis: PrivateRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});

async function until(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(5);
  }
}

function setup(prefix: string, jobmanagers = ["LTC"]) {
  const capture = captureLog();
  const cache = new JobCache({ log: capture.log });
  const feed = new RedisJobFeed({ redis: { url: redis.url, prefix }, cache, jobmanagers, log: capture.log, clientName: "test", blockMs: 200, overrides: { retryStrategy: () => 50 } });
  const names = contractNames(prefix);
  const publish = (job: JobV1) => redis.client.multi().xadd(names.jobStream(job.jobmanager), "*", MESSAGE_FIELD, jobCodec.encode(job)).set(names.latestJob(job.jobmanager), jobCodec.encode(job)).exec();
  return { cache, feed, names, publish, ...capture };
}

describe("RedisJobFeed", () => {
  test("takes the latest-job key when there is no stream yet, then follows the stream", async () => {
    const { cache, feed, names, publish } = setup("f1:");
    const first = spec16Job();
    await redis.client.set(names.latestJob("LTC"), jobCodec.encode(first));
    await feed.start();
    try {
      expect(cache.latest("LTC")?.job).toEqual(first);
      const next = spec16Job({ type: 1 });
      await publish(next);
      await until("the pushed job", () => cache.latest("LTC")?.job.id === next.id);
      expect(cache.find("LTC", cache.latest("LTC")!.id)).toMatchObject({ stale: false });
    } finally {
      await feed.stop();
    }
  });

  test("starts at the stream's last entry (earlier jobs are not replayed) and keeps the order of later ones", async () => {
    const { cache, feed, publish } = setup("f2:");
    const old = [spec16Job(), spec16Job({ type: 2 })];
    for (const j of old) await publish(j);
    const seen: string[] = [];
    cache.subscribe("LTC", (j) => seen.push(j.job.id));
    await feed.start();
    try {
      const later = [spec16Job({ type: 0 }), spec16Job({ type: 1 }), spec16Job({ type: 2 })];
      for (const j of later) await publish(j);
      await until("three more jobs", () => seen.length === 4);
      expect(seen).toEqual([old[1]!.id, ...later.map((j) => j.id)]);
      expect(cache.find("LTC", "0")).toBe("unknown");
    } finally {
      await feed.stop();
    }
  });

  test("a malformed or misrouted job is logged and skipped; the next one is applied", async () => {
    const { cache, feed, names, publish, count } = setup("f3:");
    await feed.start();
    try {
      await redis.client.xadd(names.jobStream("LTC"), "*", MESSAGE_FIELD, "{nope");
      await redis.client.xadd(names.jobStream("LTC"), "*", MESSAGE_FIELD, jobCodec.encode(spec16Job()).replace('"type":0', '"type":7'));
      await redis.client.xadd(names.jobStream("LTC"), "*", MESSAGE_FIELD, jobCodec.encode(spec16Job({ jobmanager: "DOGE" })));
      const good = spec16Job();
      await publish(good);
      await until("the good job", () => cache.latest("LTC")?.job.id === good.id);
      expect(count(/skipped malformed job: job: expected JSON/)).toBe(1);
      expect(count(/skipped malformed job: job: type:/)).toBe(1);
      expect(count(/expected jobmanager LTC, got DOGE; skipped/)).toBe(1);
    } finally {
      await feed.stop();
    }
  });

  test("after Redis restarts empty it resyncs and follows the core's new jobs", async () => {
    const { cache, feed, publish, count } = setup("f4:");
    await publish(spec16Job());
    await feed.start();
    try {
      await redis.stopServer();
      await redis.startServer();
      const next = spec16Job({ type: 0 });
      await publish(next);
      await until("the job published after the restart", () => cache.latest("LTC")?.job.id === next.id);
      expect(count(/lost .*jobs:LTC/)).toBe(1);
    } finally {
      await feed.stop();
    }
  });
});
