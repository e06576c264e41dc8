import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { contractNames, edgeClientsCodec, edgeStatusCodec, type EdgeClientV1, type EdgePortStatusV1 } from "../../shared/contract/index.ts";
import { captureLog } from "../../test/helpers/log-capture.ts";
import { startRedis, type PrivateRedis } from "../../test/helpers/redis.ts";
import { EdgeIdLease, edgeIdBytes } from "./edge-id.ts";
import { EdgeExtranonce1Allocator, type EdgeIdSource } from "./extranonce1.ts";
import { Forwarder } from "./forwarder.ts";
import { Heartbeat } from "./heartbeat.ts";

let redis: PrivateRedis;
let dir: string;
const stops: (() => Promise<void>)[] = [];
beforeAll(async () => {
  redis = await startRedis();
  dir = mkdtempSync(join(tmpdir(), "pp-edge-id-"));
});
afterAll(async () => {
  for (const s of stops.splice(0)) await s();
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function edge(prefix: string, name: string, opts: { size?: number; now?: () => number; ttlMs?: number } = {}) {
  const capture = captureLog();
  const f = new Forwarder({ redis: { url: redis.url, prefix }, edge: name, spoolDir: join(dir, prefix, name), log: capture.log });
  await f.start();
  stops.push(() => f.stop());
  const lease = new EdgeIdLease({ forwarder: f, extranonce1Size: opts.size ?? 4, log: capture.log, now: opts.now, ttlMs: opts.ttlMs });
  return { f, lease, ...capture };
}

const fixedLease = (id: number): EdgeIdSource => ({ id, valid: true });

describe("edge id lease", () => {
  test("edges sharing Redis never get the same id; a restarted edge gets its id back once released", async () => {
    const edges = await Promise.all(["eu1", "eu2", "us1", "us2", "ap1"].map((n) => edge("l1:", n)));
    const ids = await Promise.all(edges.map((e) => e.lease.acquire()));
    expect(new Set(ids).size).toBe(5);
    const eu1 = edges[0]!;
    await eu1.lease.release();
    const again = await edge("l1:", "eu1");
    expect(await again.lease.acquire()).toBe(ids[0]!);
    // A restart while the old session still holds its lease picks another id instead of sharing it.
    const twin = await edge("l1:", "eu1");
    const other = await twin.lease.acquire();
    expect(ids).not.toContain(other);
  });

  test("the lease goes invalid after a TTL without renewal and comes back with a renewal", async () => {
    let now = 1_000_000;
    const e = await edge("l2:", "eu1", { now: () => now, ttlMs: 60_000 });
    await e.lease.acquire();
    const alloc = new EdgeExtranonce1Allocator({ size: 4, lease: e.lease });
    expect(alloc.accepting()).toBe(true);
    now += 60_000;
    expect(alloc.accepting()).toBe(false);
    expect(() => alloc.allocate()).toThrow(/expected a valid edge id lease/);
    expect(await e.lease.renew()).toBe("held");
    expect(alloc.accepting()).toBe(true);
    await redis.client.del(contractNames("l2:").edgeIdLease(e.lease.id!)); // expired in Redis, nobody took it
    expect(await e.lease.renew()).toBe("held");
    expect(await redis.client.get(contractNames("l2:").edgeIdLease(e.lease.id!))).toBe(`eu1:${e.f.session}`);
  });

  test("a lease another edge took is reported loudly and replaced by a fresh id", async () => {
    const e = await edge("l3:", "eu1");
    const first = await e.lease.acquire();
    const changes: [number | undefined, number | undefined][] = [];
    e.lease.onChange((id, prev) => changes.push([id, prev]));
    await redis.client.set(contractNames("l3:").edgeIdLease(first), "us1:12345678");
    expect(await e.lease.renew()).toBe("replaced");
    expect(e.lease.id).not.toBe(first);
    expect(changes).toEqual([[undefined, first], [e.lease.id, undefined]]);
    expect(e.count(new RegExp(`EDGE ID ${first} LOST to us1:12345678`))).toBe(1);
  });
});

describe("edge id granted by a v2 core", () => {
  // The core's side (core/edge-ids/) is tested there; here its writes are made by hand.
  test("asks with its want key, takes the grant naming its session, follows a change and gives the want back", async () => {
    const n = contractNames("g1:");
    await redis.client.set(n.contractVersion, "2");
    const e = await edge("g1:", "eu1");
    const changes: [number | undefined, number | undefined][] = [];
    e.lease.onChange((id, prev) => changes.push([id, prev]));
    const got = e.lease.acquire();
    while ((await redis.client.get(n.edgeIdWant("eu1"))) !== e.f.session) await Bun.sleep(10);
    expect(await redis.client.pttl(n.edgeIdWant("eu1"))).toBeGreaterThan(60_000);
    await redis.client.set(n.edgeIdGrant("eu1"), `9:${e.f.session}`, "PX", 60_000);
    expect(await got).toBe(9);
    expect(e.lease.source).toBe("core");
    expect(await e.lease.renew()).toBe("held");
    // A grant the edge cannot use (an id beyond 1 byte) is not taken.
    await redis.client.set(n.edgeIdGrant("eu1"), `300:${e.f.session}`, "PX", 60_000);
    expect(await e.lease.renew()).toBe("none");
    expect(e.count(/expected "<id 0..255>:<session>", got "300:/)).toBe(1);
    await redis.client.set(n.edgeIdGrant("eu1"), `12:${e.f.session}`, "PX", 60_000);
    expect(await e.lease.renew()).toBe("replaced");
    expect(e.lease.id).toBe(12);
    expect(changes).toEqual([[9, undefined], [undefined, 9], [12, undefined]]);
    await e.lease.release();
    expect(await redis.client.exists(n.edgeIdWant("eu1"))).toBe(0);
    expect(e.lease.valid).toBe(false);
  });
});

describe("extranonce1 allocator", () => {
  test("edge id prefix of 1 byte up to 5-byte extranonce1, 2 bytes from 6", () => {
    expect([4, 5, 6, 7, 8].map(edgeIdBytes)).toEqual([1, 1, 2, 2, 2]);
    expect(new EdgeExtranonce1Allocator({ size: 4, lease: fixedLease(0x1f), start: 0 }).allocate().hex).toBe("1f000001");
    expect(new EdgeExtranonce1Allocator({ size: 8, lease: fixedLease(0x1f), start: 0 }).allocate().hex).toBe("001f000000000001");
    const { extranonce1, hex } = new EdgeExtranonce1Allocator({ size: 6, lease: fixedLease(0x0102), start: 0 }).allocate();
    expect([...extranonce1]).toEqual([1, 2, 0, 0, 0, 1]);
    expect(hex).toBe("010200000001");
  });

  test("never hands out a value a live connection holds, across many allocations, releases and a wrap", () => {
    const alloc = new EdgeExtranonce1Allocator({ size: 4, lease: fixedLease(7), start: 1 - 3000 / 2 ** 24 });
    const live = new Set<string>();
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 2000; i++) {
        const { hex } = alloc.allocate();
        expect(live.has(hex)).toBe(false);
        expect(hex.startsWith("07")).toBe(true);
        live.add(hex);
      }
      let k = 0;
      for (const hex of [...live]) if (k++ % 2 === 0) (alloc.release(hex), live.delete(hex));
    }
    expect(alloc.inUse).toBe(live.size);
    expect([...live].some((h) => h < "07000100")).toBe(true); // the counter wrapped past 07ffffff
  });

  test("two edges sharing Redis hand out disjoint values", async () => {
    const [a, b] = await Promise.all([edge("l4:", "eu1"), edge("l4:", "us1")]);
    await Promise.all([a.lease.acquire(), b.lease.acquire()]);
    const ea = new EdgeExtranonce1Allocator({ size: 4, lease: a.lease, start: 0 });
    const eb = new EdgeExtranonce1Allocator({ size: 4, lease: b.lease, start: 0 });
    const va = Array.from({ length: 1000 }, () => ea.allocate().hex);
    const vb = Array.from({ length: 1000 }, () => eb.allocate().hex);
    expect(new Set([...va, ...vb]).size).toBe(2000);
  });

  test("a session id gets its extranonce1 back when this process issued it and it is free", () => {
    const alloc = new EdgeExtranonce1Allocator({ size: 4, lease: fixedLease(0x2a), start: 0 });
    const { hex } = alloc.allocate();
    expect(alloc.allocate(hex).hex).not.toBe(hex); // still live
    alloc.release(hex);
    expect(alloc.allocate(hex.toUpperCase()).hex).toBe(hex);
    expect(alloc.allocate("2b000001").hex.startsWith("2a")).toBe(true); // another edge's prefix
    expect(alloc.allocate("2a0001").hex).toHaveLength(8); // wrong size
    expect(alloc.allocate(hex).hex).not.toBe(hex); // resumed once: live again
    // A restarted edge (same id) did not issue it: a miner could resubmit shares the old process
    // accepted, which only that process's duplicate check knew. A fresh value instead.
    const fresh = new EdgeExtranonce1Allocator({ size: 4, lease: fixedLease(0x2a), start: 0 });
    expect(fresh.allocate("2a000005").hex).toBe("2a000001");
    // Unless the previous run drained and its duplicate checks were restored (edge/app.ts).
    fresh.resumeAcrossRestart(0x2a);
    expect(fresh.allocate("2a000005").hex).toBe("2a000005");
    expect(fresh.allocate("2a000005").hex).not.toBe("2a000005"); // live now
    expect(fresh.allocate("2b000006").hex.startsWith("2a")).toBe(true); // another edge's prefix
  });
});

describe("heartbeat", () => {
  test("publishes a decodable status with a TTL, renews the lease, and clears both at stop", async () => {
    const e = await edge("h1:", "eu1");
    const id = await e.lease.acquire();
    const port: EdgePortStatusV1 = {
      key: "scrypt_STRAT", listenPort: 3333, jobmanager: "LTC", algo: "scrypt", clients: 2, authed: 2, idle: 0, agentClients: 0, hashrate: 1.5,
      shares: { acc: 1, dup: 0, low: 0, stale: 0, invalid: 0 }, lastJobId: null, lastJobAt: null,
    };
    const client: EdgeClientV1 = { extranonce1: "07000001", address: "LYExXWEPs5oWjScR1fYzwSuo8DcQWNcHpF", worker: "rig1", idle: false, difficulty: 16, userAgent: "cpuminer/2.5.1", ip: "10.0.0.2", connectedAt: 1, lastShareAt: 2, acceptedDifficulty: 32, jobIds: 3 };
    const hb = new Heartbeat({ forwarder: e.f, lease: e.lease, status: { ports: () => [port], clientLists: () => [{ key: port.key, clients: [client] }] }, publicHost: "eu1.example", log: e.log, intervalMs: 1000 });
    await hb.start();
    const names = contractNames("h1:");
    const status = edgeStatusCodec.decode((await redis.client.get(names.edgeStatus("eu1"))) ?? "");
    expect(status).toMatchObject({ edge: "eu1", session: e.f.session, edgeId: id, publicHost: "eu1.example", ports: [port], spooled: 0, contract: 1 });
    // A v2 core starts: the next beat switches the edge to its own streams and says so.
    await redis.client.set(names.contractVersion, "2");
    await hb.beat();
    expect(e.f.contractMode).toBe(2);
    expect(edgeStatusCodec.decode((await redis.client.get(names.edgeStatus("eu1"))) ?? "").contract).toBe(2);
    const ttl = await redis.client.pttl(names.edgeStatus("eu1"));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(3000);
    // The client list has its own key, written at the first beat, with a longer TTL (6 beats × 3).
    const list = edgeClientsCodec.decode((await redis.client.get(names.edgeClients("eu1"))) ?? "");
    expect(list).toMatchObject({ edge: "eu1", session: e.f.session, ports: [{ key: port.key, clients: [client] }] });
    expect(await redis.client.pttl(names.edgeClients("eu1"))).toBeGreaterThan(3000);
    expect(await redis.client.pttl(names.edgeIdLease(id))).toBeGreaterThan(60_000);
    await hb.stop();
    expect(await redis.client.exists(names.edgeStatus("eu1"), names.edgeClients("eu1"), names.edgeIdLease(id))).toBe(0);
  });
});
