/**
 * Issue 14 §1: a ban names its reason in the log, the monitor's /bans/ and /metrics, and the
 * operator lifts it with POST /bans/lift — edge-ward through Redis (the edge-bans key and the
 * ban-lift stream of shared/contract/edge-bans.ts). Real listener, real private redis-server,
 * the real monitor app (its core is the monitor fixtures' fake: only the bans are under test).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BanBoard, Forwarder } from "../../edge/forward/index.ts";
import { createMonitorApp } from "../../core/monitor/app.ts";
import { RedisViewReader } from "../../core/monitor/redis-view.ts";
import { banLiftSink } from "../../core/monitor/server.ts";
import { fixture } from "../../core/monitor/testing.ts";
import { captureLog } from "../helpers/log-capture.ts";
import { junkFrom } from "../helpers/junk.ts";
import { startRedis, type PrivateRedis } from "../helpers/redis.ts";
import { startTestStratum, type TestStratum } from "../helpers/stratum-env.ts";

const PREFIX = "mon:"; // the monitor fixtures' redis.prefix
let redis: PrivateRedis;
let dir: string;
let env: TestStratum;
let forwarder: Forwarder;
let board: BanBoard;
const edgeLog = captureLog("edge");

beforeAll(async () => {
  redis = await startRedis();
  dir = mkdtempSync(join(tmpdir(), "pp-bans-"));
  env = startTestStratum({ limits: { ip_ban_offences: 2 } });
  forwarder = new Forwarder({ redis: { url: redis.url, prefix: PREFIX }, edge: "eu1", spoolDir: dir, log: edgeLog.log });
  await forwarder.start();
  // Bans carry the edge's clock (the test's), so list them at that time.
  board = new BanBoard({ forwarder, guard: env.edge.guard, edgeName: "eu1", log: edgeLog.log, intervalMs: 60_000, now: () => env.clock.t });
  await board.start();
});

afterAll(async () => {
  await board?.stop();
  await forwarder?.stop();
  env?.stop();
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function monitor() {
  const fx = fixture();
  const log = captureLog("monitor");
  const deps = { ...fx.deps, log: log.log, now: () => env.clock.t, redis: new RedisViewReader({ redis: redis.client, prefix: PREFIX, auxKeys: [], log: log.log, maxAgeMs: 0 }), banLifts: banLiftSink(redis.client, PREFIX) };
  return { app: createMonitorApp(deps), lines: log.lines };
}

const lift = (app: ReturnType<typeof monitor>["app"], body: unknown, type = "application/json") =>
  app.request("/bans/lift", { method: "POST", headers: { "content-type": type }, body: typeof body === "string" ? body : JSON.stringify(body) });

describe("bans in the monitor, and lifting one (issue 14 §1)", () => {
  test("junk from 127.0.0.2 is banned with its reason; /bans/ and /metrics show it; POST /bans/lift reaches the edge through Redis", async () => {
    const port = env.port.port;
    for (let i = 0; i < 2; i++) await junkFrom("127.0.0.2", port);
    expect(await junkFrom("127.0.0.2", port)).toEqual({ replied: false });
    expect(env.logLines.some((l) => l.includes("banning 127.0.0.2 for 600s: junk input (invalid JSON)"))).toBe(true);

    await board.tick();
    const m = monitor();
    const bans = (await (await m.app.request("/bans/")).json()) as { bans: Record<string, unknown>[]; edges: Record<string, unknown>[] };
    expect(bans.bans).toEqual([
      { edge: "eu1", ip: "127.0.0.2", kind: "junk", reason: "junk input (invalid JSON)", port: "main", since: env.clock.t, until: env.clock.t + 600_000, remaining_seconds: 600 },
    ]);
    expect(bans.edges[0]).toMatchObject({ edge: "eu1", active: 1, banned: { junk: 1 }, closed: { junk: 2 }, lifted: 0 });
    const metrics = await (await m.app.request("/metrics")).text();
    expect(metrics).toContain(`powerpool_edge_ban_expiry_seconds{edge="eu1",ip="127.0.0.2",kind="junk",port="main"} ${(env.clock.t + 600_000) / 1000}`);
    expect(metrics).toContain('powerpool_edge_bans_total{edge="eu1",kind="junk"} 1');
    expect(metrics).toContain('powerpool_edge_abusive_connections_closed_total{edge="eu1",kind="junk"} 2');

    // Refused: not an address, not JSON.
    expect((await lift(m.app, { ip: "not-an-ip" })).status).toBe(400);
    expect((await lift(m.app, "ip=127.0.0.2", "application/x-www-form-urlencoded")).status).toBe(400);
    // A lift for another edge is not this one's.
    expect((await lift(m.app, { ip: "127.0.0.2", edge: "us1" })).status).toBe(200);
    await board.tick();
    expect(env.edge.guard.isBanned("127.0.0.2", env.clock.t)).toBe(true);

    const r = await lift(m.app, { ip: "127.0.0.2" });
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ lifted: "127.0.0.2", edge: null });
    expect(m.lines.some((l) => l.includes("lift of the ban on 127.0.0.2 sent to every edge"))).toBe(true);
    await board.tick();
    expect(env.edge.guard.isBanned("127.0.0.2", env.clock.t)).toBe(false);
    expect(edgeLog.lines.some((l) => l.includes("ban on 127.0.0.2 lifted by the operator"))).toBe(true);
    // The address is served again, and its offences were forgotten with the ban.
    expect(await junkFrom("127.0.0.2", port, 0)).toEqual({ replied: true });
    await board.tick();
    const after = (await (await monitor().app.request("/bans/")).json()) as { bans: unknown[]; edges: Record<string, unknown>[] };
    expect(after.bans).toEqual([]);
    expect(after.edges[0]).toMatchObject({ active: 0, lifted: 1 });
  });
});
