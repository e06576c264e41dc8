/**
 * Issue 21 end to end: a block reaches a stratum client as a clean job, through a real core and edge,
 * with polling effectively off (block_poll 3600 s) and no datagrams.
 * - Long polling against real litecoind (Debian's 0.21 answers long-poll getblocktemplate): the
 *   block is mined on the other node of the pair and relayed to the pool's node over P2P.
 * - ZMQ: Debian's litecoind is built without ZMQ, so a real libzmq publisher (python3-zmq) stands
 *   in for the node's -zmqpubhashblock and publishes once the pool's node has the block.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { bytesToRpcHex, stratumPrevhashToBytes } from "../../shared/bitcoin/index.ts";
import { startLitecoinds, type LitecoindGroup } from "../helpers/litecoind.ts";
import { captureLog } from "../helpers/log-capture.ts";
import { startLtcPool, type LtcPool } from "../helpers/ltc-pool.ts";
import type { TestMiner } from "../helpers/miner.ts";
import { notableLines, untilWith } from "../helpers/until.ts";
import { startZmqPublisher, type ZmqPublisher } from "../helpers/zmq-publisher.ts";

setDefaultTimeout(120_000);

let nodes: LitecoindGroup;
const cap = captureLog("pool");
const until = untilWith(() => notableLines(cap.lines, 30), { ms: 30_000, everyMs: 20 });

beforeAll(async () => {
  nodes = await startLitecoinds(2);
});
afterAll(async () => {
  await nodes?.stop();
});

/** The clean notify on top of `hash` (display hex), waiting at most 20 s. */
async function cleanJobOn(miner: TestMiner, hash: string) {
  const m = await miner.next((x) => x.method === "mining.notify" && x.params?.[8] === true && bytesToRpcHex(stratumPrevhashToBytes(String(x.params?.[1]))) === hash, 20_000);
  return m;
}

describe("a new block reaches a stratum client as a clean job (real litecoind)", () => {
  test("getblocktemplate long polling: mined on the other node, no polling, no datagrams", async () => {
    const [ltc0, ltc1] = nodes.nodes;
    let pool: LtcPool | undefined;
    try {
      pool = await startLtcPool({ node: ltc0!, blockMethod: "auto", blockPoll: 3600, log: cap.log, name: "lp" });
      const ltc = pool.core.coins.get("LTC")!;
      await until("the long poll held", () => ltc.watcher.status().method === "longpoll");
      const [miner] = await pool.connect(1);
      expect(ltc.signals.status()).toMatchObject({ configured: "longpoll", longpoll: { up: true, server: "ltc0", supported: true } });

      for (let i = 0; i < 3; i++) {
        const [hash] = await ltc1!.mine(1);
        await cleanJobOn(miner!, hash!);
      }
      // The job goes out from the long poll's own template; the watcher's tip check logs just after.
      await until("the watcher's three new blocks", () => cap.count(/LTC: new block \d+ \w+ \(found by getblocktemplate long polling\)/) === 3);
      expect(cap.count(/found by poll/)).toBe(0);
      expect(ltc.signals.status().longpoll?.returns).toBeGreaterThanOrEqual(3);
      // The held request occupies one of the node's in-flight slots.
      expect(ltc.pool.status().servers[0]?.inFlight).toBeGreaterThanOrEqual(1);
    } finally {
      await pool?.stop();
    }
  });

  test("ZMQ hashblock (python3-zmq publishing for the node): no polling, no datagrams; a dead publisher means polling", async () => {
    const [ltc0, ltc1] = nodes.nodes;
    let pool: LtcPool | undefined;
    let pub: ZmqPublisher | undefined;
    try {
      pub = await startZmqPublisher();
      pool = await startLtcPool({ node: ltc0!, blockMethod: "auto", zmq: pub.endpoint, blockPoll: 3600, log: cap.log, name: "zmq" });
      const ltc = pool.core.coins.get("LTC")!;
      await until("subscribed", () => ltc.watcher.status().method === "zmq");
      const [miner] = await pool.connect(1);
      let seq = 0;
      for (let i = 0; i < 3; i++) {
        const [hash] = await ltc1!.mine(1);
        await until("the pool's node has the block", async () => (await ltc0!.rpc("getbestblockhash")) === hash);
        await pub.block(hash!, seq++);
        await cleanJobOn(miner!, hash!);
      }
      await until("the watcher's three new blocks", () => cap.count(/LTC: new block \d+ \w+ \(found by ZMQ hashblock\)/) === 3);
      expect(ltc.signals.status().zmq[0]).toMatchObject({ server: "ltc0", up: true, messages: 3, gaps: 0 });

      const metrics = async () => (await fetch(`${pool!.core.monitor!.url.replace(/\/$/, "")}/metrics`)).text();
      expect(await metrics()).toContain('powerpool_block_method{coin="LTC",currency="LTC",method="zmq"} 1');
      expect(await metrics()).toContain('powerpool_zmq_messages_total{coin="LTC",server="ltc0"} 3');

      await pub.kill();
      await until("polling while the publisher is away", () => ltc.watcher.status().method === "poll");
      expect(cap.count(/\[WARN\] LTC: ZMQ hashblock is down/)).toBe(1);
      // Said in the monitor and /metrics too.
      const status = (await (await fetch(`${pool.core.monitor!.url.replace(/\/$/, "")}/LTC/`)).json()) as Record<string, unknown>;
      expect(status.block_method).toBe("poll");
      const text = await metrics();
      expect(text).toContain('powerpool_block_method{coin="LTC",currency="LTC",method="poll"} 1');
      expect(text).toContain('powerpool_zmq_up{coin="LTC",server="ltc0"} 0');
    } finally {
      await pool?.stop();
      await pub?.kill();
    }
  });
});
