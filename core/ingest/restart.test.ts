/**
 * Exactly-once across crashes: the ingest runs in a child process that is SIGKILLed mid-batch
 * (entries delivered, not acknowledged) four times under alternating consumer names, then a fifth
 * run finishes. The totals must equal the records fed; then a replay of the same ids (split
 * differently) adds nothing.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { contractNames, type ShareRecordV1 } from "../../shared/contract/index.ts";
import { startRedis, type PrivateRedis } from "../../test/helpers/redis.ts";
import { drained, expectedTotals, feed, mixedRecords, totals, waitFor } from "./testing.ts";

const PREFIX = "kr:";
const names = contractNames(PREFIX);
const FIXTURE = join(import.meta.dir, "../../test/fixtures/ingest-consumer.ts");
const SESSIONS = [
  ["eu1", "0000000a"],
  ["eu1", "0000000b"],
  ["us1", "0000000c"],
] as const;
const PER_SESSION = 2000;

let redis: PrivateRedis;
const children: ReturnType<typeof Bun.spawn>[] = [];

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  for (const c of children) c.kill("SIGKILL");
  await redis.stop();
});

function spawnConsumer(consumer: string): ReturnType<typeof Bun.spawn> {
  const child = Bun.spawn([process.execPath, FIXTURE, redis.url, PREFIX, consumer, "300", "15"], { stdout: "ignore", stderr: "inherit" });
  children.push(child);
  return child;
}

async function groupState(): Promise<{ read: number; pending: number }> {
  const groups = (await redis.client.call("XINFO", "GROUPS", names.verifiedShareStream).catch(() => [])) as unknown[][];
  for (const g of groups) {
    const info: Record<string, unknown> = {};
    for (let i = 0; i + 1 < g.length; i += 2) info[String(g[i])] = g[i + 1];
    if (info.name === names.accountingGroup) return { read: Number(info["entries-read"] ?? 0), pending: Number(info.pending) };
  }
  return { read: 0, pending: 0 };
}

/**
 * Waits until at least `acked` entries were acknowledged while some are in flight, then SIGKILLs
 * after `phaseMs`: varying it moves the kill across the stages of a unit (read, apply, ack).
 */
async function killMidBatch(child: ReturnType<typeof Bun.spawn>, acked: number, phaseMs: number): Promise<void> {
  await waitFor(`${acked} entries acknowledged with more in flight`, async () => {
    const s = await groupState();
    return s.read - s.pending >= acked && s.pending > 0;
  });
  await Bun.sleep(phaseMs);
  child.kill("SIGKILL");
  await child.exited;
}

test("SIGKILL mid-batch and restart: no loss, no double count; a replay adds nothing", async () => {
  const all: ShareRecordV1[] = [];
  for (const [edge, session] of SESSIONS) {
    const recs = mixedRecords(PER_SESSION);
    all.push(...recs);
    await feed(redis.client, PREFIX, edge, session, recs, 100);
  }
  const entries = (SESSIONS.length * PER_SESSION) / 100;

  // Four crashes mid-batch, alternating names: a new name takes over the dead one's pending
  // entries with XAUTOCLAIM once they are idle (300 ms); a returning name re-reads its own first.
  let acked = 0;
  for (const [i, name] of ["a", "b", "a", "b"].entries()) {
    await killMidBatch(spawnConsumer(name), acked + 5, i * 8);
    const s = await groupState();
    acked = s.read - s.pending;
  }
  expect(acked).toBeLessThan(entries);
  const last = spawnConsumer("c");
  await waitFor("the stream to drain", () => drained(redis.client, names.verifiedShareStream, names.accountingGroup), 30_000);

  expect(await totals(redis.client)).toEqual(expectedTotals(all));
  for (const [edge, session] of SESSIONS) expect(await redis.client.get(`${PREFIX}seen:${edge}:${session}`)).toBe(`1-${PER_SESSION}`);

  // An edge replays its spool after an outage: the same ids in differently sized entries, plus new ones.
  const [edge, session] = SESSIONS[0];
  const fresh = mixedRecords(50, PER_SESSION + 1);
  await feed(redis.client, PREFIX, edge, session, [...mixedRecords(PER_SESSION), ...fresh], 37);
  await waitFor("the replay to drain", () => drained(redis.client, names.verifiedShareStream, names.accountingGroup), 30_000);
  expect(await totals(redis.client)).toEqual(expectedTotals([...all, ...fresh]));
  expect(await redis.client.get(`${PREFIX}seen:${edge}:${session}`)).toBe(`1-${PER_SESSION + 50}`);
  last.kill("SIGKILL");
  await last.exited;
});
