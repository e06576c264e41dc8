/**
 * Reading submit answers, and the retry/fallback paths a real bcoin cannot show on demand: those
 * run against the JSON-RPC *simulator* (test/helpers/rpc-simulator.ts) behind a real CoinserverPool.
 */
import { describe, expect, test } from "bun:test";
import { CoinserverPool } from "../coinserver/index.ts";
import { captureLog } from "../../test/helpers/log-capture.ts";
import { chainInfo, startRpcSimulator, type SimAnswer } from "../../test/helpers/rpc-simulator.ts";
import { decide } from "./confirm.ts";
import { interpretSubmitResult, submitEverywhere } from "./submit.ts";
import type { ServerSubmitOutcome } from "./types.ts";

describe("interpretSubmitResult (BIP22; bcoin's `rejected: ` prefix and Core's bare reasons)", () => {
  test.each([
    [null, "accepted", null],
    ["rejected: high-hash", "rejected", "high-hash"],
    ["bad-cb-amount", "rejected", "bad-cb-amount"],
    ["rejected: duplicate", "duplicate", "duplicate"],
    ["duplicate", "duplicate", "duplicate"],
    ["duplicate-invalid", "rejected", "duplicate-invalid"],
    ["duplicate-inconclusive", "inconclusive", "duplicate-inconclusive"],
    ["inconclusive", "inconclusive", "inconclusive"],
    [42, "rejected", "unexpected result 42"],
  ])("%p → %s", (result, verdict, reason) => {
    expect(interpretSubmitResult(result)).toMatchObject({ verdict, reason });
  });
});

describe("decide", () => {
  const o = (verdict: ServerSubmitOutcome["verdict"], reason: string | null = null, server = "a"): ServerSubmitOutcome => ({ server, verdict, reason, raw: reason, method: "submitblock", tries: 1, ms: 1 });

  test("one acceptance wins over rejections elsewhere", () => {
    expect(decide([o("rejected", "high-hash"), o("accepted", null, "b")], "best")).toEqual({ accepted: true, rejectReason: null });
  });
  test("duplicate or inconclusive count only when the block is in the main chain", () => {
    expect(decide([o("duplicate", "duplicate")], "main-chain").accepted).toBe(true);
    expect(decide([o("inconclusive", "inconclusive")], "side-chain")).toEqual({ accepted: false, rejectReason: "inconclusive; block is off the main chain" });
  });
  test("the best-priority server's reason; then errors; then no server at all", () => {
    expect(decide([o("error", "timeout"), o("rejected", "bad-txnmrklroot", "b")], "unknown").rejectReason).toBe("bad-txnmrklroot");
    expect(decide([o("error", "HTTP 503")], "unknown").rejectReason).toBe("no answer from any coinserver (a: HTTP 503)");
    expect(decide([], "unknown").rejectReason).toBe("no live coinserver to submit to");
  });
});

describe("submitEverywhere against simulated coinservers", () => {
  function simulated(name: string, submit: (n: number) => SimAnswer, gbtSubmit?: () => SimAnswer) {
    let n = 0;
    const sim = startRpcSimulator((method) => {
      if (method === "getblockchaininfo") return chainInfo(10);
      if (method === "getnetworkinfo") return { result: { version: 1, subversion: `/${name}/` } };
      if (method === "submitblock") return submit(++n);
      if (method === "getblocktemplate" && gbtSubmit) return gbtSubmit();
      return { error: { code: -32601, message: "Method not found" } };
    });
    return { sim, server: { address: "127.0.0.1", port: sim.port, username: "u", password: "p", poll_priority: 0, timeout: 2, name } };
  }

  test("every live server at once; transport failures retried; -32601 falls back to GBT mode submit; a node error is final", async () => {
    const flaky = simulated("flaky", (n) => (n <= 2 ? { raw: "Service Unavailable", status: 503 } : { result: null }));
    const old = simulated("old", () => ({ error: { code: -32601, message: "Method not found" } }), () => ({ result: null }));
    const strict = simulated("strict", () => ({ error: { code: -22, message: "Block decode failed" } }));
    const { log } = captureLog();
    using pool = new CoinserverPool({ label: "BTC", servers: [flaky.server, old.server, strict.server], pingInterval: 60, log });
    pool.start();
    expect(await pool.waitForLive(3000)).toBe(true);
    for (let i = 0; i < 100 && pool.status().live < 3; i++) await Bun.sleep(20);
    expect(pool.status().live).toBe(3);
    const accepted: string[] = [];
    const outcomes = await submitEverywhere(pool, "00ff", { tries: 5, retryMs: 20, waitForLiveMs: 1000 }, (s) => accepted.push(s));
    const by = Object.fromEntries(outcomes.map((x) => [x.server, x]));
    expect(by.flaky).toMatchObject({ verdict: "accepted", tries: 3, method: "submitblock" });
    expect(by.old).toMatchObject({ verdict: "accepted", method: "getblocktemplate" });
    expect(by.strict).toMatchObject({ verdict: "rejected", reason: "RPC error -22: Block decode failed", tries: 1 });
    expect(accepted).toHaveLength(1);
    expect(old.sim.requests.find((r) => r.method === "getblocktemplate")?.params).toEqual([{ mode: "submit", data: "00ff" }]);
    expect(strict.sim.requests.filter((r) => r.method === "submitblock")).toHaveLength(1);
    for (const s of [flaky, old, strict]) s.sim.stop();
  });

  test("a server that never answers is given up after the bounded tries", async () => {
    const dead = simulated("dead", () => ({ raw: "Bad Gateway", status: 502 }));
    const { log } = captureLog();
    using pool = new CoinserverPool({ label: "BTC", servers: [dead.server], pingInterval: 60, log });
    pool.start();
    expect(await pool.waitForLive(3000)).toBe(true);
    const [outcome] = await submitEverywhere(pool, "00", { tries: 3, retryMs: 10, waitForLiveMs: 500 });
    expect(outcome).toMatchObject({ server: "dead", verdict: "error", tries: 3 });
    expect(dead.sim.requests.filter((r) => r.method === "submitblock")).toHaveLength(3);
    dead.sim.stop();
  });
});
