/**
 * LongPoller against a simulated coinserver (test/helpers/rpc-simulator.ts) for what a real node
 * will not do on demand: no long-poll support, errors. Real litecoind: test/e2e/block-channels.test.ts.
 */
import { describe, expect, test } from "bun:test";
import { captureLog } from "../../test/helpers/log-capture.ts";
import { chainInfo, startRpcSimulator, type SimAnswer } from "../../test/helpers/rpc-simulator.ts";
import { untilWith } from "../../test/helpers/until.ts";
import { LongPoller } from "./longpoll.ts";
import { CoinserverPool } from "./pool.ts";

function rig(answer: (method: string, params: unknown[]) => SimAnswer, rpcworkqueue = 16) {
  const sim = startRpcSimulator((m, p) => (m === "getblockchaininfo" ? chainInfo(5) : m === "getnetworkinfo" ? { result: {} } : answer(m, p)));
  const cap = captureLog("core");
  const pool = new CoinserverPool({ label: "LTC", servers: [{ address: "127.0.0.1", port: sim.port, username: "u", password: "p", timeout: 2, name: "sim", poll_priority: 0, rpcworkqueue }], pingInterval: 0.2, log: cap.log });
  const states: string[] = [];
  let signals = 0;
  const lp = new LongPoller({ label: "LTC", pool, rules: ["segwit"], log: cap.log, onSignal: () => signals++, onState: (up) => states.push(up ? "up" : "down"), backoffMinMs: 20, unsupportedRetryMs: 50 });
  pool.start();
  lp.start();
  const until = untilWith(() => cap.lines.join("\n"), { ms: 5000, everyMs: 10 });
  return { sim, pool, lp, states, signals: () => signals, until, ...cap, async [Symbol.asyncDispose]() { await lp.stop(); pool.stop(); sim.stop(); } };
}

const longpolls = (r: { sim: { requests: { method: string; params: unknown[] }[] } }) => r.sim.requests.filter((q) => q.method === "getblocktemplate" && JSON.stringify(q.params).includes("longpollid")).length;

describe("LongPoller (simulated coinserver)", () => {
  test("a node without longpollid: no long polling (logged once), asked again later, never up", async () => {
    await using r = rig(() => ({ result: { height: 6, previousblockhash: "00".repeat(32) } }));
    await r.until("asked a few times", () => r.sim.requests.filter((q) => q.method === "getblocktemplate").length >= 3);
    expect(r.lp.status()).toMatchObject({ up: false, supported: false });
    expect(r.count(/returns no longpollid; no long polling/)).toBe(1);
    expect(r.states).not.toContain("up");
  });

  test("held on the node with the longpollid it gave, taking an in-flight slot; errors renew with back-off and report down", async () => {
    let mode: "ok" | "error" = "ok";
    await using r = rig((m, p) => {
      if (m !== "getblocktemplate") return { result: 1 };
      if (mode === "error") return { error: { code: -1, message: "boom" } };
      return JSON.stringify(p).includes("longpollid") ? "hang" : { result: { longpollid: "abc1", height: 6 } };
    }, 3);
    await r.until("the long poll held", () => longpolls(r) === 1);
    expect(r.lp.status()).toMatchObject({ up: true, server: "sim", supported: true });
    expect(JSON.stringify(r.sim.requests.at(-1)?.params)).toBe('[{"rules":["segwit"],"longpollid":"abc1"}]');
    expect(r.signals()).toBe(1); // the first answer: the watcher checks the tip once
    // rpcworkqueue 3 → one call in flight: the held long poll has it, so other calls wait.
    expect(r.pool.status().servers[0]).toMatchObject({ inFlight: 1, maxInFlight: 1 });

    // Errors: the held request is cut (the node restarts, say), new ones fail, then the node is back.
    mode = "error";
    r.sim.stop();
    await r.until("reported down", () => r.states.at(-1) === "down");
    expect(r.lp.status().up).toBe(false);
  });
});
