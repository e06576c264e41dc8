/**
 * The core's edge id allocator against a private redis-server, with real edges (edge/forward/edge-id.ts)
 * asking for ids: distinct ids, an id back after a restart, v1 self-leasing edges honoured, the
 * edge ACL (issue 20) confining an edge to its own request and grant, garbage survived, a deposed
 * core writing nothing, ids freed only after their TTL.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Redis from "ioredis";
import { EdgeIdLease, edgeIdBytes } from "../../edge/forward/edge-id.ts";
import { Forwarder } from "../../edge/forward/forwarder.ts";
import { edgeAclUser } from "../../shared/contract/acl.ts";
import { contractNames } from "../../shared/contract/names.ts";
import { captureLog } from "../../test/helpers/log-capture.ts";
import { startRedis, type PrivateRedis } from "../../test/helpers/redis.ts";
import { attachFence } from "../leader/fence.ts";
import { EdgeIdAllocator, edgeIdSpace, type EdgeIdAllocatorOptions } from "./allocator.ts";
import { edgeIdOfExtranonce1 } from "./prefix.ts";
import { EdgeExtranonce1Allocator } from "../../edge/forward/extranonce1.ts";

let redis: PrivateRedis;
let dir: string;
const stops: (() => Promise<void> | void)[] = [];
beforeAll(async () => {
  redis = await startRedis();
  dir = mkdtempSync(join(tmpdir(), "pp-edge-ids-"));
});
afterAll(async () => {
  for (const s of stops.splice(0).reverse()) await s();
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

function allocator(prefix: string, o: Partial<EdgeIdAllocatorOptions> = {}) {
  const capture = captureLog();
  const conn = o.redis ?? new Redis(redis.url, { maxRetriesPerRequest: null });
  if (!o.redis) stops.push(() => conn.disconnect());
  return { alloc: new EdgeIdAllocator({ redis: conn, prefix, extranonce1Size: 4, log: capture.log, ...o }), ...capture };
}

async function edge(prefix: string, name: string, o: { url?: string; ttlMs?: number; now?: () => number; grantWaitMs?: number } = {}) {
  const capture = captureLog();
  const f = new Forwarder({ redis: { url: o.url ?? redis.url, prefix }, edge: name, spoolDir: join(dir, prefix, name, String(stops.length)), log: capture.log });
  await f.start();
  stops.push(() => f.stop());
  const lease = new EdgeIdLease({ forwarder: f, extranonce1Size: 4, log: capture.log, ttlMs: o.ttlMs, now: o.now, grantWaitMs: o.grantWaitMs ?? 5000 });
  return { f, lease, ...capture };
}

/** Runs allocator passes until `work` settles (what a running core does every few hundred ms). */
async function served<T>(alloc: EdgeIdAllocator, work: Promise<T>): Promise<T> {
  let done = false;
  const out = work.finally(() => {
    done = true;
  });
  while (!done) {
    await alloc.pass();
    await Bun.sleep(20);
  }
  return out;
}

const v2 = (prefix: string) => redis.client.set(contractNames(prefix).contractVersion, "2");

describe("edge ids assigned by the core", () => {
  test("two new edges get distinct ids; a restarted edge gets its id back; the grants name each session", async () => {
    const p = "a1:";
    await v2(p);
    const { alloc } = allocator(p);
    const [eu1, us1] = await Promise.all([edge(p, "eu1"), edge(p, "us1")]);
    const ids = await served(alloc, Promise.all([eu1.lease.acquire(), us1.lease.acquire()]));
    expect(new Set(ids).size).toBe(2);
    expect([eu1.lease.source, us1.lease.source]).toEqual(["core", "core"]);
    const n = contractNames(p);
    expect(await redis.client.get(n.edgeIdGrant("eu1"))).toBe(`${ids[0]}:${eu1.f.session}`);
    expect(await redis.client.get(n.edgeIdLease(ids[0]!))).toBe(`eu1:${eu1.f.session}`);
    expect(alloc.grantedId("eu1")).toBe(ids[0]!);
    expect(alloc.grantedId("us1")).toBe(ids[1]!);
    expect(eu1.lease.valid).toBe(true);
    expect(await eu1.lease.renew()).toBe("held");

    // A clean stop, then the same edge again under a new session: its id at once.
    await eu1.lease.release();
    expect(await redis.client.exists(n.edgeIdWant("eu1"))).toBe(0);
    const again = await edge(p, "eu1");
    expect(await served(alloc, again.lease.acquire())).toBe(ids[0]!);
    expect(alloc.wasGranted("eu1", ids[0]!)).toBe(true);
    // A crash (no release) and a restart: the same, and the old session's renewal finds it lost.
    const crashed = await edge(p, "eu1");
    expect(await served(alloc, crashed.lease.acquire())).toBe(ids[0]!);
    expect(await again.lease.renew()).toBe("none");
    expect(again.lease.valid).toBe(false);
    expect(again.count(new RegExp(`EDGE ID ${ids[0]} LOST: the core granted it to session ${crashed.f.session} of this edge`))).toBe(1);
  });

  test("an edge is valid no longer than its grant's TTL: the id cannot outlive the core's lease", async () => {
    const p = "a2:";
    await v2(p);
    const { alloc } = allocator(p, { ttlMs: 60_000 });
    let now = 1_000_000;
    const e = await edge(p, "eu1", { ttlMs: 600_000, now: () => now });
    await served(alloc, e.lease.acquire());
    expect(e.lease.valid).toBe(true);
    now += 60_000;
    expect(e.lease.valid).toBe(false);
    await alloc.pass(); // a renewal is due only after ttl / 20; a fresh read of the grant makes the edge valid again
    expect(await e.lease.renew()).toBe("held");
    expect(e.lease.valid).toBe(true);
  });

  test("v1 edges leasing ids themselves and v2 edges never collide", async () => {
    const p = "a3:";
    const n = contractNames(p);
    // A v1 edge took an id before the upgrade, and it is the id a v2 edge remembers as its last one.
    const old = await edge(p, "old1");
    const oldId = await old.lease.acquire();
    expect(old.lease.source).toBe("self");
    await redis.client.set(n.edgeIdByName("new1"), String(oldId));
    await v2(p);
    const { alloc } = allocator(p);
    const news = await Promise.all(["new1", "new2", "new3"].map((name) => edge(p, name)));
    const newIds = await served(alloc, Promise.all(news.map((e) => e.lease.acquire())));
    expect(newIds).not.toContain(oldId);
    expect(new Set(newIds).size).toBe(3);
    expect(alloc.selfLeasedId("old1")).toBe(oldId);
    expect(alloc.grantedId("old1")).toBeUndefined();
    // A v1 edge starting after the v2 core granted ids (its core not yet upgraded) sees them taken.
    await redis.client.del(n.contractVersion);
    const late = await edge(p, "old2");
    expect([oldId, ...newIds]).not.toContain(await late.lease.acquire());
    await v2(p);
    // The v1 edge's renewal keeps working beside the allocator.
    await alloc.pass();
    expect(await old.lease.renew()).toBe("held");
    expect(await news[0]!.lease.renew()).toBe("held");
  });

  test("with its own ACL user an edge gets its id but cannot touch the pool or another edge's request or grant", async () => {
    const p = "a4:";
    const n = contractNames(p);
    const user = edgeAclUser({ user: "edge-eu1", password: "pw-eu1-0123456789", edge: "eu1", jobmanagers: ["LTC"], prefix: p });
    await redis.client.call("ACL", "SETUSER", user.name, ...user.rules);
    const url = redis.url.replace("redis://", "redis://edge-eu1:pw-eu1-0123456789@");
    const { alloc } = allocator(p);
    const other = await edge(p, "us1");
    await v2(p);
    const otherId = await served(alloc, other.lease.acquire());
    const eu1 = await edge(p, "eu1", { url });
    const id = await served(alloc, eu1.lease.acquire());
    expect(id).not.toBe(otherId);
    expect(await eu1.lease.renew()).toBe("held");
    // A worker of its own may ask too.
    const worker = await edge(p, "eu1/0", { url });
    expect(await served(alloc, worker.lease.acquire())).not.toBe(id);

    const c = new Redis(url, { maxRetriesPerRequest: null });
    stops.push(() => c.disconnect());
    const noperm = async (what: string, p: Promise<unknown>) => expect(p, what).rejects.toThrow(/NOPERM/);
    await noperm("GET a lease", c.get(n.edgeIdLease(otherId)));
    await noperm("SET a lease", c.set(n.edgeIdLease(200), "eu1:x", "PX", 1000, "NX"));
    await noperm("DEL a lease", c.del(n.edgeIdLease(otherId)));
    await noperm("EVAL on a lease", c.eval("return redis.call('DEL', KEYS[1])", 1, n.edgeIdLease(otherId)));
    await noperm("SET the name memory", c.set(n.edgeIdByName("eu1"), "5"));
    await noperm("SET another edge's want", c.set(n.edgeIdWant("us1"), "deadbeef"));
    await noperm("DEL another edge's want", c.del(n.edgeIdWant("us1")));
    await noperm("GET another edge's grant", c.get(n.edgeIdGrant("us1")));
    await noperm("SET its own grant", c.set(n.edgeIdGrant("eu1"), `${otherId}:${eu1.f.session}`));
    await noperm("DEL its own grant", c.del(n.edgeIdGrant("eu1")));
    await noperm("SCAN", c.scan("0", "MATCH", n.edgeIdKeysPattern));

    // Without the contract key (a core that does not say v2 yet) the edge cannot lease itself: it asks the core.
    await redis.client.del(n.contractVersion);
    const w1 = await edge(p, "eu1/1", { url });
    expect([id, otherId]).not.toContain(await served(alloc, w1.lease.acquire()));
    expect(w1.lease.source).toBe("core");
    expect(w1.count(/may not lease ids itself/)).toBe(1);
  });

  test("garbage in want keys is ignored and logged once; worker indexes are capped and canonical", async () => {
    const p = "a5:";
    const n = contractNames(p);
    await v2(p);
    const { alloc, count } = allocator(p, { maxWorkers: (e) => (e === "eu1" ? 2 : 256) });
    await redis.client.set(n.edgeIdWant("bad name!"), "deadbeef");
    await redis.client.set(n.edgeIdWant("eu2"), "dead beef: not a session");
    await redis.client.set(n.edgeIdWant("eu3"), "x".repeat(100_000));
    await redis.client.set(n.edgeIdWant("eu1/2"), "deadbeef"); // over the 2 workers
    await redis.client.set(n.edgeIdWant("eu1/01"), "deadbeef"); // eu1/1 spelt twice
    await redis.client.hset(n.edgeIdWant("eu4"), "a", "b"); // wrong type
    await redis.client.set(n.edgeIdLease(999), "x:y"); // out of range: not an id
    await redis.client.set(n.edgeIdGrant("eu5"), "garbage"); // a grant no core wrote: never adopted
    const first = await alloc.pass();
    expect(first).toMatchObject({ ignored: 6, granted: 0, fenced: false });
    await alloc.pass();
    expect(count(/edge id request .* ignored/)).toBe(6);
    expect(count(/worker index over the edge's 2 workers/)).toBe(1);
    expect(count(/worker index not in canonical form/)).toBe(1);
    expect(count(/WRONGTYPE/)).toBe(1);
    const e = await edge(p, "eu1/1");
    expect(await served(alloc, e.lease.acquire())).toBe(0);
    await redis.client.set(n.edgeIdWant("eu5"), "cafe0001");
    await alloc.pass();
    expect(alloc.grantedId("eu5")).toBe(1);
    expect(await redis.client.get(n.edgeIdGrant("eu5"))).toBe("1:cafe0001");
  });

  test("one identity holds one id however often it asks; a deposed core's allocator writes nothing", async () => {
    const p = "a6:";
    const n = contractNames(p);
    await v2(p);
    await redis.client.set(`${p}epoch`, "4");
    const conn = new Redis(redis.url, { maxRetriesPerRequest: null });
    stops.push(() => conn.disconnect());
    attachFence(conn, { key: `${p}epoch`, epoch: 4 });
    const { alloc, count } = allocator(p, { redis: conn });
    for (const session of ["00000001", "00000002", "00000003"]) {
      await redis.client.set(n.edgeIdWant("eu1"), session);
      await alloc.pass();
      expect(await redis.client.get(n.edgeIdGrant("eu1"))).toBe(`0:${session}`);
    }
    expect(await redis.client.keys(n.edgeIdLease(0).replace(/0$/, "*"))).toEqual([n.edgeIdLease(0)]);
    // Keys lost in Redis (a failover to a replica behind) are written again at the next pass, not a renewal period later.
    await redis.client.del(n.edgeIdLease(0), n.edgeIdGrant("eu1"));
    expect(await alloc.pass()).toMatchObject({ renewed: 1 });
    expect(await redis.client.get(n.edgeIdGrant("eu1"))).toBe("0:00000003");
    await redis.client.del(n.edgeIdGrant("eu1"));
    expect(await alloc.pass()).toMatchObject({ renewed: 1 });
    expect(await alloc.pass()).toMatchObject({ renewed: 0 });
    expect(await redis.client.get(n.edgeIdGrant("eu1"))).toBe("0:00000003");

    await redis.client.incr(`${p}epoch`);
    await redis.client.set(n.edgeIdWant("us1"), "00000004");
    await redis.client.set(n.edgeIdWant("eu1"), "00000005");
    expect(await alloc.pass()).toMatchObject({ fenced: true, granted: 0 });
    expect(await redis.client.exists(n.edgeIdGrant("us1"), n.edgeIdLease(1), n.edgeIdByName("us1"))).toBe(0);
    expect(await redis.client.get(n.edgeIdGrant("eu1"))).toBe("0:00000003");
    expect(count(/no longer the leader; writing nothing/)).toBe(1);

    // The next leader adopts the live grant and keeps the id for the edge.
    const next = allocator(p);
    await next.alloc.pass();
    expect(next.alloc.grantedId("eu1")).toBe(0);
    expect(await redis.client.get(n.edgeIdGrant("eu1"))).toBe("0:00000005");
    expect(next.alloc.grantedId("us1")).toBe(1);
  });

  test("an id is freed only once its lease has gone a TTL without a request", async () => {
    const p = "a7:";
    const n = contractNames(p);
    await v2(p);
    const ttlMs = 400;
    const { alloc } = allocator(p, { ttlMs, renewMs: 50 });
    const a = await edge(p, "eu1");
    expect(await served(alloc, a.lease.acquire())).toBe(0);
    await a.lease.release();
    await alloc.pass();
    // Still held after the edge stopped asking: a newcomer gets another id.
    const b = await edge(p, "us1");
    expect(await served(alloc, b.lease.acquire())).toBe(1);
    expect(await redis.client.exists(n.edgeIdLease(0))).toBe(1);
    // b keeps asking (renewals), a does not: once a's lease expired in Redis, id 0 is free.
    while ((await redis.client.exists(n.edgeIdLease(0))) === 1) {
      await b.lease.renew();
      await alloc.pass();
      await Bun.sleep(50);
    }
    expect(alloc.grantedId("eu1")).toBeUndefined();
    expect(await redis.client.exists(n.edgeIdGrant("eu1"))).toBe(0);
    expect(alloc.grantedId("us1")).toBe(1);
    const c = await edge(p, "ap1");
    expect(await served(alloc, c.lease.acquire())).toBe(0);
  });

  test("the core counts as many ids as the edges' prefix holds, and reads an id back from an extranonce1", () => {
    for (const size of [4, 5, 6, 7, 8]) {
      expect(edgeIdSpace(size)).toBe(256 ** edgeIdBytes(size));
      // The audit reads back the id the edge put in front of each extranonce1.
      const id = size >= 6 ? 0x1234 : 0xab;
      expect(edgeIdOfExtranonce1(new EdgeExtranonce1Allocator({ size, lease: { id, valid: true }, start: 0.5 }).allocate().extranonce1)).toBe(id);
    }
    expect(() => edgeIdOfExtranonce1(new Uint8Array(3))).toThrow(RangeError);
  });

  test("no core answering: a clear error after the bounded wait", async () => {
    const p = "a8:";
    await v2(p);
    const e = await edge(p, "eu1", { grantWaitMs: 300 });
    await expect(e.lease.acquire()).rejects.toThrow(/no core assigned an edge id within 0.3 s: is a v2 core running/);
  });
});
