/**
 * CoinserverPool with simulated coinservers (test/helpers/rpc-simulator.ts), for the cases a real
 * node cannot be made to show: warm-up errors, hanging. Failover/fail-back with two real bcoin
 * nodes is in test/e2e/coinserver-bcoin.test.ts.
 */
import { describe, expect, test } from "bun:test";
import { captureLog } from "../../test/helpers/log-capture.ts";
import { chainInfo, startRpcSimulator, type RpcSimulator, type SimAnswer } from "../../test/helpers/rpc-simulator.ts";
import { NoLiveServerError, RpcError } from "./errors.ts";
import { CoinserverPool, type PoolEvent } from "./pool.ts";

/** A simulated node that answers getblockcount with `height`, or fails as `mode` says. */
function node(height: number) {
  const state = { height, mode: "ok" as "ok" | "warmup" | "broken" };
  const sim = startRpcSimulator((method): SimAnswer => {
    if (state.mode === "warmup") return { error: { code: -28, message: "Loading block index..." } };
    if (state.mode === "broken") return { raw: "<html>oops</html>", status: 500 };
    if (method === "getblockchaininfo") return chainInfo(state.height);
    if (method === "getnetworkinfo") return { result: { version: 250000, subversion: "/Satoshi:25.0.0/" } };
    if (method === "getblockcount") return { result: state.height };
    return { error: { code: -32601, message: "Method not found" }, status: 404 };
  });
  return Object.assign(state, { sim });
}

function server(sim: RpcSimulator, name: string, poll_priority: number) {
  return { address: "127.0.0.1", port: sim.port, username: "u", password: "p", timeout: 2, name, poll_priority };
}

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}

describe("CoinserverPool", () => {
  test("the highest poll_priority serves, whatever the config order; ties go to the first listed", async () => {
    const low = node(1);
    const high = node(2);
    const tie = node(3);
    const { log } = captureLog();
    using pool = new CoinserverPool({ label: "LTC", servers: [server(low.sim, "low", 1), server(high.sim, "high", 5), server(tie.sim, "tie", 5)], pingInterval: 0.05, log });
    pool.start();
    expect(await pool.call("getblockcount")).toBe(2);
    expect(pool.current()).toBe("high");
    const st = pool.status();
    expect(st.servers.map((s) => s.name)).toEqual(["high", "tie", "low"]);
    expect(st.servers[0]).toMatchObject({ state: "live", current: true, chain: "regtest", blocks: 2, version: 250000, subversion: "/Satoshi:25.0.0/", priority: 5 });
    expect(JSON.stringify(st)).not.toContain('"p"'); // no credentials in the monitor's view
    for (const n of [low, high, tie]) n.sim.stop();
  });

  test("an RPC error is the node's answer: passed through, server stays live; -28 fails over", async () => {
    const a = node(10);
    const b = node(20);
    const { log, count } = captureLog();
    using pool = new CoinserverPool({ label: "LTC", servers: [server(a.sim, "a", 10), server(b.sim, "b", 1)], pingInterval: 0.05, log });
    pool.start();
    await pool.waitForLive(5000);
    await until(() => pool.status().live === 2, "both live");
    await expect(pool.call("nosuchmethod")).rejects.toBeInstanceOf(RpcError);
    expect(pool.current()).toBe("a");
    a.mode = "warmup";
    expect(await pool.call("getblockcount")).toBe(20);
    expect(pool.current()).toBe("b");
    expect(count(/coinserver a went down: a getblockcount: RPC error -28/)).toBe(1);
    a.mode = "ok";
    await until(() => pool.current() === "a", "fail-back to a");
    expect(await pool.call("getblockcount")).toBe(10);
    a.sim.stop();
    b.sim.stop();
  });

  test("each state change is logged once, however many health checks fail meanwhile", async () => {
    const a = node(1);
    const b = node(2);
    const { log, count, lines } = captureLog();
    const events: PoolEvent[] = [];
    using pool = new CoinserverPool({ label: "LTC", servers: [server(a.sim, "a", 10), server(b.sim, "b", 1)], pingInterval: 0.02, log });
    pool.subscribe((e) => events.push(e));
    pool.start();
    await until(() => pool.status().live === 2, "both live");
    a.mode = "broken";
    await until(() => pool.current() === "b", "failover to b");
    await Bun.sleep(300); // ≈15 more failed checks of a
    a.mode = "ok";
    await until(() => pool.current() === "a", "fail-back to a");
    await Bun.sleep(100);
    expect(count(/coinserver a went down: a getblockchaininfo: HTTP 500/)).toBe(1);
    expect(count(/coinserver a is up after \d+ s down/)).toBe(1);
    expect(count(/coinserver a is up/)).toBe(2);
    expect(count(/using coinserver b \(priority 1\) instead of a/)).toBe(1);
    expect(count(/using coinserver a \(priority 10\) instead of b/)).toBe(1);
    expect(lines.filter((l) => l.includes("[WARN]") || l.includes("[ERROR]"))).toHaveLength(1);
    expect(events.filter((e) => e.server === "a" && e.type !== "current").map((e) => e.type)).toEqual(["up", "down", "up"]);
    a.sim.stop();
    b.sim.stop();
  });

  test("with no live server, call waits (bounded) and then fails with the last error", async () => {
    const a = node(1);
    a.mode = "broken";
    const { log, count } = captureLog();
    using pool = new CoinserverPool({ label: "LTC", servers: [server(a.sim, "a", 0)], pingInterval: 0.05, log, waitForLiveMs: 300 });
    pool.start();
    const started = performance.now();
    const err = await pool.call("getblockcount").catch((e: unknown) => e);
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    expect(err).toBeInstanceOf(NoLiveServerError);
    expect((err as Error).message).toBe("LTC getblockcount: no live coinserver within 300 ms");
    expect(count(/coinserver a is not reachable/)).toBe(1);
    // A waiting call proceeds as soon as the server comes up.
    const pending = pool.call("getblockcount", [], { waitMs: 5000 });
    await Bun.sleep(100);
    a.mode = "ok";
    expect(await pending).toBe(1);
    a.sim.stop();
    // Now it fails on a live server: the call reports that server's error as the cause.
    const e2 = (await pool.call("getblockcount", [], { waitMs: 0 }).catch((e: unknown) => e)) as NoLiveServerError;
    expect(e2).toBeInstanceOf(NoLiveServerError);
    expect(e2.message).toContain("no live coinserver left (last error: a getblockcount: connection refused");
    expect(e2.cause).toMatchObject({ code: "RPC_TRANSPORT", reason: "refused" });
  });

  test("a hanging server times out, is marked down and the call moves to the next", async () => {
    const a = node(1);
    const b = node(2);
    const { log } = captureLog();
    using pool = new CoinserverPool({ label: "LTC", servers: [server(a.sim, "a", 10), server(b.sim, "b", 1)], pingInterval: 0.05, log });
    pool.start();
    await until(() => pool.status().live === 2, "both live");
    a.sim.answer = () => "hang";
    expect(await pool.call("getblockcount", [], { timeoutMs: 200 })).toBe(2);
    expect(pool.status().servers.find((s) => s.name === "a")).toMatchObject({ state: "down", lastError: expect.stringContaining("no answer within 200 ms") });
    pool.stop();
    a.sim.stop();
    b.sim.stop();
  });

  test("at start-up a call waits for the primary's first check, but not beyond its wait: then the live secondary serves", async () => {
    const a = node(1);
    const b = node(2);
    a.sim.answer = () => "hang";
    const { log, count } = captureLog();
    using pool = new CoinserverPool({ label: "LTC", servers: [{ ...server(a.sim, "a", 10), timeout: 2 }, server(b.sim, "b", 1)], pingInterval: 0.05, log, waitForLiveMs: 300 });
    pool.start();
    expect(await pool.call("getblockcount")).toBe(2);
    expect(pool.current()).toBeNull(); // undecided until a's first check ends
    await until(() => pool.current() === "b", "a's check to time out");
    expect(count(/coinserver a is not reachable: a getblockchaininfo: no answer within 2000 ms/)).toBe(1);
    expect(count(/using coinserver b/)).toBe(1);
    a.sim.stop();
    b.sim.stop();
  });

  test("callAll returns one outcome per live server; callServer targets one by name", async () => {
    const a = node(1);
    const b = node(2);
    const { log } = captureLog();
    using pool = new CoinserverPool({ label: "LTC", servers: [server(a.sim, "a", 10), server(b.sim, "b", 1)], pingInterval: 0.05, log });
    pool.start();
    await until(() => pool.status().live === 2, "both live");
    const all = await pool.callAll("getblockcount");
    expect(all.map((o) => [o.server, o.ok && o.result])).toEqual([["a", 1], ["b", 2]]);
    b.mode = "broken";
    const mixed = await pool.callAll("getblockcount");
    expect(mixed[0]).toMatchObject({ server: "a", ok: true, result: 1 });
    expect(mixed[1]).toMatchObject({ server: "b", ok: false, error: { code: "RPC_TRANSPORT", status: 500 } });
    expect(pool.status().servers[1]?.state).toBe("down");
    expect(await pool.callServer("a", "getblockcount")).toMatchObject({ ok: true, result: 1 });
    await expect(pool.callServer("zz", "getblockcount")).rejects.toThrow("callServer LTC: expected one of a, b; got zz");
    a.sim.stop();
    b.sim.stop();
  });

  test("servers with the same display name are told apart", () => {
    const { log } = captureLog();
    const s = { address: "127.0.0.1", port: 1, username: "", password: "", timeout: 1, poll_priority: 0 };
    const pool = new CoinserverPool({ label: "LTC", servers: [s, s], pingInterval: 1, log });
    expect(pool.status().servers.map((x) => [x.name, x.state])).toEqual([["127.0.0.1:1", "unknown"], ["127.0.0.1:1#2", "unknown"]]);
    expect(() => new CoinserverPool({ label: "X", servers: [], pingInterval: 1, log })).toThrow("expected at least one coinserver, got 0");
  });
});
