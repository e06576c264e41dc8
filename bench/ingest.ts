/**
 * Share ingest throughput: records applied per second through the exactly-once apply script, on a
 * private redis-server. `bun bench/ingest.ts [records] [records-per-entry]`
 */
import Redis from "ioredis";
import { createAccounting } from "../core/accounting/index.ts";
import { startIngest } from "../core/ingest/index.ts";
import { drained, feed, mixedRecords, quietLogger, testSettings, waitFor } from "../core/ingest/testing.ts";
import { contractNames } from "../shared/contract/index.ts";
import { startRedis } from "../test/helpers/redis.ts";

const total = Number(process.argv[2] ?? 200_000);
const perEntry = Number(process.argv[3] ?? 1000);
const prefix = "bench:";
const names = contractNames(prefix);
const redis = await startRedis();
try {
  const sessions = 4;
  for (let s = 0; s < sessions; s++) await feed(redis.client, prefix, `edge${s}`, `0000000${s}`, mixedRecords(Math.floor(total / sessions)), perEntry);
  const client = new Redis(redis.url, { maxRetriesPerRequest: null });
  const log = quietLogger();
  const started = performance.now();
  const ingest = startIngest({ redis: client, prefix, accounting: createAccounting(client, testSettings(prefix), log), log, consumer: "bench", tuning: { blockMs: 50, tidyEveryMs: 0 } });
  await waitFor("the stream to drain", () => drained(redis.client, names.verifiedShareStream, names.accountingGroup), 600_000);
  const seconds = (performance.now() - started) / 1000;
  console.log(`${total} records in ${(total / perEntry).toFixed(0)} entries: ${seconds.toFixed(2)} s, ${Math.round(total / seconds)} records/s applied`);
  await ingest.stop();
  client.disconnect();
} finally {
  await redis.stop();
}
