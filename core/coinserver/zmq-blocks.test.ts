/**
 * The hand-written ZMTP subscriber against a real libzmq publisher (python3-zmq, publishing the way
 * Bitcoin Core's zmqpubhashblock does). The chain behind the TipWatcher is a stand-in that counts
 * calls; real nodes are in test/e2e/block-channels.test.ts and bench/block.ts.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { captureLog } from "../../test/helpers/log-capture.ts";
import { notableLines, untilWith } from "../../test/helpers/until.ts";
import { startZmqPublisher } from "../../test/helpers/zmq-publisher.ts";
import { TipWatcher } from "./tip-watcher.ts";
import { HashblockSubscriber } from "./zmq-blocks.ts";
import { parseTcpEndpoint, ZmtpSubscriber } from "./zmtp-sub.ts";

setDefaultTimeout(60_000);

const hash = (n: number) => n.toString(16).padStart(64, "0");

function rig(endpoint: string) {
  const cap = captureLog("core");
  const until = untilWith(() => notableLines(cap.lines, 30), { ms: 20_000, everyMs: 10 });
  const chain = { tip: hash(1), calls: 0 };
  const watcher = new TipWatcher({
    label: "LTC",
    source: {
      async call(method) {
        chain.calls++;
        if (method === "getbestblockhash") return chain.tip;
        return { height: Number.parseInt(chain.tip, 16) };
      },
    },
    listener: { onNewBlock: () => {}, onRefresh: () => {} },
    log: cap.log,
    blockPoll: 0.05,
    jobRefresh: 60,
    notifyTimeout: 60,
    polling: true,
  });
  const got: { hash: string; seq: number }[] = [];
  const sub = new HashblockSubscriber({
    label: "LTC",
    server: "ltc-a",
    endpoint,
    log: cap.log,
    onBlock: (h, seq) => {
      got.push({ hash: h, seq });
      watcher.notify("zmq");
    },
    onState: (up, detail) => watcher.setChannel("zmq", up, detail),
  });
  watcher.start();
  sub.start();
  return { ...cap, until, chain, watcher, sub, got, [Symbol.dispose]: () => (sub.stop(), watcher.stop()) };
}

describe("ZMQ hashblock from a real libzmq publisher", () => {
  test("endpoints are checked", () => {
    expect(parseTcpEndpoint("tcp://127.0.0.1:28332")).toEqual({ host: "127.0.0.1", port: 28332 });
    expect(parseTcpEndpoint("tcp://[::1]:28332")).toEqual({ host: "::1", port: 28332 });
    for (const bad of ["127.0.0.1:28332", "ipc:///tmp/x", "tcp://host", "tcp://host:0", "tcp://host:70000"]) expect(() => parseTcpEndpoint(bad)).toThrow(RangeError);
  });

  test("a peer that is not a ZeroMQ publisher (an HTTP server, a huge frame, silence) is refused and retried, never crashes", async () => {
    const replies = [Buffer.alloc(0), Buffer.from("HTTP/1.1 400 Bad Request\r\n\r\n"), Buffer.concat([Buffer.from([0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0x7f, 3, 0]), Buffer.from("NULL".padEnd(20, "\0")), Buffer.alloc(32), Buffer.from([0x06, 0, 0, 0, 0, 0x10, 0, 0, 0])])];
    for (const reply of replies) {
      const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { open: (s) => void s.write(reply), data() {} } });
      const states: string[] = [];
      const sub = new ZmtpSubscriber({ endpoint: `tcp://127.0.0.1:${server.port}`, topics: ["hashblock"], onMessage: () => {}, onState: (up, why) => states.push(`${up}:${why}`), reconnectMinMs: 20, handshakeMs: 200 });
      sub.start();
      const deadline = Date.now() + 5000;
      while (states.length < 2 && Date.now() < deadline) await Bun.sleep(10);
      sub.stop();
      server.stop(true);
      expect(states.length).toBeGreaterThanOrEqual(2); // refused, and tried again
      expect(states.every((x) => x.startsWith(reply.length === 0 ? "false:no ZMTP handshake" : "false:protocol error"))).toBe(true);
      if (reply.length > 0) expect(states[0]).toMatch(reply.length < 64 ? /bad greeting signature/ : /frame of \d+ bytes is over the \d+ limit/);
    }
  });

  test("messages are read, shapes checked, gaps logged; each one is a push signal and polling stops while subscribed", async () => {
    await using pub = await startZmqPublisher();
    using r = rig(pub.endpoint);
    await r.until("subscribed", () => r.watcher.status().method === "zmq");
    // A PUB drops what it sends before the subscription reaches it: send until the first arrives.
    await r.until("the first message", async () => (await pub.block(hash(0xaa), 0), r.got.length > 0));
    expect(r.got[0]).toEqual({ hash: hash(0xaa), seq: 0 });
    const seq0 = r.got.at(-1)!.seq;

    r.chain.tip = hash(2);
    await pub.block(hash(2), seq0 + 1);
    await r.until("the new block signal", () => r.got.some((g) => g.hash === hash(2)));
    await r.until("the tip check", () => r.watcher.status().tip?.hash === hash(2));
    expect(r.watcher.status()).toMatchObject({ method: "zmq", mode: "push", signals: r.got.length, channel: { kind: "zmq", up: true } });
    expect(r.count(/found by ZMQ hashblock/)).toBe(1);

    // Malformed: short hash, missing sequence, 8-byte sequence. Ignored with a warning each.
    const topic = Buffer.from("hashblock").toString("hex");
    await pub.send(`raw ${topic} ${"ab".repeat(31)} 01000000`);
    await pub.send(`raw ${topic} ${"ab".repeat(32)}`);
    await pub.send(`raw ${topic} ${"ab".repeat(32)} 0100000000000000`);
    // A gap: 5 messages lost.
    await pub.block(hash(3), seq0 + 7);
    await r.until("the message after the gap", () => r.got.some((g) => g.hash === hash(3)));
    expect(r.count(/malformed ZMQ message from ltc-a/)).toBe(3);
    expect(r.count(/sequence gap from ltc-a: expected \d+, got \d+ \(5 messages lost\)/)).toBe(1);
    expect(r.sub.status()).toMatchObject({ up: true, gaps: 1, lastSequence: seq0 + 7 });

    // While subscribed, no polling: only the signals' checks reach the chain.
    const calls = r.chain.calls;
    await Bun.sleep(300);
    expect(r.chain.calls).toBe(calls);
  });

  test("the publisher SIGKILLed and restarted under load: polling meanwhile, said in the log and status; subscribed again", async () => {
    await using pub = await startZmqPublisher();
    using r = rig(pub.endpoint);
    await r.until("subscribed", () => r.watcher.status().method === "zmq");
    await r.until("messages flowing", async () => (await pub.send("flood 200"), r.got.length > 0));
    // Under load: a flood in flight when the publisher dies.
    const flood = pub.send("flood 100000").catch(() => "killed");
    await r.until("part of the flood", () => r.got.length > 1000);
    await pub.kill();
    expect(await flood).toBe("killed");
    await r.until("the channel down", () => r.watcher.status().method === "poll");
    expect(r.count(/\[WARN\] LTC: ZMQ hashblock is down \(ltc-a .*\); polling every 0.05 s until it is back/)).toBe(1);
    const calls = r.chain.calls;
    await r.until("polling while down", () => r.chain.calls >= calls + 4);
    expect(r.sub.status().up).toBe(false);

    const before = r.got.length;
    await pub.start();
    await r.until("subscribed again", () => r.watcher.status().method === "zmq");
    await r.until("messages after the restart", async () => (await pub.send("flood 50"), r.got.length > before));
    expect(r.count(/new blocks arrive by ZMQ hashblock/)).toBe(2);
    expect(r.count(/ZMQ sequence from ltc-a restarted at 0/)).toBe(1);
    expect(r.sub.status()).toMatchObject({ up: true, reconnects: 1 });
    const calls2 = r.chain.calls;
    await Bun.sleep(300);
    // Polling stopped again; the few calls left are the flood's signals being checked.
    expect(r.chain.calls - calls2).toBeLessThan(10);
  });
});
