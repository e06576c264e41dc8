/**
 * New-block detection end to end: a bcoin regtest node (child process), the coinserver pool, the tip
 * watcher, the UDP listener and contrib/blocknotify. Assertions are on causes and order, with
 * generous time bounds.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { CoinserverPool } from "../../core/coinserver/pool.ts";
import { TipWatcher, type NewBlockEvent, type RefreshEvent } from "../../core/coinserver/tip-watcher.ts";
import { buildNotifyTargets } from "../../core/notify/actions.ts";
import { DatagramHandler } from "../../core/notify/handler.ts";
import { startNotifyListener, type NotifyListener } from "../../core/notify/listener.ts";
import { startBcoin, type BcoinNode } from "../helpers/bcoin.ts";
import { captureLog } from "../helpers/log-capture.ts";

setDefaultTimeout(30_000);

const SCRIPT = join(import.meta.dir, "../../contrib/blocknotify");
const SECRET = "correct-horse-battery";
let node: BcoinNode;

beforeAll(async () => {
  node = await startBcoin();
});
afterAll(async () => {
  await node?.stop();
});

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}

/** Pool + watcher (+ listener) for the node, with every event recorded. */
async function rig(coin: { polling: boolean; blockPoll: number; notifyTimeout?: number }) {
  const cap = captureLog("core");
  const pool = new CoinserverPool({ label: "BTC", servers: [node.coinserver({ name: "bcoin" })], pingInterval: 0.2, log: cap.log });
  const blocks: NewBlockEvent[] = [];
  const refreshes: RefreshEvent[] = [];
  const watcher = new TipWatcher({
    label: "BTC",
    source: pool,
    listener: { onNewBlock: (e) => blocks.push(e), onRefresh: (e) => refreshes.push(e) },
    log: cap.log,
    blockPoll: coin.blockPoll,
    jobRefresh: 60,
    notifyTimeout: coin.notifyTimeout ?? 60,
    polling: coin.polling,
  });
  const handler = new DatagramHandler({ targets: buildNotifyTargets({ BTC: watcher }), secret: SECRET, log: cap.log });
  const listener: NotifyListener = await startNotifyListener({ host: "127.0.0.1", port: 0, handler });
  pool.start();
  watcher.start();
  await until(() => blocks.length === 1, "the start check");
  const blocknotify = (...args: string[]) => {
    const r = Bun.spawnSync(["sh", SCRIPT, "BTC", "127.0.0.1", String(listener.port), ...args], { stderr: "pipe" });
    expect(r.stderr.toString()).toBe("");
  };
  return {
    ...cap,
    pool,
    watcher,
    listener,
    blocks,
    refreshes,
    blocknotify,
    [Symbol.dispose]() {
      watcher.stop();
      pool.stop();
      listener.close();
    },
  };
}

describe("new blocks from a real coinserver", () => {
  test("polling sees a block mined on bcoin", async () => {
    using r = await rig({ polling: true, blockPoll: 0.2 });
    const start = r.blocks[0]!;
    expect(start).toMatchObject({ cause: "start", previous: null });
    const [hash] = await node.mine(1);
    await until(() => r.blocks.length === 2, "the polled block");
    expect(r.blocks[1]).toMatchObject({ cause: "poll", tip: { hash, height: start.tip.height + 1 }, previous: start.tip });
  });

  test("a blocknotify datagram triggers the check long before the next poll", async () => {
    using r = await rig({ polling: true, blockPoll: 5 });
    const [hash] = await node.mine(1);
    const sent = performance.now();
    r.blocknotify(SECRET);
    await until(() => r.blocks.length === 2, "the notified block", 4000);
    // The 5 s poll cannot have found it: the cause is the datagram.
    expect(r.blocks[1]).toMatchObject({ cause: "notify", tip: { hash } });
    expect(performance.now() - sent).toBeLessThan(4000);
    expect(r.watcher.status().lastSignal).not.toBeNull();
    expect(r.count(/BTC: new block \d+ \w+ \(found by push notification\)/)).toBe(1);
    // A second notification for the same tip is a refresh, not a new block.
    r.blocknotify(SECRET);
    await until(() => r.refreshes.length === 1, "the refresh");
    expect(r.refreshes[0]).toMatchObject({ cause: "notify", tip: { hash } });
    expect(r.blocks).toHaveLength(2);
  });

  test("malformed and unauthenticated datagrams are rejected and trigger nothing", async () => {
    using r = await rig({ polling: false, blockPoll: 0.2 });
    await node.mine(1);
    r.blocknotify(); // no secret
    r.blocknotify("wrong-secret-value");
    const udp = await Bun.udpSocket({ hostname: "127.0.0.1", port: 0 });
    for (const junk of ["BTC", "BTC stop secret=" + SECRET, "ZZZ getblocktemplate secret=" + SECRET, "BTC\tgetblocktemplate", "y".repeat(1000)]) {
      udp.send(junk, r.listener.port, "127.0.0.1");
    }
    await until(() => Object.values(r.listener.counters().rejected).reduce((a, b) => a + b, 0) === 7, "seven rejections");
    expect(r.listener.counters()).toMatchObject({
      accepted: 0,
      rejected: { missing_secret: 1, bad_secret: 1, malformed: 1, method_not_allowed: 1, unknown_component: 1, not_ascii: 1, oversized: 1 },
    });
    await Bun.sleep(300);
    expect(r.blocks).toHaveLength(1); // polling is off and nothing valid arrived
    expect(r.watcher.status()).toMatchObject({ mode: "push", lastSignal: null });
    r.blocknotify(SECRET);
    await until(() => r.blocks.length === 2, "the block after a valid datagram");
    expect(r.blocks[1]?.cause).toBe("notify");
    udp.close();
  });

  test("poll:false resumes polling with a warning after notify_timeout, and stops again when notifications return", async () => {
    using r = await rig({ polling: false, blockPoll: 0.1, notifyTimeout: 0.5 });
    await until(() => r.watcher.status().mode === "push-fallback", "the fallback");
    expect(r.count(/\[WARN\] BTC: no push notification for 0.5 s; polling every 0.1 s until one arrives/)).toBe(1);
    const [hash] = await node.mine(1);
    await until(() => r.blocks.length === 2, "the polled block");
    expect(r.blocks[1]).toMatchObject({ cause: "poll", tip: { hash } });
    r.blocknotify(SECRET);
    await until(() => r.watcher.status().mode === "push", "push mode again");
    expect(r.count(/\[NOTICE\] BTC: push notifications are back; polling stopped/)).toBe(1);
  });
});
