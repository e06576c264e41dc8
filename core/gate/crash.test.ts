/**
 * Exactly-once through the gate across crashes: the gate runs in a child process that is
 * SIGKILLed between reading entries and passing them on, four times under alternating consumer
 * names, then a fifth run finishes. Every edge entry must reach the verified stream exactly once
 * and the totals equal the records fed.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import Redis from "ioredis";
import { contractNames, type ShareRecordV1 } from "../../shared/contract/index.ts";
import { startRedis, type PrivateRedis } from "../../test/helpers/redis.ts";
import { createAccounting } from "../accounting/index.ts";
import { startIngest, type Ingest } from "../ingest/index.ts";
import { drained, expectedTotals, feedEdge, mixedRecords, quietLogger, testSettings, totals, waitFor } from "../ingest/testing.ts";

const PREFIX = "gk:";
const names = contractNames(PREFIX);
const FIXTURE = join(import.meta.dir, "../../test/fixtures/gate-consumer.ts");
const SESSIONS = [
  ["eu1", "0000000a"],
  ["eu2", "0000000b"],
  ["us1/1", "0000000c"],
] as const;
const PER_SESSION = 1000;
const PER_ENTRY = 50;
const streams = SESSIONS.map(([edge]) => names.edgeStream("shares", edge));

let redis: PrivateRedis;
let client: Redis;
let ingest: Ingest;
const children: ReturnType<typeof Bun.spawn>[] = [];

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url, { maxRetriesPerRequest: null });
  const log = quietLogger();
  ingest = startIngest({ redis: client, prefix: PREFIX, accounting: createAccounting(client, testSettings(PREFIX), log), log, consumer: "acc", tuning: { blockMs: 50, claimEveryMs: 50, tidyEveryMs: 0 } });
});
afterAll(async () => {
  for (const c of children) c.kill("SIGKILL");
  await ingest.stop();
  client.disconnect();
  await redis.stop();
});

function spawnGate(consumer: string): ReturnType<typeof Bun.spawn> {
  const child = Bun.spawn([process.execPath, FIXTURE, redis.url, PREFIX, consumer, "15"], { stdout: "ignore", stderr: "inherit" });
  children.push(child);
  return child;
}

/** Entries delivered to the gate group and still pending, summed over the edge streams. */
async function gateState(): Promise<{ read: number; pending: number }> {
  let read = 0;
  let pending = 0;
  for (const stream of streams) {
    const groups = (await redis.client.call("XINFO", "GROUPS", stream).catch(() => [])) as unknown[][];
    for (const g of groups) {
      const info: Record<string, unknown> = {};
      for (let i = 0; i + 1 < g.length; i += 2) info[String(g[i])] = g[i + 1];
      if (info.name !== names.gateGroup) continue;
      read += Number(info["entries-read"] ?? 0);
      pending += Number(info.pending);
    }
  }
  return { read, pending };
}

test("SIGKILL of the gate between read and pass, four times: every edge entry reaches the verified stream once, totals exact", async () => {
  const all: ShareRecordV1[] = [];
  for (const [edge, session] of SESSIONS) {
    const recs = mixedRecords(PER_SESSION);
    all.push(...recs);
    await feedEdge(redis.client, PREFIX, edge, session, recs, PER_ENTRY);
  }
  const entries = (SESSIONS.length * PER_SESSION) / PER_ENTRY;

  let acked = 0;
  for (const [i, name] of ["a", "b", "a", "b"].entries()) {
    const child = spawnGate(name);
    await waitFor(`${acked + 3} entries passed with more in flight`, async () => {
      const s = await gateState();
      return s.read - s.pending >= acked + 3 && s.pending > 0;
    }, 20_000);
    await Bun.sleep(i * 7);
    child.kill("SIGKILL");
    await child.exited;
    const s = await gateState();
    acked = s.read - s.pending;
  }
  expect(acked).toBeLessThan(entries);
  const last = spawnGate("c");
  await waitFor("every edge stream through the gate and the accounting", async () => (await Promise.all(streams.map((s) => drained(redis.client, s, names.gateGroup)))).every(Boolean) && (await drained(redis.client, names.verifiedShareStream, names.accountingGroup)), 30_000);

  expect(await redis.client.xlen(names.verifiedShareStream)).toBe(entries);
  expect(await totals(redis.client)).toEqual(expectedTotals(all));
  for (const [edge, session] of SESSIONS) expect(await redis.client.get(`${PREFIX}seen:${edge}:${session}`)).toBe(`1-${PER_SESSION}`);
  last.kill("SIGKILL");
  await last.exited;
});
