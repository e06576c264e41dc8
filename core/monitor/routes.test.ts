/**
 * Every monitor route in memory (style §5: `app.request`, no socket): the fields PowerPool's
 * routes had (spec §9, §5.10, §6.6) and SimpleCoin reads, Flask's slash rules, the error path.
 */
import { describe, expect, test } from "bun:test";
import { fakeCore, fixture, NOW, POOL_ADDRESS } from "./testing.ts";

const STRATUM_FIELDS = [
  "mhps", "hps", "last_flush_job", "agent_client_count", "client_count", "address_count", "address_worker_count", "active_jobs", "stale_jobs",
  "client_count_authed", "client_count_active", "client_count_idle",
];
const NETWORK_FIELDS = ["net_state", "block_stats", "last_signal", "currency", "live_coinservers", "down_coinservers", "coinservers", "job_count"];
const AUX_FIELDS = ["block_stats", "currency", "last_work", "last_signal", "live_coinservers", "down_coinservers", "coinservers", "current_net"];

async function get(path: string, headers: Record<string, string> = {}) {
  const fx = fixture();
  const res = await fx.app.request(path, { headers });
  return { res, fx, text: await res.text() };
}
async function json(path: string): Promise<Record<string, unknown>> {
  const { res, text } = await get(path);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toStartWith("application/json");
  return JSON.parse(text) as Record<string, unknown>;
}
const keysOf = (v: unknown) => Object.keys(v as object);

describe("/", () => {
  test("lists every component as <ClassName>_<key>, with config_view, clients for stratum ports, debug_view and counter_view", async () => {
    const root = await json("/");
    expect(keysOf(root)).toEqual([
      "PowerPool_mon_0", "MonitorNetwork_BTC", "MonitorAuxNetwork_NMC", "StratumServer_main", "StratumServer_second", "RedisReporter_redis", "CeleryReporter_legacy", "ServerMonitor_monitor",
      "debug_view", "counter_view",
    ]);
    expect(root.debug_view).toBe("http://localhost/debug/");
    expect(root.counter_view).toBe("http://localhost/counters/");
    const main = root.StratumServer_main as Record<string, unknown>;
    expect(main.config_view).toBe("http://localhost/main/config");
    expect(main.clients).toBe("http://localhost/main/clients/");
    expect(keysOf(main)).toEqual(expect.arrayContaining(STRATUM_FIELDS));
    expect(keysOf(root.MonitorNetwork_BTC)).toEqual(expect.arrayContaining([...NETWORK_FIELDS, "config_view"]));
    expect((root.MonitorNetwork_BTC as object as Record<string, unknown>).clients).toBeUndefined();
    expect(keysOf(root.MonitorAuxNetwork_NMC)).toEqual(expect.arrayContaining(AUX_FIELDS));
    expect(root.RedisReporter_redis).toEqual({ queue_size: 8, config_view: "http://localhost/redis/config" });
    expect(root.CeleryReporter_legacy).toMatchObject({ queue_size: 8, unrep_shares: 0 });
    expect(root.ServerMonitor_monitor).toEqual({ config_view: "http://localhost/monitor/config" });
    expect(root.PowerPool_mon_0).toMatchObject({
      uptime: "1 day, 2:03:04.500000",
      server_start: "2025-01-01 01:01:01.178000",
      version: { version: "0.1.0", version_info: [0, 1, 0], sha: null, rev_date: null },
    });
  });

  test("a component whose status throws shows PowerPool's error string, without the message", async () => {
    const fx = fixture({ core: fakeCore({ failAccounting: "boom with details" }) });
    const root = (await (await fx.app.request("/")).json()) as Record<string, unknown>;
    expect(root.RedisReporter_redis).toBe("Component redis status call raised Error");
    expect(JSON.stringify(root)).not.toContain("boom");
    expect(root.StratumServer_main).toBeObject();
  });

  test("absolute URLs follow X-Script-Name and X-Scheme; bad header values are ignored", async () => {
    const { text } = await get("/", { "x-script-name": "/pool/", "x-scheme": "https", host: "mon.example:8443" });
    const root = JSON.parse(text) as Record<string, { clients?: string }>;
    expect(root.StratumServer_main?.clients).toBe("https://mon.example:8443/pool/main/clients/");
    const bad = JSON.parse((await get("/", { "x-script-name": "javascript:x", "x-scheme": "gopher" })).text) as Record<string, unknown>;
    expect(bad.debug_view).toBe("http://localhost/debug/");
  });
});

describe("/<key>/ — what SimpleCoin polls", () => {
  test("StratumServer: summed over the live edges, with SimpleCoin's fields", async () => {
    const s = await json("/main/");
    expect(s).toMatchObject({
      hps: 2e12, mhps: 2e6, client_count: 5, client_count_authed: 4, client_count_idle: 1, client_count_active: 4,
      address_count: 2, address_worker_count: 4, agent_client_count: 0, active_jobs: 2, stale_jobs: 10,
      shares: { acc: 240, dup: 2, low: 4, stale: 6, invalid: 0 },
    });
    expect(s.last_flush_job).toEqual({ algo: "sha256d", pow_block_hash: false, currency: "BTC", job_id: "00aa0001", merged_networks: ["NMC"], pushed_at: (NOW - 9_000) / 1000 });
    expect((s.edges as { edge: string }[]).map((e) => e.edge)).toEqual(["eu1", "us1"]);
    expect(await json("/StratumServer_main/")).toEqual(s);
  });

  test("StratumServer with no edge serving it: zeros, and the core's job for last_flush_job", async () => {
    const fx = fixture({ edges: [] });
    const s = (await (await fx.app.request("/second/")).json()) as Record<string, unknown>;
    expect(s).toMatchObject({ hps: 0, client_count: 0, client_count_authed: 0, address_count: 0, edges: [] });
    expect(s.last_flush_job).toMatchObject({ currency: "BTC", merged_networks: ["NMC"], job_id: "00aa0001" });
  });

  test("MonitorNetwork (spec §5.10)", async () => {
    const n = await json("/BTC/");
    expect(n.net_state).toEqual({ difficulty: 4.6e-10, height: 812, last_block: (NOW - 30_000) / 1000, prev_hash: "11".repeat(32), transactions: 3, subsidy: 5_000_012_345 });
    expect(n.block_stats).toEqual({
      accepts: 1, rejects: 1, solves: 2, last_solve_height: 813, last_solve_time: (NOW - 20_000) / 1000, last_solve_worker: `${POOL_ADDRESS}.rig1`, last_solve_hash: `${"00".repeat(31)}80`,
    });
    expect(n).toMatchObject({ last_signal: (NOW - 12_000) / 1000, currency: "BTC", live_coinservers: 1, down_coinservers: 1, job_count: 57 });
    const servers = n.coinservers as Record<string, Record<string, unknown>>;
    expect(Object.keys(servers)).toEqual(["10.0.0.5:18443", "10.0.0.6:18443"]);
    expect(servers["10.0.0.5:18443"]).toMatchObject({ last_getinfo: (NOW - 1_500) / 1000, connections: [{ last_rtt: 0.0032, connected_since: (NOW - 600_000) / 1000 }], status: "live" });
    expect(servers["10.0.0.6:18443"]).toMatchObject({ status: "down", connections: [{ last_rtt: null, connected_since: null }] });
  });

  test("MonitorAuxNetwork (spec §6.6): 256-bit values as hex strings (§15 item 31)", async () => {
    const a = await json("/NMC/");
    expect(a.last_work).toEqual({ hash: `0x${"ab".repeat(32)}`, target: `0x00000000ffff${"0".repeat(52)}`, type: "getauxblock", height: 301, found_block: false, chainid: 1 });
    expect(a.block_stats).toMatchObject({ accepts: 0, rejects: 0, stale: 0, solves: 0 });
    expect(a).toMatchObject({ currency: "NMC", current_net: { height: 300, last_block: (NOW - 5_000) / 1000 } });
  });

  test("Flask slash rules: /key → 301 to /key/, /key/config/ and unknown keys → 404 JSON", async () => {
    for (const [from, to] of [["/main", "/main/"], ["/counters", "/counters/"], ["/debug", "/debug/"], ["/main/clients", "/main/clients/"], ["/05", "/05/"], ["/05/clients", "/05/clients/"], ["/dashboard", "/dashboard/"]] as const) {
      const { res } = await get(from);
      expect([from, res.status]).toEqual([from, 301]);
      expect(res.headers.get("location")).toBe(`http://localhost${to}`);
    }
    for (const path of ["/nope/", "/nope", "/main/config/", "/BTC/clients/", "/main/client/x/", "/metrics/"]) {
      const { res, text } = await get(path);
      expect([path, res.status]).toEqual([path, 404]);
      expect(JSON.parse(text)).toMatchObject({ error: "not_found" });
    }
  });
});

describe("clients", () => {
  test("/<key>/clients/: address → extranonce1 → {worker, idle}, plus details_view", async () => {
    const c = (await json("/main/clients/")).clients as Record<string, Record<string, unknown>>;
    expect(c[POOL_ADDRESS]).toEqual({
      details_view: `http://localhost/main/client/${POOL_ADDRESS}`,
      "0100000a": { worker: "rig1", idle: false },
      "0100000b": { worker: "rig2", idle: true },
    });
    expect(Object.keys(c)).toHaveLength(2);
  });

  test("/<key>/client/<address>: the `username` list with PowerPool's detail fields", async () => {
    const c = await json(`/main/client/${POOL_ADDRESS}`);
    const list = c.username as Record<string, unknown>[];
    expect(list).toHaveLength(2);
    expect(list[0]).toEqual({
      alltime_accepted_shares: 40_960, difficulty: 512, type: "cgminer/4.12", worker: "rig1", id: "0100000a", jobmapper_size: 7, last_share_submit: "0:00:04",
      idle: false, address: POOL_ADDRESS, ip_address: "198.51.100.7", connection_time: "1:02:03.500000", edge: "eu1",
      hps: 1.75e11, hps_measured_s: 60,
    });
    expect((await json("/main/client/unknown")).username).toEqual([]);
  });

  test("legacy /05/ and /05/clients/ describe the first stratum port", async () => {
    const v = await json("/05/");
    expect(v.server).toEqual({});
    expect(v.stratum_manager).toEqual(await json("/main/"));
    const c = (await json("/05/clients/")).clients as Record<string, unknown>;
    expect(c[POOL_ADDRESS]).toEqual([{ worker: "rig1", idle: false }, { worker: "rig2", idle: true }]);
  });
});

describe("counters, debug, config, dashboard data", () => {
  test("/counters/: {counters: [{name, owner, total, min_total, hour_total, min_avg}]}, minute counters first", async () => {
    const c = (await json("/counters/")).counters as Record<string, unknown>[];
    expect(c[0]).toEqual({ name: "acc_share_n1", owner: "main", total: 2048, min_total: 512, hour_total: 2048, min_avg: 34.13 });
    expect(c[1]).toMatchObject({ name: "records_applied", owner: "ingest", second_avg: 1 });
  });

  test("/debug/ is a safe status dump, per component", async () => {
    const d = await json("/debug/");
    expect(keysOf(d)).toEqual(expect.arrayContaining(["PowerPool_mon_0", "MonitorNetwork_BTC", "ingest", "block_consumer", "notify", "edges", "redis_view"]));
    expect(keysOf(d.edges)).toEqual(["eu1", "us1"]);
  });

  test("/<key>/config: the component's effective config with credentials masked", async () => {
    const btc = await json("/BTC/config");
    expect(btc).toMatchObject({ algo: "sha256d", currency: "BTC", merged: ["NMC"] });
    expect((btc.coinservs as Record<string, unknown>[])[0]).toMatchObject({ address: "10.0.0.5", port: 18443, username: "********", password: "********" });
    expect(await json("/main/config")).toMatchObject({ port: 3333, listenPort: 3333, jobmanager: "BTC" });
    expect(await json("/monitor/config")).toEqual({ enabled: true, address: "127.0.0.1", port: 3855, listen_port: 3855 });
    expect(((await json("/mon_0/config")).redis as Record<string, unknown>).url).toBe("redis://default:********@127.0.0.1:6379/0");
    expect(await json("/legacy/config")).toMatchObject({ broker: "redis://:********@10.0.0.9:6379/1" });
  });

  test("/dashboard/data carries the pool, history, coins, edges, workers and blocks", async () => {
    const d = await json("/dashboard/data");
    expect(d.pool).toMatchObject({ procname: "mon_0", hashrate: 2.25e12, workers: 5, edges: 2, ingestPending: 3, ingestLag: 5 });
    expect((d.history as { points: unknown[] }).points).toHaveLength(12);
    const coin = (d.coins as Record<string, unknown>[])[0];
    expect(coin).toMatchObject({ currency: "BTC", hashrate: 2.25e12, height: 812, lastJobAt: NOW - 3_000, lastSignal: NOW - 12_000, blocks: { accepts: 1, rejects: 1 } });
    expect((d.edges as Record<string, unknown>[])[1]).toMatchObject({ edge: "us1", spooled: 42, clients: 2, authed: 2, hashrate: 7.5e11 });
    expect((d.workers as { worker: string }[]).map((w) => w.worker).sort()).toEqual(["cpu", "rig1", "rig2", "s19", "s19b"]);
    expect(JSON.stringify(d.workers)).not.toContain("198.51.100.7");
    expect((d.blocks as Record<string, unknown>[])[0]).toMatchObject({ height: 813, accepted: false, reason: "high-hash" });
  });

  test("/dashboard/ is one self-contained page whose script runs under the response's CSP nonce", async () => {
    const { res, text } = await get("/dashboard/");
    expect(res.headers.get("content-type")).toStartWith("text/html");
    const csp = res.headers.get("content-security-policy") ?? "";
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeString();
    expect(text).toContain(`<script nonce="${nonce}">`);
    expect(csp).toContain("default-src 'none'");
    // Nothing from another origin: no CDN, no web fonts (the network may be closed).
    expect(text).not.toMatch(/(src|href)=["']https?:/);
    expect(text).not.toContain("<script src");
  });
});

describe("errors", () => {
  test("an unexpected failure is a bare 500: no message, no stack; the core logs the route", async () => {
    const fx = fixture({ core: fakeCore({ failAccounting: "kaboom at /work/main/core/x.ts:12" }) });
    for (const path of ["/counters/", "/debug/", "/metrics", "/dashboard/data"]) {
      const res = await fx.app.request(path);
      expect([path, res.status]).toEqual([path, 500]);
      const text = await res.text();
      expect(JSON.parse(text)).toEqual({ error: "internal" });
    }
    expect(fx.logLines.some((l) => l.includes("GET /counters/ failed"))).toBe(true);
  });
});
