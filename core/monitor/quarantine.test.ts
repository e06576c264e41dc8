/**
 * Quarantined edges in the monitor (issue 20 §3), against a real private Redis: the list with the
 * held entries, the marks in the edge lists, /metrics, the operator's release and discard (and
 * their refusals), one ERROR line per quarantine, and garbage in Redis that must not break a route.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { contractNames, edgeStatusCodec } from "../../shared/contract/index.ts";
import { startRedis, type PrivateRedis } from "../../test/helpers/redis.ts";
import { untilWith } from "../../test/helpers/until.ts";
import { quarantineFields } from "../gate/quarantine-store.ts";
import { createMonitorApp } from "./app.ts";
import { quarantineDesk } from "./quarantine.ts";
import { RedisViewReader } from "./redis-view.ts";
import { startMonitor } from "./server.ts";
import { edge, fakeCore, fixture, NOW, quietLog, secretConfig } from "./testing.ts";

const PREFIX = "qm:";
const names = contractNames(PREFIX);
const SINCE = NOW - 90_000;
const DECIDED_AT = NOW + 5_000;

let redis: PrivateRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

function monitor() {
  const fx = fixture();
  const lines: string[] = [];
  const log = quietLog(lines);
  const deps = {
    ...fx.deps,
    log,
    redis: new RedisViewReader({ redis: redis.client, prefix: PREFIX, auxKeys: [], log, maxAgeMs: 0, monitorUrl: "http://127.0.0.1:3855/" }),
    quarantines: quarantineDesk(redis.client, names, () => DECIDED_AT),
  };
  return { app: createMonitorApp(deps), lines };
}
type App = ReturnType<typeof monitor>["app"];

const post = (app: App, path: string, body: unknown, opts: { type?: string; from?: string } = {}) => {
  const from = opts.from;
  return app.request(
    path,
    { method: "POST", headers: { "content-type": opts.type ?? "application/json" }, body: typeof body === "string" ? body : JSON.stringify(body) },
    // hono/bun's getConnInfo asks the server for the caller's address: this stands in for Bun.serve's.
    from === undefined ? undefined : { requestIP: () => ({ address: from, family: from.includes(":") ? "IPv6" : "IPv4", port: 40_000 }) },
  );
};
const getJson = async (app: App, path: string) => {
  const res = await app.request(path);
  expect([path, res.status]).toEqual([path, 200]);
  return (await res.json()) as Record<string, unknown>;
};

/** eu1 and us1 live; eu1 quarantined with 2 entries delivered to the gate and 3 unread, us1 quarantined with no stream at all. */
async function seed(): Promise<void> {
  const c = redis.client;
  await c.flushall();
  for (const name of ["eu1", "us1", "as1"]) await c.set(names.edgeStatus(name), edgeStatusCodec.encode(edge({ edge: name })), "PX", 60_000);
  const stream = names.edgeStream("shares", "eu1");
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) ids.push((await c.xadd(stream, "*", "m", `batch${i}`)) ?? "");
  await c.xgroup("CREATE", stream, names.gateGroup, "0");
  await c.xreadgroup("GROUP", names.gateGroup, "gate-1", "COUNT", 2, "STREAMS", stream, ">");
  await c.hset(names.quarantine("eu1"), ...quarantineFields({ since: SINCE, reason: "share audit failed: hash above target", detail: "job 00aa0001 en2 0000002a nonce 1234abcd", stream, entry: ids[1] ?? "" }));
  await c.hset(names.quarantine("us1"), ...quarantineFields({ since: SINCE + 1_000, reason: "block candidate does not match its job", detail: "", stream: names.edgeStream("candidates", "us1"), entry: "1-0" }));
}

describe("quarantined edges in the monitor", () => {
  beforeEach(seed);

  test("GET /quarantine/ lists each with since, reason, where, held entries and no action; the edge lists mark them", async () => {
    const { app } = monitor();
    const list = await getJson(app, "/quarantine/");
    expect(list.quarantined).toEqual([
      {
        edge: "eu1", since: SINCE, age_seconds: 90, reason: "share audit failed: hash above target", detail: "job 00aa0001 en2 0000002a nonce 1234abcd",
        stream: names.edgeStream("shares", "eu1"), entry: expect.stringMatching(/^\d+-\d+$/), action: null, action_at: null, held: { pending: 2, lag: 3, total: 5 },
      },
      { edge: "us1", since: SINCE + 1_000, age_seconds: 89, reason: "block candidate does not match its job", detail: "", stream: names.edgeStream("candidates", "us1"), entry: "1-0", action: null, action_at: null, held: null },
    ]);
    expect(list.release).toContain("POST /quarantine/release");

    const root = await getJson(app, "/");
    expect((root.PowerPool_mon_0 as { quarantined_edges: unknown }).quarantined_edges).toEqual([
      { edge: "eu1", since: SINCE, reason: "share audit failed: hash above target", action: null },
      { edge: "us1", since: SINCE + 1_000, reason: "block candidate does not match its job", action: null },
    ]);
    const main = (await getJson(app, "/main/")) as { edges: { edge: string; quarantined?: { since: number; reason: string } }[] };
    expect(main.edges.map((e) => [e.edge, e.quarantined?.since ?? null, e.quarantined?.reason ?? null])).toEqual([
      ["as1", null, null],
      ["eu1", SINCE, "share audit failed: hash above target"],
      ["us1", SINCE + 1_000, "block candidate does not match its job"],
    ]);
    const data = (await getJson(app, "/dashboard/data")) as { edges: { edge: string; quarantined: unknown }[]; quarantines: { edge: string; held: number | null; action: unknown }[] };
    expect(data.edges.map((e) => [e.edge, e.quarantined])).toEqual([
      ["as1", null],
      ["eu1", { edge: "eu1", since: SINCE, reason: "share audit failed: hash above target" }],
      ["us1", { edge: "us1", since: SINCE + 1_000, reason: "block candidate does not match its job" }],
    ]);
    expect(data.quarantines.map((q) => [q.edge, q.held, q.action])).toEqual([
      ["eu1", 5, null],
      ["us1", null, null],
    ]);
  });

  test("a worker process's quarantine (eu1/2) marks its edge's row", async () => {
    await redis.client.del(names.quarantine("eu1"), names.quarantine("us1"));
    await redis.client.hset(names.quarantine("as1/2"), ...quarantineFields({ since: SINCE, reason: "share audit failed", detail: "", stream: names.edgeStream("shares", "as1/2"), entry: "1-0" }));
    const data = (await getJson(monitor().app, "/dashboard/data")) as { edges: { edge: string; quarantined: unknown }[] };
    expect(data.edges.map((e) => [e.edge, e.quarantined])).toEqual([
      ["as1", { edge: "as1/2", since: SINCE, reason: "share audit failed" }],
      ["eu1", null],
      ["us1", null],
    ]);
  });

  test("the monitor logs one ERROR per quarantine however often it reads, and a notice when one ends", async () => {
    const { app, lines } = monitor();
    for (let i = 0; i < 3; i++) await app.request("/quarantine/");
    const errors = lines.filter((l) => l.includes("EDGE QUARANTINED"));
    expect(errors).toHaveLength(2);
    expect(errors[0]).toContain("edge eu1 since");
    expect(errors[0]).toContain("share audit failed: hash above target");
    expect(errors[0]).toContain("5 held entries");
    expect(errors[0]).toContain(`-d '{"edge": "eu1"}' http://127.0.0.1:3855/quarantine/release`);
    expect(errors[1]).toContain("edge us1 since");

    await redis.client.del(names.quarantine("us1"));
    await app.request("/quarantine/");
    expect(lines.filter((l) => l.includes("quarantine of edge us1 ended"))).toHaveLength(1);
    // A new quarantine of the same edge (a new `since`) is a new ERROR.
    await redis.client.hset(names.quarantine("eu1"), "since", String(SINCE + 60_000));
    await app.request("/quarantine/");
    expect(lines.filter((l) => l.includes("EDGE QUARANTINED"))).toHaveLength(3);
  });

  test("POST /quarantine/release records the decision for the gate and says what happens; repeating it is harmless, turning it round is refused", async () => {
    const { app, lines } = monitor();
    const res = await post(app, "/quarantine/release", { edge: "eu1" });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ edge: "eu1", action: "release", requested_at: DECIDED_AT, already_requested: false, held: { pending: 2, lag: 3, total: 5 } });
    expect(body.will).toStartWith("the leader core's gate passes 5 held entries of edge eu1 on to accounting without audit");
    expect(await redis.client.hmget(names.quarantine("eu1"), "action", "actionAt", "reason")).toEqual(["release", String(DECIDED_AT), "share audit failed: hash above target"]);
    expect(lines.some((l) => l.includes("the operator asked for the release of quarantined edge eu1"))).toBe(true);

    const list = (await getJson(app, "/quarantine/")) as { quarantined: Record<string, unknown>[] };
    expect(list.quarantined[0]).toMatchObject({ edge: "eu1", action: "release", action_at: DECIDED_AT });
    expect((await getJson(app, "/dashboard/data") as { quarantines: { action: unknown }[] }).quarantines[0]!.action).toBe("release");

    const again = await post(app, "/quarantine/release", { edge: "eu1" });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ already_requested: true, requested_at: DECIDED_AT });
    const flip = await post(app, "/quarantine/discard", { edge: "eu1" });
    expect(flip.status).toBe(409);
    expect(((await flip.json()) as { message: string }).message).toContain("a release of that edge was already requested");
    expect(await redis.client.hget(names.quarantine("eu1"), "action")).toBe("release");
  });

  test("POST /quarantine/discard records a discard", async () => {
    const { app } = monitor();
    const res = await post(app, "/quarantine/discard", { edge: "us1" });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { will: string; held: unknown };
    expect(body.will).toStartWith("the leader core's gate dead-letters its held entries (count unknown) of edge us1");
    expect(body.held).toBeNull();
    expect(await redis.client.hget(names.quarantine("us1"), "action")).toBe("discard");
    expect(await redis.client.hget(names.quarantine("eu1"), "action")).toBe("");
  });

  test("an edge that is not quarantined is a 404 and writes nothing; bad input is a 400", async () => {
    const { app } = monitor();
    const res = await post(app, "/quarantine/release", { edge: "as1" });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: "not_found", message: "that edge is not quarantined (GET /quarantine/ lists the quarantined edges)" });
    expect(await redis.client.exists(names.quarantine("as1"))).toBe(0);

    const bad: [unknown, string | undefined][] = [
      [{}, undefined],
      [{ edge: 7 }, undefined],
      [{ edge: "" }, undefined],
      [{ edge: "eu1:x" }, undefined],
      [{ edge: "eu*" }, undefined],
      [{ edge: "e".repeat(65) }, undefined],
      [["eu1"], undefined],
      ["null", undefined],
      ["{not json", undefined],
      ["edge=eu1", "application/x-www-form-urlencoded"],
    ];
    for (const [body, type] of bad) {
      const r = await post(app, "/quarantine/discard", body, { type });
      expect([JSON.stringify(body), r.status]).toEqual([JSON.stringify(body), 400]);
    }
    expect(await redis.client.hget(names.quarantine("eu1"), "action")).toBe("");
  });

  test("callers that are not on loopback are refused, for quarantine decisions and ban lifts alike", async () => {
    const { app } = monitor();
    for (const from of ["192.0.2.2", "203.0.113.5", "fd00::2", "::ffff:10.0.0.1"]) {
      for (const path of ["/quarantine/release", "/quarantine/discard"]) {
        const r = await post(app, path, { edge: "eu1" }, { from });
        expect([from, path, r.status]).toEqual([from, path, 403]);
        expect(((await r.json()) as { message: string }).message).toBe("quarantine decisions are accepted from loopback only");
      }
      const lift = await post(app, "/bans/lift", { ip: "198.51.100.7" }, { from });
      expect(((await lift.json()) as { message: string }).message).toBe("ban lifts are accepted from loopback only");
    }
    expect(await redis.client.hget(names.quarantine("eu1"), "action")).toBe("");
    expect((await post(app, "/quarantine/release", { edge: "eu1" }, { from: "::ffff:127.0.0.1" })).status).toBe(200);
    expect((await post(app, "/quarantine/release", { edge: "us1" }, { from: "::1" })).status).toBe(200);
  });

  test("/metrics: the total, one line per quarantined edge, its start, held entries where known, and pending decisions", async () => {
    const { app } = monitor();
    await post(app, "/quarantine/discard", { edge: "us1" });
    const text = await (await app.request("/metrics")).text();
    for (const line of [
      "# TYPE powerpool_edges_quarantined gauge",
      "powerpool_edges_quarantined 2",
      'powerpool_edge_quarantined{edge="eu1"} 1',
      'powerpool_edge_quarantined{edge="us1"} 1',
      `powerpool_edge_quarantined_since_seconds{edge="eu1"} ${SINCE / 1000}`,
      'powerpool_edge_quarantine_held_entries{edge="eu1"} 5',
      'powerpool_edge_quarantine_action_pending{edge="eu1",action="none"} 0',
      'powerpool_edge_quarantine_action_pending{edge="us1",action="discard"} 1',
    ]) expect([line, text.split("\n").includes(line)]).toEqual([line, true]);
    expect(text).not.toContain('powerpool_edge_quarantine_held_entries{edge="us1"}');

    await redis.client.del(names.quarantine("eu1"), names.quarantine("us1"));
    const none = await (await app.request("/metrics")).text();
    expect(none.split("\n")).toContain("powerpool_edges_quarantined 0");
    expect(none).not.toContain("powerpool_edge_quarantined{");
  });

  test("garbage in Redis (wrong types, junk fields, odd key names, a share stream that is not a stream) breaks no route", async () => {
    const c = redis.client;
    await c.set(names.quarantine("str1"), "not a hash");
    await c.zadd(names.quarantine("zset1"), 1, "x");
    await c.hset(names.quarantine("junk1"), "since", "yesterday", "reason", `line1\nline2\r\u001b[31m${"x".repeat(100_000)}`, "action", "explode", "actionAt", "-5", "extra", "1");
    await c.hset(names.quarantine("we:ird*\nname"), "since", "1", "reason", "r");
    await c.set(names.edgeStream("shares", "junk1"), "not a stream");
    await c.hset(names.quarantine("junk2"), "weird", "1");
    const stream = names.edgeStream("shares", "junk2");
    await c.xadd(stream, "*", "m", "1");
    await c.xgroup("CREATE", stream, "someone-else", "0");

    const { app, lines } = monitor();
    for (const path of ["/", "/quarantine/", "/metrics", "/dashboard/data", "/debug/", "/main/"]) expect([path, (await app.request(path)).status]).toEqual([path, 200]);
    const list = (await getJson(app, "/quarantine/")) as { quarantined: Record<string, unknown>[] };
    const byEdge = new Map(list.quarantined.map((q) => [q.edge as string, q]));
    expect(byEdge.get("str1")).toMatchObject({ malformed: "the quarantine key is a string, not a hash", held: null, action: null });
    expect(byEdge.get("zset1")).toMatchObject({ malformed: "the quarantine key is a zset, not a hash" });
    expect(byEdge.get("we:ird*\nname")).toMatchObject({ malformed: "the key does not name an edge (the gate never writes such a key)" });
    const junk = byEdge.get("junk1")!;
    expect(junk).toMatchObject({ since: 0, age_seconds: null, action: null, action_at: null, held: null });
    expect((junk.reason as string).length).toBeLessThanOrEqual(1001);
    expect(junk.malformed).toBeUndefined();
    expect(byEdge.get("junk2")).toMatchObject({ reason: "(no reason recorded)", held: null });

    // Log lines stay one line each, whatever the key and reason hold.
    const errors = lines.filter((l) => l.includes("EDGE QUARANTINED"));
    expect(errors.length).toBe(list.quarantined.length);
    for (const l of errors) expect(l).not.toMatch(/[\r\n\u001b]/);

    const r = await post(app, "/quarantine/release", { edge: "str1" });
    expect(r.status).toBe(409);
    expect(await c.get(names.quarantine("str1"))).toBe("not a hash");
    // A junk hash still takes a decision: the gate owns what it means.
    expect((await post(app, "/quarantine/discard", { edge: "junk1" })).status).toBe(200);
    const fams = (await (await app.request("/metrics")).text()).split("\n");
    expect(fams).toContain("powerpool_edges_quarantined 7");
    expect(fams).toContain('powerpool_edge_quarantined{edge="we:ird*\\nname"} 1');
  });
});

test("a running monitor logs a new quarantine by itself, with nobody asking it anything", async () => {
  await redis.client.flushall();
  const lines: string[] = [];
  const config = secretConfig(`monitor: {address: 127.0.0.1, port: 3855}`);
  const m = await startMonitor({ ...config, redis: { ...config.redis, prefix: PREFIX } }, fakeCore(), redis.client, quietLog(lines), { port: 0, quarantinePollMs: 50 });
  try {
    await redis.client.hset(names.quarantine("eu1"), ...quarantineFields({ since: Date.now(), reason: "share audit failed", detail: "", stream: names.edgeStream("shares", "eu1"), entry: "1-0" }));
    const until = untilWith(() => lines.slice(-10).join("\n"), { everyMs: 50 });
    const line = await until("the ERROR line", () => lines.find((l) => l.includes("EDGE QUARANTINED")));
    expect(line).toContain("[ERROR]");
    expect(line).toContain("curl -X POST -H 'content-type: application/json' -d '{\"edge\": \"eu1\"}' http://127.0.0.1:3855/quarantine/release");
  } finally {
    await m.stop();
  }
});
