/** The contract through a real (private) Redis: what one process writes, the other reads back intact. */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startRedis, type PrivateRedis } from "../../test/helpers/redis.ts";
import { contractNames, MESSAGE_FIELD } from "./names.ts";
import { jobCodec } from "./job.ts";
import { decodeShareBatch, ShareBatchWriter, ShareResult } from "./share-batch.ts";
import { spec16Job } from "./testing.ts";

const sampleJob = spec16Job();

let redis: PrivateRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});

test("share batches survive XADD and XREADGROUP as binary", async () => {
  const names = contractNames("t1:");
  const r = redis.client;
  await r.xgroup("CREATE", names.shareStream, names.accountingGroup, "$", "MKSTREAM");
  const w = new ShareBatchWriter("eu1", "0000beef");
  for (let seq = 1; seq <= 300; seq++) {
    w.add({ seq, result: seq % 5 === 0 ? ShareResult.low : ShareResult.acc, difficulty: seq / 3, time: 1e12 + seq, jobmanager: "LTC", jobId: "00000001", currency: "LTC", algo: "scrypt", port: "p", address: "addr", worker: "w", aux: [] });
  }
  const bytes = w.finish();
  await r.xadd(names.shareStream, "*", MESSAGE_FIELD, Buffer.from(bytes));
  const res = (await r.callBuffer("XREADGROUP", "GROUP", names.accountingGroup, "core-1", "COUNT", 10, "STREAMS", names.shareStream, ">")) as [Buffer, [Buffer, Buffer[]][]][];
  const entries = res[0]?.[1] ?? [];
  expect(entries).toHaveLength(1);
  const fields = entries[0]?.[1] ?? [];
  expect(fields[0]?.toString()).toBe(MESSAGE_FIELD);
  const batch = decodeShareBatch(new Uint8Array(fields[1] ?? []));
  expect(batch.records).toHaveLength(300);
  expect(batch.records[299]).toMatchObject({ seq: 300, difficulty: 100, result: ShareResult.low });
});

test("jobs go out on the jobmanager's stream and as its latest job", async () => {
  const names = contractNames("t2:");
  const r = redis.client;
  const encoded = jobCodec.encode(sampleJob);
  await r.multi().xadd(names.jobStream("LTC"), "MAXLEN", "~", 1000, "*", MESSAGE_FIELD, encoded).set(names.latestJob("LTC"), encoded).exec();
  expect(jobCodec.decode((await r.get(names.latestJob("LTC"))) ?? "")).toEqual(sampleJob);
  const [[, fields] = ["", []]] = await r.xrange(names.jobStream("LTC"), "-", "+");
  expect(jobCodec.decode(fields[1] ?? "")).toEqual(sampleJob);
});
