/** The auditor's job source against a private redis-server: the archive as the JobPublisher writes it. */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { captureLog } from "../../test/helpers/log-capture.ts";
import { startRedis, type PrivateRedis } from "../../test/helpers/redis.ts";
import { JobIdAllocator, JobPublisher, type StoredJob } from "../jobs/index.ts";
import { jobArchiveKey } from "../jobs/job-archive.ts";
import { ArchivedJobSource, type ArchivedJobSourceOptions } from "./job-source.ts";
import { auditTestJob } from "./testing.ts";

const PREFIX = "js:";
const TTL = 15 * 60_000;
const T = 1_800_000_000_000;
let redis: PrivateRedis;
const ids = new JobIdAllocator(T - 3_600_000);
// Jobmanager "X" (no latest-job key under it is read by these tests: they ask about jobmanager "none").
const older = auditTestJob("sha256d", ids.next(), { createdAt: T - 60_000, jobmanager: "X" });
const newer = auditTestJob("sha256d", ids.next(), { createdAt: T, jobmanager: "X" });
const unpublished = ids.next();

beforeAll(async () => {
  redis = await startRedis();
  const pub = new JobPublisher({ redis: redis.client, prefix: PREFIX, log: captureLog().log, archiveTtlMs: TTL });
  for (const s of [older, newer]) expect(await pub.publish(s.job, s)).toBe(true);
  await pub.stop();
});
afterAll(async () => {
  await redis?.stop();
});

/** A source whose GETs are counted, on a clock the test moves. */
function source(over: Partial<ArchivedJobSourceOptions> = {}) {
  const clock = { now: T + 1000 };
  const gets: string[] = [];
  const s = new ArchivedJobSource({
    redis: { get: (k) => (gets.push(k), redis.client.get(k)) },
    prefix: PREFIX,
    archiveTtlMs: TTL,
    now: () => clock.now,
    ...over,
  });
  return { s, gets, clock };
}

const idOf = (l: Awaited<ReturnType<ArchivedJobSource["lookup"]>>) => (l.kind === "job" ? l.job.job.id : l.kind);

test("archived jobs decode to what was published, once each, in a bounded LRU", async () => {
  const { s, gets } = source({ maxJobs: 1 });
  const [a, b] = await Promise.all([s.lookup(older.job.id), s.lookup(older.job.id)]);
  expect(a).toEqual({ kind: "job", job: older });
  expect(idOf(b!)).toBe(older.job.id);
  expect(gets).toEqual([jobArchiveKey(PREFIX, older.job.id)]); // concurrent lookups share one GET
  await s.lookup(older.job.id);
  expect(gets.length).toBe(1);
  expect(idOf(await s.lookup(newer.job.id))).toBe(newer.job.id);
  expect(s.cached).toBe(1);
  await s.lookup(older.job.id); // evicted by `newer`: read again
  expect(gets.length).toBe(3);
});

test("misses are remembered briefly", async () => {
  const { s, gets, clock } = source({ missTtlMs: 2000 });
  expect(await s.lookup(unpublished)).toEqual({ kind: "missing" });
  expect(await s.lookup(unpublished)).toEqual({ kind: "missing" });
  expect(gets.length).toBe(1);
  clock.now += 2001;
  await s.lookup(unpublished);
  expect(gets.length).toBe(2);
});

test("the core's own job stores first; an entry that does not decode is corrupt", async () => {
  const local: StoredJob = auditTestJob("scrypt", "00000000000000000001");
  const { s, gets } = source({ local: (id) => (id === local.job.id ? local : undefined) });
  expect(await s.lookup(local.job.id)).toEqual({ kind: "job", job: local });
  expect(gets).toEqual([]);
  await redis.client.set(jobArchiveKey(PREFIX, "00000000000000000002"), "{}");
  expect((await s.lookup("00000000000000000002")).kind).toBe("corrupt");
  await redis.client.set(jobArchiveKey(PREFIX, "00000000000000000003"), await redis.client.get(jobArchiveKey(PREFIX, older.job.id)) as string);
  expect(await s.lookup("00000000000000000003")).toMatchObject({ kind: "corrupt", message: expect.stringContaining(`holds job ${older.job.id}`) });
});

test("never issued: newer than a job whose archive entry must still live; otherwise it may have expired", async () => {
  const { s, clock } = source();
  expect(await s.neverIssued(unpublished, "none")).toBe(false); // knows no job yet
  await s.lookup(older.job.id);
  expect(await s.neverIssued(unpublished, "none")).toBe(true);
  expect(await s.neverIssued(older.job.id.replace(/.$/, "0"), "none")).toBe(false); // before `older`: may be expired
  expect(await s.neverIssued("abc", "none")).toBe(true); // not an id this core makes
  // `older` (created T − 60 s) decides until its entry may be gone: TTL after creation, less the minute of margin.
  clock.now = T - 60_000 + TTL - 60_000 - 1;
  expect(await s.neverIssued(unpublished, "none")).toBe(true);
  clock.now += 2;
  expect(await s.neverIssued(unpublished, "none")).toBe(false);
});

test("never issued, knowing no job yet: the jobmanager's latest published job decides", async () => {
  const { s, gets } = source();
  expect(await s.neverIssued(unpublished, "X")).toBe(true);
  expect(gets).toEqual([`${PREFIX}job:X`]);
});
