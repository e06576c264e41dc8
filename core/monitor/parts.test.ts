/** The monitor's small parts: PowerPool's value formats, the hashrate history, the job/block tracker. */
import { describe, expect, test } from "bun:test";
import { findComponent } from "./components.ts";
import { epochSeconds, pyDatetime, pyDuration, safeInteger, toJson } from "./format.ts";
import { HashrateHistory } from "./history.ts";
import { blockResult, client, edge, fixture, job, NOW, port, secretConfig } from "./testing.ts";
import { MonitorTracker } from "./tracker.ts";

describe("formats (spec §9 JSON conversion rules)", () => {
  test("durations as Python's str(timedelta)", () => {
    expect(pyDuration(0)).toBe("0:00:00");
    expect(pyDuration(4_000)).toBe("0:00:04");
    expect(pyDuration(3_723_500)).toBe("1:02:03.500000");
    expect(pyDuration(86_400_000)).toBe("1 day, 0:00:00");
    expect(pyDuration(2 * 86_400_000 + 61_000.25)).toBe("2 days, 0:01:01.000250");
  });

  test("datetimes as Python's str(datetime), UTC", () => {
    expect(pyDatetime(NOW)).toBe("2025-01-02 03:04:05.678000");
    expect(pyDatetime(Date.UTC(2024, 11, 31, 23, 59, 59))).toBe("2024-12-31 23:59:59");
  });

  test("epoch seconds, and big integers that stay exact", () => {
    expect(epochSeconds(1_500)).toBe(1.5);
    expect(epochSeconds(null)).toBeNull();
    expect(safeInteger(5_000_000_000n)).toBe(5_000_000_000);
    expect(safeInteger(2n ** 200n)).toBe(`0x1${"0".repeat(50)}`);
    expect(toJson({ a: 1n, b: 2n ** 64n })).toBe('{"a":1,"b":"0x10000000000000000"}');
  });
});

describe("components", () => {
  test("bare keys resolve stratum first, full names always", () => {
    const view = { config: secretConfig() };
    expect(findComponent(view, "main")?.name).toBe("StratumServer_main");
    expect(findComponent(view, "BTC")?.name).toBe("MonitorNetwork_BTC");
    expect(findComponent(view, "mon_0")?.name).toBe("PowerPool_mon_0");
    expect(findComponent(view, "monitor")?.name).toBe("ServerMonitor_monitor");
    expect(findComponent(view, "CeleryReporter_legacy")?.key).toBe("legacy");
    expect(findComponent(view, "x")).toBeUndefined();
  });
});

describe("HashrateHistory", () => {
  test("keeps the newest `capacity` points, oldest first", () => {
    const h = new HashrateHistory(10_000, 3);
    for (let i = 0; i < 5; i++) h.add({ t: i, pool: i, coins: {}, workers: 0 });
    expect(h.all().map((p) => p.t)).toEqual([2, 3, 4]);
    expect(() => new HashrateHistory(0)).toThrow(RangeError);
    expect(() => new HashrateHistory(10, 0)).toThrow(RangeError);
  });
});

describe("MonitorTracker", () => {
  test("last flush job, jobs since it, counts by type", () => {
    const t = new MonitorTracker();
    expect(t.jobsOf("BTC")).toBeUndefined();
    t.recordJob("BTC", job({ id: "00000001", type: 0 }), 1);
    t.recordJob("BTC", job({ id: "00000002", type: 2 }), 2);
    t.recordJob("BTC", job({ id: "00000003", type: 1 }), 3);
    expect(t.jobsOf("BTC")).toMatchObject({ sinceFlush: 3, byType: { flush: 1, push: 1, refresh: 1 }, last: { id: "00000003", at: 3 } });
    expect(t.jobsOf("BTC")?.lastFlush).toMatchObject({ id: "00000001", currency: "BTC", mergedNetworks: ["NMC"], at: 1 });
    t.recordJob("BTC", job({ id: "00000004", type: 0 }), 4);
    expect(t.jobsOf("BTC")).toMatchObject({ sinceFlush: 1, lastFlush: { id: "00000004" } });
  });

  test("block stats, recent blocks newest first (capped), latency histograms; aux results too", () => {
    const t = new MonitorTracker();
    for (let i = 0; i < 55; i++) t.recordBlock(blockResult({ height: i, accepted: i % 5 !== 0, shareToSubmitMs: 30 }));
    expect(t.blockStats("BTC")).toMatchObject({ solves: 55, accepts: 44, rejects: 11, lastSolveHeight: 54 });
    expect(t.recentBlocks()).toHaveLength(50);
    expect(t.recentBlocks()[0]).toMatchObject({ height: 54, merged: false, edge: "eu1", position: "best" });
    expect(t.latencyOf("BTC").shareToSubmit.count).toBe(55);
    t.recordAuxBlock({ currency: "NMC", algo: "sha256d", aux: "NMC", hash: "ab".repeat(32), height: 9, verdict: "accepted", accepted: true, reason: null, hexBits: "207FFFFF", coinbaseValue: 1n, address: "A", worker: "w", share: { edge: "eu1", session: "00000001", seq: 1 }, parentHash: "00", parentMain: false, candidateId: "1-1", tries: 1, submitMs: 7 }, 123);
    expect(t.recentBlocks()[0]).toMatchObject({ chain: "NMC", merged: true, worker: "A.w", at: 123, latencyMs: 7 });
    expect(t.blockStats("NMC")).toMatchObject({ accepts: 1, solves: 1 });
  });
});

describe("hashrate spans (from the first share)", () => {
  test("JSON, /metrics and the dashboard say how long each hashrate was measured; older edges count as a full minute", async () => {
    const young = edge({ edge: "eu1", ports: [port({ hashrate: 4e11, hashrateSpanMs: 12_000, clientList: [client({ connectedAt: NOW - 8_000, hashrate: 4e11 })] })] });
    const idle = edge({ edge: "us1", ports: [port({ key: "second", listenPort: 3334, hashrate: 0, hashrateSpanMs: 0, clientList: [] })] });
    const old = edge({ edge: "as1", ports: [port({ hashrate: 1e12, hashrateSpanMs: undefined, clientList: [] })] });
    const fx = fixture({ edges: [young, idle, old] });
    const data = (await (await fx.app.request("/dashboard/data")).json()) as {
      pool: { hashrate: number; hashrateMeasuredMs: number | null };
      coins: { currency: string; hashrateMeasuredMs: number | null }[];
      edges: { edge: string; hashrateMeasuredMs: number | null }[];
      workers: { hashrate: number | null; hashrateMeasuredMs: number }[];
    };
    // The pool figure is as young as its youngest measured port; a port with no miner yet does not count.
    expect(data.pool).toMatchObject({ hashrate: 1.4e12, hashrateMeasuredMs: 12_000 });
    expect(data.coins.find((c) => c.currency === "BTC")!.hashrateMeasuredMs).toBe(12_000);
    expect(Object.fromEntries(data.edges.map((e) => [e.edge, e.hashrateMeasuredMs]))).toEqual({ eu1: 12_000, us1: null, as1: 60_000 });
    expect(data.workers).toEqual([expect.objectContaining({ hashrate: 4e11, hashrateMeasuredMs: 8_000 })]);

    const main = (await (await fx.app.request("/main/")).json()) as { hps: number; hps_measured_s: number; edges: { edge: string; hps_measured_s: number }[] };
    expect(main.hps_measured_s).toBe(12);
    expect(main.edges.map((e) => [e.edge, e.hps_measured_s])).toEqual([["eu1", 12], ["as1", 60]]);
    const metrics = await (await fx.app.request("/metrics")).text();
    expect(metrics).toContain('powerpool_hashrate_measured_seconds{edge="eu1",port="main"} 12');
    expect(metrics).toContain('powerpool_hashrate_measured_seconds{edge="as1",port="main"} 60');
  });
});
