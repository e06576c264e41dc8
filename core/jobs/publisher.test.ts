/** The job publisher against a private redis-server: the MULTI, trimming, and a Redis outage. */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { contractNames, jobCodec, MESSAGE_FIELD, type JobV1 } from "../../shared/contract/index.ts";
import { captureLog } from "../../test/helpers/log-capture.ts";
import { startRedis, type PrivateRedis } from "../../test/helpers/redis.ts";
import { buildJob } from "./build-job.ts";
import { JobIdAllocator } from "./job-ids.ts";
import { JobPublisher } from "./publisher.ts";
import { jobSettings } from "./settings.ts";
import { parseTemplate } from "./template.ts";
import { rawTemplate } from "./testing.ts";

let redis: PrivateRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const settings = (jm: string) =>
  jobSettings(
    { key: jm, currency: "BTC", algo: "sha256d", network: "bitcoin", pool_address: "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", rules: ["segwit"], coinbase_tag: "", version_mask: 0, diff1: 1n, pow_block_hash: false },
    { extranonce_serv_size: 4, extranonce_size: 4 },
  );
const ids = new JobIdAllocator();
const makeJob = (jm: string, type: 0 | 2): JobV1 => buildJob(parseTemplate(rawTemplate()), settings(jm), ids.next(), type).stored.job;

async function streamJobs(jm: string): Promise<JobV1[]> {
  const entries = (await redis.client.xrange(contractNames("p:").jobStream(jm), "-", "+")) as [string, string[]][];
  return entries.map(([, f]) => jobCodec.decode(f[f.indexOf(MESSAGE_FIELD) + 1]!));
}

test("each job: one stream entry and the latest-job key, the same message", async () => {
  const { log } = captureLog();
  const pub = new JobPublisher({ redis: redis.client, prefix: "p:", log });
  const a = makeJob("A", 0);
  const b = makeJob("A", 2);
  expect(await Promise.all([pub.publish(a), pub.publish(b)])).toEqual([true, true]);
  expect((await streamJobs("A")).map((j) => j.id)).toEqual([a.id, b.id]);
  expect(await pub.latest("A")).toEqual(b);
  expect(await pub.latest("nothing-yet")).toBeNull();
});

test("the stream is trimmed to about maxLen entries", async () => {
  const { log } = captureLog();
  const pub = new JobPublisher({ redis: redis.client, prefix: "p:", log, maxLen: 100 });
  let published = 0;
  for (let i = 0; i < 400; i++) if (await pub.publish(makeJob("T", 2))) published++;
  expect(published).toBe(400);
  const len = await redis.client.xlen(contractNames("p:").jobStream("T"));
  expect(len).toBeGreaterThanOrEqual(100);
  expect(len).toBeLessThan(400);
});

test("a Redis outage: in order once it is back, stale work before the last flush dropped, one log line each way", async () => {
  const cap = captureLog();
  const pub = new JobPublisher({ redis: redis.client, prefix: "p:", log: cap.log, slowMs: 200, retryMs: 50 });
  await pub.publish(makeJob("O", 0));
  // The test's client reconnects meanwhile; its connection errors are expected, not news.
  const quiet = () => {};
  redis.client.on("error", quiet);
  await redis.stopServer();
  // 0 flush, 1–49 refresh, 50 flush, 51–99 refresh: more than the queue keeps while Redis is away.
  const jobs = Array.from({ length: 100 }, (_, i) => makeJob("O", i === 0 || i === 50 ? 0 : 2));
  const outcomes = jobs.map((j) => pub.publish(j));
  await Bun.sleep(400);
  expect(cap.count(/job publishing to Redis is failing/)).toBe(1);
  await redis.startServer();
  const published = await Promise.all(outcomes);
  expect(published.filter((p) => !p)).toHaveLength(49);
  expect(published.slice(1, 50).every((p) => !p)).toBe(true);
  // The server came back empty (no persistence): the stream holds exactly what was sent after, in order.
  expect((await streamJobs("O")).map((j) => j.id)).toEqual([jobs[0]!, ...jobs.slice(50)].map((j) => j.id));
  expect(cap.count(/job publishing works again/)).toBe(1);
  redis.client.off("error", quiet);
  await pub.stop();
});
