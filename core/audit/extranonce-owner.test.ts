/**
 * The extranonce1 prefix check (issue 20): the owner function over the allocator's grants, the
 * auditor's hook (a foreign prefix fails the batch whatever is sampled, asked once per prefix and
 * batch), and the real EdgeIdAllocator granting ids in a private redis-server with the auditor
 * re-hashing genuine shares against archived jobs.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Redis from "ioredis";
import { ShareResult } from "../../shared/contract/index.ts";
import { contractNames } from "../../shared/contract/names.ts";
import { createPowRegistry, loadPowNative } from "../../shared/pow/index.ts";
import { captureLog } from "../../test/helpers/log-capture.ts";
import { startRedis, type PrivateRedis } from "../../test/helpers/redis.ts";
import { EdgeIdAllocator } from "../edge-ids/allocator.ts";
import { JobIdAllocator } from "../jobs/index.ts";
import { CoreShareAuditor } from "./auditor.ts";
import { extranonceOwnerFrom, type EdgeIdGrants, type ExtranonceOwner } from "./extranonce-owner.ts";
import type { AuditJobSource } from "./job-source.ts";
import { seededRandom } from "./sampler.ts";
import { acceptedRecord, auditTestJob, batchOf, EASY_DIFFICULTY, en, grindProof } from "./testing.ts";

const registry = createPowRegistry(["sha256d"], loadPowNative());
const hasher = (algo: string) => (registry.has(algo) ? registry.get(algo).hasher : undefined);
const job = auditTestJob("sha256d", new JobIdAllocator().next());
/** The core's own job store: the one job, looked up in memory. */
const jobs: AuditJobSource = { lookup: async (id) => (id === job.job.id ? { kind: "job", job } : { kind: "missing" }), neverIssued: async () => true, cached: 1 };

/** A genuine share of `job` from a connection whose extranonce1 is `en1`. */
function share(seq: number, en1: number) {
  const d = EASY_DIFFICULTY.sha256d;
  return acceptedRecord(job, seq, grindProof(job, hasher("sha256d")!, { extranonce1: en(en1), extranonce2: en(seq), difficulty: d }), d);
}

function auditor(owner: ExtranonceOwner, minFraction = 1) {
  const { log, lines } = captureLog();
  return Object.assign(new CoreShareAuditor({ jobs, hasher, rate: () => ({ perHour: 0, minFraction }), random: seededRandom(5), extranonceOwner: owner, log }), { lines });
}

describe("extranonceOwnerFrom", () => {
  // eu1 holds 7 (held 3 before), us1 holds 9, v1 edge old1 leased 12 itself; 20 is nobody's.
  const grants: EdgeIdGrants = {
    maxId: 255,
    grantedId: (e) => ({ eu1: 7, us1: 9 })[e],
    wasGranted: (e, id) => (e === "eu1" && (id === 7 || id === 3)) || (e === "us1" && id === 9),
    selfLeasedId: (e) => (e === "old1" ? 12 : undefined),
    grantHolderOf: (id) => ({ 7: "eu1", 9: "us1" })[id],
  };
  const owner = extranonceOwnerFrom(grants);

  test("its own id, one it held lately, or its own v1 lease: ok", () => {
    expect(owner("eu1", en(0x07000001))).toBe("ok");
    expect(owner("eu1", en(0x03ffffff))).toBe("ok");
    expect(owner("old1", en(0x0c000000))).toBe("ok");
  });

  test("an id granted to another identity, never to this one: foreign, naming the holder", () => {
    expect(owner("eu1", en(0x09000001))).toEqual({ foreign: "us1" });
    expect(owner("eu1/2", en(0x07000001))).toEqual({ foreign: "eu1" });
  });

  test("what the grants cannot tell: unknown", () => {
    // Nobody's id (a new leader before its first pass knows no grant at all).
    expect(owner("eu1", en(0x14000000))).toBe("unknown");
    // Another v1 edge's self-lease is self-declared: not a grant.
    expect(owner("eu1", en(0x0c000000))).toBe("unknown");
    // Sizes the pool's ids do not cover (the sampled audit checks the size against the job).
    expect(owner("eu1", en(0x0900, 2))).toBe("unknown");
    expect(owner("eu1", en(0x09, 6))).toBe("unknown");
    expect(extranonceOwnerFrom({ ...grants, maxId: 65535 })("eu1", en(0x09000001))).toBe("unknown");
  });
});

describe("the auditor's prefix check", () => {
  test("a foreign prefix fails the batch even when nothing is sampled; an unknown one passes", async () => {
    const foreign: ExtranonceOwner = (_e, en1) => (en1[0] === 9 ? { foreign: "us1" } : en1[0] === 7 ? "ok" : "unknown");
    const a = auditor(foreign, 0);
    expect(await a.audit("eu1", batchOf("eu1", "0000000a", [share(1, 0x07000001), share(2, 0x14000001)]))).toEqual({ kind: "pass", audited: 0 });
    const v = await a.audit("eu1", batchOf("eu1", "0000000a", [share(3, 0x07000001), share(4, 0x09000002)]));
    expect(v).toEqual({ kind: "fail", seq: 4, reason: "extranonce1 prefix belongs to edge us1", detail: "record 4 of session 0000000a: extranonce1 09000002 starts with the edge id the core granted us1, never eu1" });
    expect(a.edges().get("eu1")).toMatchObject({ failed: 1, lastFailure: { seq: 4, reason: "extranonce1 prefix belongs to edge us1" } });
    expect(a.edges().get("eu1")!.algos.sha256d).toMatchObject({ failed: 1 });
    expect(a.lines.some((l) => l.includes("edge eu1 failed: extranonce1 prefix belongs to edge us1"))).toBe(true);
  });

  test("asked once per identity, extranonce1 length and first two bytes in a batch; not for v1 batches or rejected records", async () => {
    const asked: string[] = [];
    const a = auditor((e, en1) => {
      asked.push(`${e}:${Buffer.from(en1).toString("hex")}`);
      return "ok";
    }, 0);
    const rejected = { ...share(6, 0x09000000), result: ShareResult.stale };
    const recs = [share(1, 0x07000001), share(2, 0x07000002), rejected, share(3, 0x07000001), share(4, 0x07010000), share(5, 0x07000003)];
    expect(await a.audit("eu1", batchOf("eu1", "0000000a", recs))).toEqual({ kind: "pass", audited: 0 });
    expect(asked).toEqual(["eu1:07000001", "eu1:07010000"]);
    asked.length = 0;
    await a.audit("eu1", batchOf("eu1", "0000000a", recs, 1));
    expect(asked).toEqual([]);
  });
});

describe("with the core's EdgeIdAllocator", () => {
  let redis: PrivateRedis;
  let conn: Redis;
  beforeAll(async () => {
    redis = await startRedis();
    conn = new Redis(redis.url, { maxRetriesPerRequest: null });
  });
  afterAll(async () => {
    conn?.disconnect();
    await redis?.stop();
  });

  test("a share in another edge's extranonce1 space is caught; the edge's own, and any before the grants are loaded, pass", async () => {
    const p = "own:";
    const names = contractNames(p);
    const alloc = new EdgeIdAllocator({ redis: conn, prefix: p, extranonce1Size: 4, log: captureLog().log });
    const a = auditor(extranonceOwnerFrom(alloc));
    // A new leader before its first pass: it knows no grant, so it cannot tell.
    expect(await a.audit("eu1", batchOf("eu1", "0000000a", [share(1, 0x00000001), share(2, 0x01000001)]))).toEqual({ kind: "pass", audited: 2 });

    await redis.client.set(names.edgeIdWant("eu1"), "s-eu1", "PX", 60_000);
    await redis.client.set(names.edgeIdWant("us1"), "s-us1", "PX", 60_000);
    await alloc.pass();
    const eu1 = alloc.grantedId("eu1")!;
    const us1 = alloc.grantedId("us1")!;
    expect(new Set([eu1, us1]).size).toBe(2);
    expect(alloc.grantHolderOf(us1)).toBe("us1");

    const mine = (seq: number, id: number) => share(seq, id * 0x1000000 + seq);
    expect(await a.audit("eu1", batchOf("eu1", "0000000b", [mine(10, eu1), mine(11, eu1)]))).toEqual({ kind: "pass", audited: 2 });
    expect(await a.audit("eu1", batchOf("eu1", "0000000b", [mine(12, eu1), mine(13, us1)]))).toMatchObject({ kind: "fail", seq: 13, reason: "extranonce1 prefix belongs to edge us1" });
    // us1's own shares on its id pass.
    expect(await a.audit("us1", batchOf("us1", "0000000c", [mine(20, us1)]))).toEqual({ kind: "pass", audited: 1 });
  });

  test("an id that changed hands: its new holder is named, and the identity that held it before is still let through", async () => {
    const p = "moved:";
    const names = contractNames(p);
    let now = 1_800_000_000_000;
    const alloc = new EdgeIdAllocator({ redis: conn, prefix: p, extranonce1Size: 4, log: captureLog().log, ttlMs: 60_000, now: () => now });
    const owner = extranonceOwnerFrom(alloc);
    await redis.client.set(names.edgeIdWant("eu1"), "s-eu1", "PX", 60_000);
    await alloc.pass();
    const id = alloc.grantedId("eu1")!;
    expect(alloc.grantHolderOf(id)).toBe("eu1");
    // eu1 goes away: its want and, a TTL later, its lease are gone; the id is free.
    await redis.client.del(names.edgeIdWant("eu1"), names.edgeIdLease(id), names.edgeIdGrant("eu1"), names.edgeIdByName("eu1"));
    now += 61_000;
    await alloc.pass();
    expect(alloc.grantHolderOf(id)).toBeUndefined();
    expect(owner("us1", en(id * 0x1000000 + 1))).toBe("unknown");
    // ap1 arrives and gets the lowest free id: eu1's old one.
    await redis.client.set(names.edgeIdWant("ap1"), "s-ap1", "PX", 60_000);
    await alloc.pass();
    expect(alloc.grantedId("ap1")).toBe(id);
    expect(alloc.grantHolderOf(id)).toBe("ap1");
    expect(owner("us1", en(id * 0x1000000 + 1))).toEqual({ foreign: "ap1" });
    // eu1 held it lately (records replayed from its spool may carry it): not foreign.
    expect(owner("eu1", en(id * 0x1000000 + 1))).toBe("ok");
  });
});
