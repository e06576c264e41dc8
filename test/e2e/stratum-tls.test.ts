/**
 * Issue 14 §2: TLS stratum (stratum+ssl://). Certificates are made here with Debian's openssl; the
 * clients are Bun's TLS client (TestMiner) and `openssl s_client` (TLS 1.2 and 1.3). Covered: a
 * TLS-only port and a TLS-and-plain (`auto`) port, plain text to a TLS-only port (a readable error
 * line), broken handshakes, certificate reloads (SIGHUP's path and a file change) that keep
 * connected miners, bad certificates refused with the old one kept, and the rest of the edge over
 * TLS: shares, bans, PROXY protocol before the ClientHello.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect as netConnect } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rawExchange } from "../helpers/junk.ts";
import { TestMiner } from "../helpers/miner.ts";
import { BTC_ADDRESS, startTestStratum, type TestStratum } from "../helpers/stratum-env.ts";
import { notableLines, untilWith } from "../helpers/until.ts";

let dir: string;
const envs: TestStratum[] = [];
const miners: TestMiner[] = [];
const until = untilWith(() => envs.map((e) => notableLines(e.logLines)).join("\n"));

/** A self-signed certificate for localhost/127.0.0.1 with common name `cn`: its PEM paths. */
async function makeCert(cn: string): Promise<{ cert: string; key: string; pem: string }> {
  const cert = join(dir, `${cn}.crt`);
  const key = join(dir, `${cn}.key`);
  const p = Bun.spawn(
    ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", `/CN=${cn}`, "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
    { stdout: "ignore", stderr: "pipe" },
  );
  if ((await p.exited) !== 0) throw new Error(`openssl req failed: ${await new Response(p.stderr).text()}`);
  return { cert, key, pem: await Bun.file(cert).text() };
}

let A: { cert: string; key: string; pem: string };
let B: { cert: string; key: string; pem: string };
/** The files the TLS ports are configured with (the tests rewrite them). */
let live: { cert: string; key: string };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pp-tls-"));
  A = await makeCert("edge-a");
  B = await makeCert("edge-b");
  live = { cert: join(dir, "live.crt"), key: join(dir, "live.key") };
  copyFileSync(A.cert, live.cert);
  copyFileSync(A.key, live.key);
});

afterAll(() => {
  for (const m of miners) m[Symbol.dispose]();
  for (const e of envs) e.stop();
  rmSync(dir, { recursive: true, force: true });
});

function start(mode: "tls" | "auto", over: Record<string, unknown> = {}): TestStratum {
  const e = startTestStratum({ tls: { mode, cert: live.cert, key: live.key }, ...over });
  envs.push(e);
  e.feed.publish();
  return e;
}

async function tlsMiner(e: TestStratum, worker = "w", ca = A.pem): Promise<TestMiner> {
  const m = await TestMiner.connect(e.port.port, "127.0.0.1", { ca });
  miners.push(m);
  await m.cpuMinerHandshake(`${BTC_ADDRESS}.${worker}`);
  return m;
}

/** `openssl s_client` with `version` (-tls1_2, -tls1_3): sends a subscribe; the reply line, the protocol and the peer's common name. */
async function sClient(port: number, version: string): Promise<{ reply: string; protocol: string; cn: string }> {
  const p = Bun.spawn(["openssl", "s_client", "-connect", `127.0.0.1:${port}`, version, "-servername", "localhost", "-brief", "-ign_eof"], { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
  p.stdin.write('{"id":1,"method":"mining.subscribe","params":["openssl"]}\n');
  await p.stdin.flush();
  let out = "";
  const reader = p.stdout.getReader();
  const timeout = Bun.sleep(8000).then(() => undefined);
  while (!out.includes("\n")) {
    // One read at a time: a read that lost a race would swallow its chunk.
    const r = await Promise.race([reader.read(), timeout]);
    if (!r || r.done) break;
    out += new TextDecoder().decode(r.value);
  }
  p.kill();
  await p.exited;
  const err = await new Response(p.stderr).text();
  return { reply: out.trim(), protocol: /Protocol version: (\S+)/.exec(err)?.[1] ?? "", cn: /Peer certificate: .*CN\s*=\s*([\w-]+)/.exec(err)?.[1] ?? "" };
}

describe("a TLS-only port", () => {
  test("Bun's TLS client mines through it: subscribe, authorize, shares accepted", async () => {
    const e = start("tls");
    const m = await tlsMiner(e);
    expect((await m.submit(m.mineShare(m.lastJob!))).result).toBe(true);
    expect(e.listener.counters.tlsConnections).toBe(1);
    expect(e.edge.status.ports()[0]!.clientList![0]!.ip).toBe("127.0.0.1");
  });

  test("openssl s_client with TLS 1.2 and with TLS 1.3", async () => {
    const e = start("tls");
    for (const [flag, version] of [["-tls1_2", "TLSv1.2"], ["-tls1_3", "TLSv1.3"]] as const) {
      const r = await sClient(e.port.port, flag);
      expect(r.protocol).toBe(version);
      expect(r.cn).toBe("edge-a");
      expect(JSON.parse(r.reply)).toMatchObject({ id: 1, error: null });
    }
    // TLS 1.1 and older are refused.
    const old = Bun.spawn(["openssl", "s_client", "-connect", `127.0.0.1:${e.port.port}`, "-tls1_1", "-brief"], { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
    old.stdin.end();
    expect(await old.exited).not.toBe(0);
  }, 20_000);

  test("plain text gets one readable error line and is closed; a broken handshake is closed; the edge carries on", async () => {
    const e = start("tls");
    const r = await rawExchange(e.port.port, '{"id":1,"method":"mining.subscribe","params":[]}\n');
    expect(r.closed).toBe(true);
    expect(JSON.parse(r.text)).toEqual({ id: null, result: null, error: [20, "this port speaks TLS only: connect with stratum+ssl://", null] });
    const broken = await rawExchange(e.port.port, Uint8Array.from([0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5, 6, 7, 8]));
    expect(broken.closed).toBe(true);
    await until("the broken handshake counted", () => e.listener.counters.tlsErrors === 2, 3000);
    const m = await tlsMiner(e);
    expect((await m.submit(m.mineShare(m.lastJob!))).result).toBe(true);
  });

  test("a client that does not trust the certificate fails its handshake, cleanly", async () => {
    const e = start("tls");
    await expect(TestMiner.connect(e.port.port, "127.0.0.1", { ca: B.pem })).rejects.toThrow();
    await until("the failed handshake to be counted", () => e.listener.counters.tlsErrors >= 1 || e.listener.counters.disconnects >= 1, 3000);
    expect(e.logLines.filter((l) => /\[ERROR\]/.test(l))).toEqual([]);
  });

  test("vardiff over TLS: a fast miner's difficulty is raised at once", async () => {
    const e = start("tls", { start_difficulty: 1e-9, minimum_manual_diff: 1e-9, vardiff: { enabled: true, spm_target: 20, interval: 30, minimum_difficulty: 1e-9, maximum_difficulty: 1e-3 } });
    const m = await tlsMiner(e, "fast");
    const lines = Array.from({ length: 100 }, (_, i) => {
      const sh = m.mineShare(m.lastJob!);
      return `${JSON.stringify({ id: 1000 + i, method: "mining.submit", params: ["w", sh.jobId, sh.extranonce2, sh.ntime, sh.nonce] })}\n`;
    });
    m.sendRaw(lines.join(""));
    await m.next((x) => x.id === 1099, 5000);
    expect(m.messages.filter((x) => typeof x.id === "number" && x.id >= 1000 && x.result === true)).toHaveLength(100);
    expect(m.difficulty).toBeGreaterThan(1e-9);
    expect(e.port.counters.vardiffChanges).toBeGreaterThan(0);
  });

  test("a graceful close over TLS (an unauthorised socket timing out) ends the session cleanly", async () => {
    const e = start("tls", { idle_worker_threshold: 60 });
    const m = await TestMiner.connect(e.port.port, "127.0.0.1", { ca: A.pem });
    miners.push(m);
    expect((await m.request("mining.subscribe", [])).result).toBeDefined();
    e.advance(61_000);
    await m.waitClosed();
    expect(e.listener.counters.tlsErrors).toBe(0);
    expect(e.logLines.filter((l) => /\[ERROR\]/.test(l))).toEqual([]);
  });

  test("junk over TLS counts as junk: the connection is closed and the address banned as over TCP", async () => {
    const e = start("tls", { limits: { ip_ban_offences: 1 } });
    const m = await TestMiner.connect(e.port.port, "127.0.0.1", { ca: A.pem });
    miners.push(m);
    for (let i = 0; i < 10; i++) m.sendLine("GET / HTTP/1.1");
    await m.waitClosed();
    expect(e.edge.guard.list(e.clock.t)).toMatchObject([{ ip: "127.0.0.1", kind: "junk" }]);
  });
});

describe("auto: TLS and plain text on one port", () => {
  test("a plain miner and a TLS miner side by side", async () => {
    const e = start("auto");
    const plain = await TestMiner.connect(e.port.port);
    miners.push(plain);
    await plain.cpuMinerHandshake(`${BTC_ADDRESS}.plain`);
    const tls = await tlsMiner(e, "tls");
    expect((await plain.submit(plain.mineShare(plain.lastJob!))).result).toBe(true);
    expect((await tls.submit(tls.mineShare(tls.lastJob!))).result).toBe(true);
    expect(e.listener.counters.tlsConnections).toBe(1);
  });

  test("PROXY protocol before the ClientHello: the header's address, then TLS", async () => {
    const e = start("auto", { proxy_protocol: { enabled: true, trusted: ["127.0.0.3/32"] } });
    const reply = await new Promise<string>((resolve, reject) => {
      const sock = netConnect({ host: "127.0.0.1", port: e.port.port, localAddress: "127.0.0.3" }, () => {
        sock.write("PROXY TCP4 192.0.2.44 10.0.0.1 40000 3333\r\n");
        const t = tlsConnect({ socket: sock, ca: A.pem, servername: "localhost" }, () => {
          t.write('{"id":1,"method":"mining.subscribe","params":[]}\n');
          t.write(`{"id":2,"method":"mining.authorize","params":["${BTC_ADDRESS}.proxied","x"]}\n`);
        });
        let text = "";
        t.on("data", (d) => {
          text += d.toString();
          if (text.includes('"id": 2') || text.includes('"id":2')) {
            resolve(text);
            t.end();
          }
        });
        t.on("error", reject);
      });
      sock.on("error", reject);
    });
    expect(reply).toContain("mining.notify");
    await until("the proxied client in the status", () => e.edge.status.ports()[0]!.clientList!.find((c) => c.worker === "proxied") ?? e.logLines.some((l) => l.includes(`disconnect 192.0.2.44 ${BTC_ADDRESS}.proxied`)), 3000);
    expect(e.logLines.some((l) => l.includes("PROXY v1 header from 127.0.0.3: client 192.0.2.44"))).toBe(true);
    expect(e.listener.counters.tlsConnections).toBe(1);
  });
});

describe("certificate reloads", () => {
  test("a bad certificate or a key that does not match is refused with a clear line, the old one stays; a good one is used for new connections; connected miners stay", async () => {
    copyFileSync(A.cert, live.cert);
    copyFileSync(A.key, live.key);
    const e = start("tls");
    const cert = e.edge.certificates.get("main")!;
    const m = await tlsMiner(e, "stays");

    writeFileSync(live.cert, "-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n");
    e.edge.reloadTls("SIGHUP");
    expect(e.logLines.some((l) => /\[ERROR\].*TLS certificate reload \(SIGHUP\) refused, keeping CN=edge-a .*not a PEM certificate/.test(l))).toBe(true);
    copyFileSync(B.cert, live.cert); // B's certificate with A's key
    e.edge.reloadTls("SIGHUP");
    expect(e.logLines.some((l) => /TLS certificate reload \(SIGHUP\) refused, keeping CN=edge-a .*is not the private key of/.test(l))).toBe(true);
    expect((await sClient(e.port.port, "-tls1_3")).cn).toBe("edge-a");

    copyFileSync(B.key, live.key);
    e.edge.reloadTls("SIGHUP");
    expect(e.logLines.some((l) => l.includes("TLS certificate replaced (SIGHUP): CN=edge-b"))).toBe(true);
    expect((await sClient(e.port.port, "-tls1_2")).cn).toBe("edge-b");
    // The miner connected under the old certificate carries on.
    expect((await m.submit(m.mineShare(m.lastJob!))).result).toBe(true);
    expect(m.closed).toBe(false);
    expect(cert.failedReloads).toBe(2);
  }, 30_000);

  test("a changed certificate file is picked up without a signal", async () => {
    copyFileSync(A.cert, live.cert);
    copyFileSync(A.key, live.key);
    const e = start("tls");
    const m = await tlsMiner(e, "watch");
    copyFileSync(B.key, live.key);
    copyFileSync(B.cert, live.cert);
    await until("the file-change reload", () => e.logLines.some((l) => l.includes("TLS certificate replaced (certificate file changed): CN=edge-b")), 10_000);
    expect((await sClient(e.port.port, "-tls1_3")).cn).toBe("edge-b");
    expect((await m.submit(m.mineShare(m.lastJob!))).result).toBe(true);
  }, 30_000);
});
