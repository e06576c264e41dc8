/** TipWatcher with a fake chain and a hand-driven clock; with a real bcoin in test/e2e/push-block.test.ts. */
import { describe, expect, test } from "bun:test";
import { captureLog } from "../../test/helpers/log-capture.ts";
import { ManualClock, settle } from "../../test/helpers/manual-clock.ts";
import { TipWatcher, type NewBlockEvent, type RefreshEvent, type TipSource } from "./tip-watcher.ts";

const hash = (n: number) => n.toString(16).padStart(64, "0");

/** A chain whose tip the test moves; counts the calls it gets. */
function fakeChain() {
  const chain = { tip: { hash: hash(100), height: 100 }, calls: [] as string[], fail: false };
  const source: TipSource = {
    async call(method, params = []) {
      chain.calls.push(method);
      if (chain.fail) throw new Error("LTC getbestblockhash: no live coinserver");
      if (method === "getbestblockhash") return chain.tip.hash;
      if (method === "getblockheader" && params[0] === chain.tip.hash) return { height: chain.tip.height, hash: chain.tip.hash };
      throw new Error(`unexpected ${method}`);
    },
  };
  return Object.assign(chain, { source });
}

function setup(opts: { polling: boolean; notifyTimeout?: number }) {
  const clock = new ManualClock();
  const chain = fakeChain();
  const cap = captureLog();
  const blocks: NewBlockEvent[] = [];
  const refreshes: RefreshEvent[] = [];
  const w = new TipWatcher({
    label: "LTC",
    source: chain.source,
    listener: { onNewBlock: (e) => blocks.push(e), onRefresh: (e) => refreshes.push(e) },
    log: cap.log,
    blockPoll: 1,
    jobRefresh: 15,
    notifyTimeout: opts.notifyTimeout ?? 60,
    polling: opts.polling,
    clock,
  });
  return { clock, chain, w, blocks, refreshes, ...cap };
}

describe("TipWatcher", () => {
  test("the first check reports the tip; polling reports each new block, including a same-height reorg", async () => {
    const { clock, chain, w, blocks } = setup({ polling: true });
    w.start();
    await settle();
    expect(blocks).toEqual([{ tip: { hash: hash(100), height: 100 }, previous: null, cause: "start", at: clock.now() }]);
    await clock.advance(3000);
    expect(blocks).toHaveLength(1);
    chain.tip = { hash: hash(101), height: 101 };
    await clock.advance(1000);
    expect(blocks[1]).toMatchObject({ tip: { height: 101 }, previous: { height: 100 }, cause: "poll" });
    chain.tip = { hash: hash(0xbeef), height: 101 }; // competing block at the same height wins
    await clock.advance(1000);
    expect(blocks[2]).toMatchObject({ tip: { hash: hash(0xbeef), height: 101 }, previous: { hash: hash(101), height: 101 }, cause: "poll" });
    expect(w.status()).toMatchObject({ mode: "poll", tip: { height: 101 }, lastSignal: null });
    w.stop();
  });

  test("the refresh tick fires every job_refresh and restarts on a new block", async () => {
    const { clock, chain, w, refreshes, blocks } = setup({ polling: true });
    w.start();
    await settle();
    await clock.advance(15_000);
    expect(refreshes.map((r) => r.cause)).toEqual(["timer"]);
    await clock.advance(10_000);
    chain.tip = { hash: hash(101), height: 101 };
    await clock.advance(1000); // new block at t=26 s restarts the 15 s tick
    expect(blocks).toHaveLength(2);
    await clock.advance(10_000); // t=36: the old schedule would have fired at 30 s
    expect(refreshes).toHaveLength(1);
    await clock.advance(5000);
    expect(refreshes).toHaveLength(2);
    w.stop();
  });

  test("push mode: no polling; notify() checks at once and records last_signal", async () => {
    const { clock, chain, w, blocks, refreshes } = setup({ polling: false });
    w.start();
    await settle();
    await clock.advance(10_000);
    expect(chain.calls.filter((c) => c === "getbestblockhash")).toHaveLength(1); // only the start check
    chain.tip = { hash: hash(101), height: 101 };
    w.notify();
    await settle();
    expect(blocks[1]).toMatchObject({ cause: "notify", tip: { height: 101 } });
    expect(w.status()).toMatchObject({ mode: "push", lastSignal: clock.now(), signals: 1 });
    w.notify(); // a block we already have: a refresh, not a new block
    await settle();
    expect(blocks).toHaveLength(2);
    expect(refreshes.map((r) => r.cause)).toEqual(["notify"]);
    w.stop();
  });

  test("poll:false falls back to polling after notify_timeout (warning once) and returns to push on a notification", async () => {
    const { clock, chain, w, blocks, count } = setup({ polling: false, notifyTimeout: 30 });
    w.start();
    await clock.advance(29_000);
    expect(w.status().mode).toBe("push");
    await clock.advance(1000);
    expect(w.status().mode).toBe("push-fallback");
    expect(count(/\[WARN\] LTC: no push notification for 30 s; polling every 1 s/)).toBe(1);
    chain.tip = { hash: hash(101), height: 101 };
    await clock.advance(1000);
    expect(blocks[1]).toMatchObject({ cause: "poll", tip: { height: 101 } });
    await clock.advance(120_000);
    expect(count(/no push notification/)).toBe(1);
    w.notify();
    await settle();
    expect(w.status().mode).toBe("push");
    expect(count(/\[NOTICE\] LTC: push notifications are back; polling stopped/)).toBe(1);
    const polls = chain.calls.length;
    await clock.advance(29_000);
    expect(chain.calls.length - polls).toBeLessThanOrEqual(4); // refresh ticks only, no 1 s polling
    await clock.advance(1000);
    expect(w.status().mode).toBe("push-fallback");
    expect(count(/no push notification/)).toBe(2);
    w.stop();
  });

  test("failing checks are logged once until they work again; a throwing listener does not stop the watcher", async () => {
    const { clock, chain, w, blocks, count } = setup({ polling: true });
    chain.fail = true;
    w.start();
    await clock.advance(5000);
    expect(count(/\[WARN\] LTC: tip check failed/)).toBe(1);
    expect(w.status().checkError).toContain("no live coinserver");
    chain.fail = false;
    await clock.advance(1000);
    expect(count(/tip checks work again/)).toBe(1);
    expect(blocks[0]).toMatchObject({ cause: "poll", previous: null });
    w.stop();

    const s = setup({ polling: true });
    let thrown = 0;
    const w2 = new TipWatcher({
      label: "LTC", source: s.chain.source, log: s.log, clock: s.clock, blockPoll: 1, jobRefresh: 15, notifyTimeout: 60, polling: true,
      listener: { onNewBlock: () => { thrown++; throw new Error("boom"); }, onRefresh: () => {} },
    });
    w2.start();
    await settle();
    s.chain.tip = { hash: hash(101), height: 101 };
    await s.clock.advance(1000);
    expect(thrown).toBe(2);
    expect(s.count(/onNewBlock listener threw/)).toBe(2);
    w2.stop();
  });

  test("push mode retries a failed check after block_poll, keeping its cause", async () => {
    const { clock, chain, w, blocks } = setup({ polling: false });
    w.start();
    await settle();
    chain.fail = true;
    chain.tip = { hash: hash(101), height: 101 };
    w.notify();
    await clock.advance(3000);
    expect(blocks).toHaveLength(1);
    chain.fail = false;
    await clock.advance(1000);
    expect(blocks[1]).toMatchObject({ cause: "notify", tip: { height: 101 } });
    const calls = chain.calls.length;
    await clock.advance(5000);
    expect(chain.calls.length).toBe(calls); // no more retries once checks work
    w.stop();
  });

  test("a push channel: polling pauses while it is up and resumes at once when it goes down, each change logged once", async () => {
    const { clock, chain, w, blocks, count } = setup({ polling: true, notifyTimeout: 30 });
    w.start();
    await settle();
    const polls = () => chain.calls.filter((c) => c === "getbestblockhash").length;
    w.setChannel("zmq", false, "ltc-a connection refused (not connected)");
    expect(count(/\[INFO\] LTC: ZMQ hashblock not available yet \(ltc-a connection refused \(not connected\)\); polling every 1 s meanwhile/)).toBe(1);
    w.setChannel("zmq", true, "ltc-a subscribed to hashblock");
    await settle();
    expect(w.status()).toMatchObject({ method: "zmq", mode: "push", channel: { kind: "zmq", up: true } });
    expect(count(/\[NOTICE\] LTC: new blocks arrive by ZMQ hashblock \(ltc-a subscribed to hashblock\); polling stopped/)).toBe(1);
    const before = polls();
    await clock.advance(60_000); // no polling, and no notify_timeout fallback while the channel is up
    expect(polls() - before).toBe(4); // the job_refresh ticks only
    expect(w.status().mode).toBe("push");
    chain.tip = { hash: hash(101), height: 101 };
    w.notify("zmq");
    await settle();
    expect(blocks.at(-1)).toMatchObject({ cause: "notify", tip: { height: 101 } });
    expect(count(/new block 101 \w+ \(found by ZMQ hashblock\)/)).toBe(1);

    w.setChannel("zmq", false, "ltc-a connection closed");
    w.setChannel("zmq", false, "ltc-a connection refused"); // still down: not logged again
    expect(count(/\[WARN\] LTC: ZMQ hashblock is down \(ltc-a connection closed\); polling every 1 s until it is back/)).toBe(1);
    expect(w.status()).toMatchObject({ method: "poll", mode: "poll", channel: { up: false, detail: "ltc-a connection refused" } });
    const down = polls();
    await clock.advance(3000);
    expect(polls() - down).toBe(3);
    w.stop();
  });

  test("triggers during a check merge into one follow-up check; stop() cancels every timer", async () => {
    const { clock, chain, w, blocks } = setup({ polling: false });
    w.start();
    await settle();
    const before = chain.calls.length;
    chain.tip = { hash: hash(101), height: 101 };
    for (let i = 0; i < 50; i++) w.notify();
    await settle();
    // One check for the first notify, one merged follow-up for the other 49.
    expect(chain.calls.filter((c, i) => i >= before && c === "getbestblockhash")).toHaveLength(2);
    expect(blocks).toHaveLength(2);
    w.stop();
    expect(clock.pending).toBe(0);
    w.notify();
    await clock.advance(100_000);
    expect(blocks).toHaveLength(2);
    expect(w.status().signals).toBe(50);
  });
});
