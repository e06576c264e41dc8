/**
 * The coinserver layer against real coinservers: two bcoin regtest nodes as child processes. Each
 * node gets a different chain height, so every answer shows which node served it.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { NoLiveServerError, RpcError, RpcTransportError } from "../../core/coinserver/errors.ts";
import { CoinserverPool, type PoolEvent } from "../../core/coinserver/pool.ts";
import { RpcClient } from "../../core/coinserver/rpc-client.ts";
import { startBcoin, type BcoinNode } from "../helpers/bcoin.ts";
import { captureLog } from "../helpers/log-capture.ts";

setDefaultTimeout(30_000);

let primary: BcoinNode;
let secondary: BcoinNode;

beforeAll(async () => {
  [primary, secondary] = await Promise.all([startBcoin(), startBcoin()]);
  await Promise.all([primary.mine(3), secondary.mine(7)]);
});
afterAll(async () => {
  await Promise.all([primary?.stop(), secondary?.stop()]);
});

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected a rejection");
}

/** Resolves with the first pool event matching `pred` (events are the pool's own ordering, not timing). */
function nextEvent(pool: CoinserverPool, pred: (e: PoolEvent) => boolean, ms = 15_000): Promise<PoolEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no matching pool event")), ms);
    const off = pool.subscribe((e) => {
      if (!pred(e)) return;
      clearTimeout(timer);
      off();
      resolve(e);
    });
  });
}

describe("RpcClient against bcoin", () => {
  test("answers with the node's result", async () => {
    const c = new RpcClient(primary.coinserver({ name: "bcoin-a" }));
    expect(await c.call("getblockcount")).toBe(3);
    expect(await c.call("getblockchaininfo")).toMatchObject({ chain: "regtest", blocks: 3 });
  });

  test("a wrong password is a typed 401 transport error naming the server and method", async () => {
    const c = new RpcClient({ ...primary.coinserver({ name: "bcoin-a" }), password: "wrong" });
    const err = await rejection(c.call("getblockcount"));
    expect(err).toBeInstanceOf(RpcTransportError);
    expect(err).toMatchObject({ code: "RPC_TRANSPORT", reason: "http", status: 401, server: "bcoin-a", method: "getblockcount" });
    expect(err.message).toStartWith("bcoin-a getblockcount: HTTP 401");
  });

  test("an unknown method and bad params are RpcErrors with the node's code and the server name", async () => {
    const c = new RpcClient(primary.coinserver({ name: "bcoin-a" }));
    const unknown = await rejection(c.call("getinfoo"));
    expect(unknown).toBeInstanceOf(RpcError);
    expect(unknown).toMatchObject({ code: "RPC_ERROR", rpcCode: -32601, server: "bcoin-a", method: "getinfoo" });
    expect(unknown.message).toContain("bcoin-a getinfoo: RPC error -32601");
    expect(await rejection(c.call("getblockhash", [999]))).toMatchObject({ code: "RPC_ERROR", rpcCode: -8 });
  });
});

describe("CoinserverPool with two bcoin nodes", () => {
  test("highest priority serves; stop it → calls continue on the secondary; restart → calls move back; each change logged once", async () => {
    const { log, lines } = captureLog("coinserver");
    // The secondary is listed first: priority, not order, decides.
    using pool = new CoinserverPool({
      label: "BTC",
      servers: [secondary.coinserver({ name: "secondary", poll_priority: 5 }), primary.coinserver({ name: "primary", poll_priority: 10 })],
      pingInterval: 0.1,
      log,
    });
    pool.start();
    expect(await pool.call("getblockcount")).toBe(3);
    expect(pool.current()).toBe("primary");
    expect(pool.status().servers[0]).toMatchObject({ name: "primary", state: "live", chain: "regtest", blocks: 3, subversion: "/bcoin:v1.0.2/" });

    while (pool.status().live < 2) await Bun.sleep(20);
    const before = lines.length;
    await primary.stop();
    expect(await pool.call("getblockcount")).toBe(7); // the same call fails over transparently
    expect(pool.current()).toBe("secondary");
    await Bun.sleep(600); // ≈6 more failed health checks of the primary: still one log line

    const back = nextEvent(pool, (e) => e.type === "current" && e.server === "primary");
    await primary.restart(); // memory chain: back at genesis
    await primary.mine(2);
    await back;
    expect(await pool.call("getblockcount")).toBe(2);

    // From the stop on: exactly one line per change (down, switch, up, switch back).
    const changes = lines.slice(before).map((l) => l.replace(/^\S+ /, "").replace(/ chain=.*/, "").replace(/refused by .*/, "refused"));
    expect(changes).toEqual([
      expect.stringMatching(/^\[coinserver\] \[WARN\] BTC: coinserver primary went down: primary (getblockcount|getblockchaininfo): connection refused$/),
      "[coinserver] [NOTICE] BTC: using coinserver secondary (priority 5) instead of primary",
      expect.stringMatching(/^\[coinserver\] \[INFO\] BTC: coinserver primary is up after \d+ s down$/),
      "[coinserver] [NOTICE] BTC: using coinserver primary (priority 10) instead of secondary",
    ]);
  });

  test("an RPC error does not fail a server over; callAll answers per server", async () => {
    const { log } = captureLog("coinserver");
    using pool = new CoinserverPool({ label: "BTC", servers: [primary.coinserver({ name: "p", poll_priority: 1 }), secondary.coinserver({ name: "s" })], pingInterval: 0.1, log });
    pool.start();
    while (pool.status().live < 2) await Bun.sleep(20);
    await expect(pool.call("nosuchmethod")).rejects.toMatchObject({ code: "RPC_ERROR", server: "p", rpcCode: -32601 });
    expect(pool.current()).toBe("p");
    const heights = await pool.callAll("getblockcount");
    expect(heights.map((o) => [o.server, o.ok ? o.result : o.error.code])).toEqual([["p", 2], ["s", 7]]);
    const errors = await pool.callAll("nosuchmethod");
    expect(errors.map((o) => !o.ok && o.error.code)).toEqual(["RPC_ERROR", "RPC_ERROR"]);
    expect(pool.status().live).toBe(2);
  });

  test("with every node down, call fails within the bounded wait with a clear error", async () => {
    const { log } = captureLog("coinserver");
    using pool = new CoinserverPool({ label: "BTC", servers: [primary.coinserver({ name: "p" }), secondary.coinserver({ name: "s" })], pingInterval: 0.1, log, waitForLiveMs: 500 });
    pool.start();
    await pool.waitForLive(10_000);
    await Promise.all([primary.stop(), secondary.stop()]);
    const started = performance.now();
    const err = await rejection(pool.call("getblockcount"));
    expect(performance.now() - started).toBeLessThan(5000);
    expect(err).toBeInstanceOf(NoLiveServerError);
    expect(err.message).toMatch(/^BTC getblockcount: no live coinserver/);
    expect(await pool.callAll("getblockcount", [], { waitMs: 200 })).toEqual([]);
  });
});
