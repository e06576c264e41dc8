/**
 * Issue 14 §3: PROXY protocol v1 and v2 behind a real HAProxy (Debian's /usr/sbin/haproxy, started
 * here on free ports with `send-proxy` and `send-proxy-v2`, connecting to the edge from 127.0.0.3),
 * and hostile headers sent straight to the edge. Behind the proxy the client's own address
 * (127.0.0.1 here) is the one the edge uses everywhere: the monitor's client list, per-IP counts,
 * bans and logs.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rawExchange } from "../helpers/junk.ts";
import { TestMiner } from "../helpers/miner.ts";
import { freePort } from "../helpers/redis.ts";
import { BTC_ADDRESS, startTestStratum, type TestStratum } from "../helpers/stratum-env.ts";
import { notableLines, untilWith } from "../helpers/until.ts";

const HAPROXY = "/usr/sbin/haproxy";
const SUBSCRIBE = '{"id":1,"method":"mining.subscribe","params":[]}\n';
const PROXY_SOURCE = "127.0.0.3";

let env: TestStratum;
let dir: string;
let haproxy: ReturnType<typeof Bun.spawn> | undefined;
let v1Port = 0;
let v2Port = 0;
const miners: TestMiner[] = [];
const haproxyLog: string[] = [];
const until = untilWith(() => `${notableLines(env?.logLines ?? [])}\nhaproxy: ${haproxyLog.join("")}`);

/**
 * HAProxy in TCP mode: one frontend per PROXY version, both to the edge, from PROXY_SOURCE. The v2
 * backend has a stratum health check as an operator would set it up: a PROXY v2 LOCAL header
 * (`check-send-proxy`), a mining.subscribe, and the reply expected.
 */
function haproxyConfig(edgePort: number): string {
  const subscribeHex = Buffer.from(SUBSCRIBE).toString("hex");
  return `global
  maxconn 200
defaults
  mode tcp
  timeout connect 5s
  timeout client 60s
  timeout server 60s
frontend v1
  bind 127.0.0.1:${v1Port}
  default_backend edge_v1
frontend v2
  bind 127.0.0.1:${v2Port}
  default_backend edge_v2
backend edge_v1
  source ${PROXY_SOURCE}
  server edge 127.0.0.1:${edgePort} send-proxy
backend edge_v2
  source ${PROXY_SOURCE}
  option tcp-check
  tcp-check connect default
  tcp-check send-binary ${subscribeHex}
  tcp-check expect string result
  server edge 127.0.0.1:${edgePort} send-proxy-v2 check inter 300 check-send-proxy
`;
}

async function listening(port: number): Promise<boolean> {
  try {
    const s = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
    s.end();
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  env = startTestStratum({ proxy_protocol: { enabled: true, trusted: [`${PROXY_SOURCE}/32`] }, limits: { ip_ban_offences: 1 } });
  env.feed.publish();
  dir = mkdtempSync(join(tmpdir(), "pp-haproxy-"));
  v1Port = freePort();
  v2Port = freePort();
  const cfg = join(dir, "haproxy.cfg");
  writeFileSync(cfg, haproxyConfig(env.port.port));
  haproxy = Bun.spawn([HAPROXY, "-f", cfg, "-db"], { stdout: "ignore", stderr: "pipe" });
  void (async () => {
    for await (const chunk of haproxy.stderr as ReadableStream<Uint8Array>) haproxyLog.push(new TextDecoder().decode(chunk));
  })();
  await until("haproxy listening", async () => (await listening(v1Port)) && (await listening(v2Port)), 10_000);
});

afterAll(async () => {
  for (const m of miners) m[Symbol.dispose]();
  haproxy?.kill();
  await haproxy?.exited;
  env?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function miner(port: number, worker: string): Promise<TestMiner> {
  const m = await TestMiner.connect(port);
  miners.push(m);
  await m.cpuMinerHandshake(`${BTC_ADDRESS}.${worker}`);
  return m;
}

/** The edge's view of the client authorised as `worker`. */
function client(worker: string) {
  return env.edge.status.ports()[0]!.clientList!.find((c) => c.worker === worker);
}

/** Raw bytes to the edge from `localAddress`; what came back once the edge closed it or `waitMs` passed. */
const raw = (localAddress: string, bytes: Uint8Array | string, waitMs?: number) => rawExchange(env.port.port, bytes, { localAddress, ...(waitMs ? { waitMs } : {}) });

const SIG = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a];

describe("behind HAProxy (send-proxy, send-proxy-v2)", () => {
  test("v1: the miner's own address is the client's address; shares are accepted", async () => {
    const m = await miner(v1Port, "v1");
    expect((await m.submit(m.mineShare(m.lastJob!))).result).toBe(true);
    expect(client("v1")?.ip).toBe("127.0.0.1");
    const conn = [...env.listener.connections].find((c) => c.admitted && c.ip === "127.0.0.1");
    expect(conn?.peerIp).toBe(PROXY_SOURCE);
  });

  test("v2 (with HAProxy's LOCAL health checks on the same port): the miner's address; shares accepted; nothing refused", async () => {
    const m = await miner(v2Port, "v2");
    expect((await m.submit(m.mineShare(m.lastJob!))).result).toBe(true);
    expect(client("v2")?.ip).toBe("127.0.0.1");
    // HAProxy's health checks (every 300 ms) carry a PROXY v2 LOCAL header: admitted as the proxy itself, and answered.
    await until("a health check", () => env.logLines.some((l) => l.includes(`PROXY v2 LOCAL header from ${PROXY_SOURCE}: client ${PROXY_SOURCE}`)), 5000);
    expect(env.listener.counters.proxyRejected).toBe(0);
  });

  test("a ban behind the proxy falls on the client's address, not the proxy's: other clients through it carry on", async () => {
    const honest = await miner(v2Port, "honest");
    // Junk through the proxy from 127.0.0.4 (ip_ban_offences: 1 here).
    const junk = connect({ host: "127.0.0.1", port: v1Port, localAddress: "127.0.0.4" }, () => {
      for (let i = 0; i < 10; i++) junk.write("GET / HTTP/1.1\n");
    });
    junk.on("error", () => undefined);
    await until("the junk client's ban", () => env.edge.guard.list(env.clock.t).length > 0, 5000);
    junk.destroy();
    expect(env.edge.guard.list(env.clock.t).map((b) => b.ip)).toEqual(["127.0.0.4"]);
    expect(env.logLines.some((l) => l.includes("banning 127.0.0.4 for 600s: junk input"))).toBe(true);
    expect((await honest.submit(honest.mineShare(honest.lastJob!))).result).toBe(true);
    const again = await miner(v1Port, "after-ban");
    expect(client("after-ban")?.ip).toBe("127.0.0.1");
    expect(again.closed).toBe(false);
    env.edge.guard.lift("127.0.0.4");
  });
});

describe("hostile headers sent straight to the edge", () => {
  test("a header from an address that is not a trusted proxy closes the connection, logged", async () => {
    const r = await raw("127.0.0.1", `PROXY TCP4 6.6.6.6 10.0.0.1 1234 3333\r\n${SUBSCRIBE}`);
    expect(r).toEqual({ text: "", closed: true });
    expect(env.logLines.some((l) => l.includes("closing a connection from 127.0.0.1: PROXY header from an address not in proxy_protocol.trusted"))).toBe(true);
    const v2 = Uint8Array.from([...SIG, 0x21, 0x11, 0, 12, 6, 6, 6, 6, 10, 0, 0, 1, 0, 1, 0, 2]);
    expect((await raw("127.0.0.1", v2)).closed).toBe(true);
  });

  test("plain stratum from anyone still works when the header is not required", async () => {
    const r = await raw("127.0.0.1", SUBSCRIBE, 500);
    expect(r.text).toMatch(/"id": ?1[,}]/);
  });

  test("malformed headers from the trusted proxy close the connection, each with its reason", async () => {
    const before = env.listener.counters.proxyRejected;
    const bad: (string | Uint8Array)[] = [
      "PROXY TCP4 6.6.6.6 10.0.0.1 1234\r\n",
      "PROXY TCP4 6.6.6.6 10.0.0.1 1234 3333\n",
      `PROXY ${"X".repeat(200)}`,
      Uint8Array.from([...SIG, 0x31, 0x11, 0, 0]),
      Uint8Array.from([...SIG, 0x21, 0x12, 0, 12, 6, 6, 6, 6, 10, 0, 0, 1, 0, 1, 0, 2]),
      Uint8Array.from([...SIG, 0x21, 0x11, 0, 4, 6, 6, 6, 6]),
    ];
    for (const b of bad) expect(await raw(PROXY_SOURCE, b)).toEqual({ text: "", closed: true });
    expect(env.listener.counters.proxyRejected - before).toBe(bad.length);
    expect(env.logLines.some((l) => l.includes(`closing a connection from ${PROXY_SOURCE}: malformed PROXY header (v1 header: expected 6 fields, got 5)`))).toBe(true);
    expect(env.edge.guard.list(env.clock.t)).toEqual([]); // a broken proxy is not banned
  });

  test("a v2 header with TLVs in the same packet as the request; v2 LOCAL keeps the proxy's address", async () => {
    const tlvs = [0x01, 0x00, 0x02, 0x68, 0x32, 0x04, 0x00, 0x05, 0, 0, 0, 0, 0]; // ALPN, NOOP
    const body = [198, 51, 100, 23, 10, 0, 0, 1, 0x30, 0x39, 0x0d, 0x05, ...tlvs];
    const header = [...SIG, 0x21, 0x11, 0, body.length, ...body];
    const auth = '{"id":2,"method":"mining.authorize","params":["' + BTC_ADDRESS + '.tlv","x"]}\n';
    const r = await raw(PROXY_SOURCE, Uint8Array.from([...header, ...new TextEncoder().encode(SUBSCRIBE + auth)]), 400);
    expect(r.text).toMatch(/"id": ?2[,}]/);
    expect(env.logLines.some((l) => l.includes(`PROXY v2 header from ${PROXY_SOURCE}: client 198.51.100.23`))).toBe(true);
    await until("the TLV client's session log", () => env.logLines.some((l) => l.includes(`disconnect 198.51.100.23 ${BTC_ADDRESS}.tlv`)), 3000);
    const local = await raw(PROXY_SOURCE, Uint8Array.from([...SIG, 0x20, 0x00, 0, 0, ...new TextEncoder().encode(SUBSCRIBE)]), 400);
    expect(local.text).toMatch(/"id": ?1[,}]/);
  });

  test("a trusted peer that never sends a header is closed after the preamble timeout", async () => {
    const s = connect({ host: "127.0.0.1", port: env.port.port, localAddress: PROXY_SOURCE });
    const closed = new Promise<void>((resolve) => s.on("close", () => resolve()));
    s.on("error", () => undefined);
    await until("the silent connection", () => [...env.listener.connections].some((c) => !c.admitted && c.peerIp === PROXY_SOURCE), 3000);
    env.advance(10_001);
    await closed;
    expect(env.logLines.some((l) => l.includes(`closing a connection from ${PROXY_SOURCE}: no PROXY header or request within 10s`))).toBe(true);
  });
});

describe("proxy_protocol.required", () => {
  test("a direct connection from an address that is not a trusted proxy is closed at once, logged", async () => {
    const strict = startTestStratum({ proxy_protocol: { enabled: true, trusted: [`${PROXY_SOURCE}/32`], required: true } });
    try {
      const m = await TestMiner.connect(strict.port.port);
      miners.push(m);
      m.sendLine(SUBSCRIBE.trim());
      await m.waitClosed();
      expect(m.messages).toHaveLength(0);
      expect(strict.logLines.some((l) => l.includes("closing a connection from 127.0.0.1: not a trusted proxy, and proxy_protocol.required is set"))).toBe(true);
      expect(strict.listener.counters.proxyRejected).toBe(1);
    } finally {
      strict.stop();
    }
  });
});
