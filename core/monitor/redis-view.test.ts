/** Reading the edges' heartbeats and the aux work from a real (private) Redis. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Redis from "ioredis";
import { auxWorkCodec, contractNames, edgeClientsCodec, edgeStatusCodec } from "../../shared/contract/index.ts";
import { startRedis, type PrivateRedis } from "../../test/helpers/redis.ts";
import { RedisViewReader } from "./redis-view.ts";
import { client, edge, port, quietLog } from "./testing.ts";

const PREFIX = "rv:";
const names = contractNames(PREFIX);

describe("RedisViewReader", () => {
  let redis: PrivateRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  test("lists live heartbeats sorted by edge, skips undecodable ones and other keys, reads aux work", async () => {
    const c = redis.client;
    await c.set(names.edgeStatus("us1"), edgeStatusCodec.encode(edge({ edge: "us1" })), "PX", 60_000);
    await c.set(names.edgeStatus("eu1"), edgeStatusCodec.encode(edge({ edge: "eu1" })), "PX", 60_000);
    await c.set(names.edgeStatus("bad"), '{"v":99}');
    await c.set(names.edgeIdLease(1), "eu1");
    await c.set("other:edge:x", edgeStatusCodec.encode(edge({ edge: "x" })));
    await c.set(names.auxWork("NMC"), auxWorkCodec.encode({ v: 1, aux: "NMC", currency: "NMC", chainId: 1, hash: "ab".repeat(32), target: "00".repeat(32), bits: null, height: 5, fetchedAt: 1 }));
    const lines: string[] = [];
    const reader = new RedisViewReader({ redis: c, prefix: PREFIX, auxKeys: ["NMC", "DOGE"], log: quietLog(lines), maxAgeMs: 0 });
    const v = await reader.read();
    expect(v.error).toBeNull();
    expect(v.edges.map((e) => e.edge)).toEqual(["eu1", "us1"]);
    expect(v.undecodable).toBe(1);
    expect(v.aux.NMC).toMatchObject({ currency: "NMC", height: 5 });
    expect(v.aux.DOGE).toBeNull();
    expect(lines.some((l) => l.includes("skipped an edge heartbeat"))).toBe(true);
  });

  test("merges each edge's client-list key into its status; an old-format heartbeat keeps its own list", async () => {
    const c = redis.client;
    await c.flushall();
    // New format: no clientList in the heartbeat, the list in edgeClients (same session).
    const fresh = edge({ edge: "eu1", ports: [port({ clientList: undefined }), port({ key: "second", listenPort: 3334, clientList: undefined })] });
    await c.set(names.edgeStatus("eu1"), edgeStatusCodec.encode(fresh), "PX", 60_000);
    const rig = client({ extranonce1: "01000001", worker: "new" });
    await c.set(names.edgeClients("eu1"), edgeClientsCodec.encode({ v: 1, edge: "eu1", session: fresh.session, time: 1, ports: [{ key: "main", clients: [rig] }] }), "PX", 60_000);
    // Old format (an edge not yet upgraded): the list inside the heartbeat, no list key.
    const old = edge({ edge: "us1", session: "1a1b1c1d", ports: [port({ clientList: [client({ worker: "old" })] })] });
    await c.set(names.edgeStatus("us1"), edgeStatusCodec.encode(old), "PX", 60_000);
    // A list left by an earlier run of as1 is not merged into its new run's status.
    const restarted = edge({ edge: "as1", session: "2a2b2c2d", ports: [port({ clientList: undefined })] });
    await c.set(names.edgeStatus("as1"), edgeStatusCodec.encode(restarted), "PX", 60_000);
    await c.set(names.edgeClients("as1"), edgeClientsCodec.encode({ v: 1, edge: "as1", session: "99999999", time: 1, ports: [{ key: "main", clients: [client()] }] }), "PX", 60_000);
    const v = await new RedisViewReader({ redis: c, prefix: PREFIX, auxKeys: [], log: quietLog(), maxAgeMs: 0 }).read();
    expect(v.edges.map((e) => e.edge)).toEqual(["as1", "eu1", "us1"]);
    expect(v.edges[0]!.ports[0]!.clientList).toBeUndefined();
    expect(v.edges[1]!.ports.map((p) => p.clientList)).toEqual([[rig], []]);
    expect(v.edges[2]!.ports[0]!.clientList!.map((x) => x.worker)).toEqual(["old"]);

    // The list is megabytes at 100 k clients: from 1000 clients it is reused for clientListMaxAgeMs.
    await c.set(names.edgeStatus("eu1"), edgeStatusCodec.encode({ ...fresh, ports: fresh.ports.map((p) => ({ ...p, authed: 600 })) }), "PX", 60_000);
    const cached = new RedisViewReader({ redis: c, prefix: PREFIX, auxKeys: [], log: quietLog(), maxAgeMs: 0, clientListMaxAgeMs: 60_000 });
    const uncached = new RedisViewReader({ redis: c, prefix: PREFIX, auxKeys: [], log: quietLog(), maxAgeMs: 0, clientListMaxAgeMs: 0 });
    await cached.read();
    const later = client({ extranonce1: "01000002", worker: "later" });
    await c.set(names.edgeClients("eu1"), edgeClientsCodec.encode({ v: 1, edge: "eu1", session: fresh.session, time: 2, ports: [{ key: "main", clients: [rig, later] }] }), "PX", 60_000);
    expect((await cached.read()).edges[1]!.ports[0]!.clientList).toEqual([rig]);
    expect((await uncached.read()).edges[1]!.ports[0]!.clientList).toEqual([rig, later]);
    // A small edge writes its list with every beat: read every time.
    await c.set(names.edgeStatus("eu1"), edgeStatusCodec.encode(fresh), "PX", 60_000);
    expect((await cached.read()).edges[1]!.ports[0]!.clientList).toEqual([rig, later]);
  });

  test("an expired heartbeat is gone; reads within maxAgeMs are served from one SCAN", async () => {
    const c = redis.client;
    await c.flushall();
    await c.set(names.edgeStatus("short"), edgeStatusCodec.encode(edge({ edge: "short" })), "PX", 150);
    const reader = new RedisViewReader({ redis: c, prefix: PREFIX, auxKeys: [], log: quietLog(), maxAgeMs: 60_000 });
    const first = await reader.read();
    expect(first.edges.map((e) => e.edge)).toEqual(["short"]);
    await Bun.sleep(250);
    expect(await reader.read()).toBe(first);
    const fresh = new RedisViewReader({ redis: c, prefix: PREFIX, auxKeys: [], log: quietLog(), maxAgeMs: 0 });
    expect((await fresh.read()).edges).toEqual([]);
  });

  test("while Redis is away the last view is served with the error, and one warning is logged", async () => {
    const c = new Redis({ port: redis.port, host: "127.0.0.1", maxRetriesPerRequest: null, retryStrategy: () => 50 });
    c.on("error", () => {});
    await c.set(names.edgeStatus("eu1"), edgeStatusCodec.encode(edge()), "PX", 60_000);
    const lines: string[] = [];
    const reader = new RedisViewReader({ redis: c, prefix: PREFIX, auxKeys: [], log: quietLog(lines), maxAgeMs: 0, timeoutMs: 300 });
    expect((await reader.read()).edges).toHaveLength(1);
    await redis.stopServer();
    try {
      const a = await reader.read();
      const b = await reader.read();
      expect(a.error).toContain("within 300 ms");
      expect(b.edges.map((e) => e.edge)).toEqual(["eu1"]);
      expect(lines.filter((l) => l.includes("could not read edge heartbeats")).length).toBe(1);
    } finally {
      await redis.startServer();
    }
    c.disconnect();
  });
});
