/**
 * Hostile and broken clients, slow readers, keepalive and idle handling over real sockets
 * (spec §15 item 3 fixed; checklist 56–58). Time is the test's clock; the port timer runs when the
 * test advances it, so nothing here depends on real timing.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { BTC_ADDRESS, startTestStratum, type TestStratum } from "../helpers/stratum-env.ts";
import { TestMiner } from "../helpers/miner.ts";

let env: TestStratum | undefined;
const miners: TestMiner[] = [];
afterEach(() => {
  for (const m of miners.splice(0)) m[Symbol.dispose]();
  env?.stop();
  env = undefined;
});

function start(stratum: Record<string, unknown> = {}, random?: () => number): TestStratum {
  env = startTestStratum(stratum, {}, {}, random ? { random } : {});
  return env;
}

async function connect(e: TestStratum): Promise<TestMiner> {
  const m = await e.connect();
  miners.push(m);
  return m;
}

async function cpuMiner(e: TestStratum): Promise<TestMiner> {
  const m = await connect(e);
  await m.cpuMinerHandshake(`${BTC_ADDRESS}.w`);
  return m;
}

/** A connection the server refuses is closed at once, before any reply. */
async function expectRefused(e: TestStratum): Promise<void> {
  const m = await connect(e);
  m.sendLine('{"id":1,"method":"mining.subscribe","params":[]}');
  await m.waitClosed();
  expect(m.messages).toHaveLength(0);
}

describe("junk input and bans", () => {
  test("a line over max_line_bytes closes the connection; the third such connection bans the IP", async () => {
    const e = start({ limits: { max_line_bytes: 512 } });
    for (let i = 1; i <= 3; i++) {
      const m = await connect(e);
      m.sendRaw(`{"id":1,"method":"mining.subscribe","params":["${"a".repeat(600)}`); // no newline needed
      await m.waitClosed();
      expect(e.listener.counters.oversizedLines).toBe(i);
    }
    expect(e.listener.counters).toMatchObject({ offences: 3, bans: 1 });
    await expectRefused(e);
    expect(e.logLines.some((l) => l.includes("banning 127.0.0.1 for 600s: line longer than 512 bytes"))).toBe(true);
    expect(e.edge.guard.list(e.clock.t)).toMatchObject([{ ip: "127.0.0.1", kind: "oversize_line", port: "main" }]);
  });

  test("a line at the cap is fine", async () => {
    const e = start({ limits: { max_line_bytes: 512 } });
    const m = await connect(e);
    const line = JSON.stringify({ id: 1, method: "mining.subscribe", params: ["x"] });
    const padded = JSON.stringify({ id: 1, method: "mining.subscribe", params: ["x".repeat(512 - line.length + 1)] });
    expect(Buffer.byteLength(padded)).toBe(512);
    m.sendLine(padded);
    expect((await m.next()).id).toBe(1);
  });

  test("invalid JSON is answered error 20 each time; ten junk lines in a minute close the connection; three such connections ban the IP", async () => {
    const e = start();
    const m = await connect(e);
    for (let i = 0; i < 9; i++) m.sendLine(`GET /${i} HTTP/1.1`);
    for (let i = 0; i < 9; i++) expect((await m.next()).error).toEqual([20, "Other/Unknown", null]);
    expect(m.closed).toBe(false);
    m.sendLine("still not json");
    await m.waitClosed();
    expect(e.listener.counters).toMatchObject({ offences: 1, bans: 0 });
    expect(e.logLines.some((l) => l.includes("closing a connection from 127.0.0.1: junk input (invalid JSON) (offence 1 of 3 before the address is banned)"))).toBe(true);
    for (let round = 0; round < 2; round++) {
      const j = await connect(e);
      for (let i = 0; i < 10; i++) j.sendLine("junk");
      await j.waitClosed();
    }
    expect(e.listener.counters.bans).toBe(1);
    await expectRefused(e);
    e.clock.t += 601_000; // ban_seconds default 600
    const again = await connect(e);
    expect((await again.request("mining.subscribe", [])).result).toBeDefined();
  });

  test("junk from an address with miners whose shares were accepted closes only the junk connection, never the farm", async () => {
    const e = start();
    e.feed.publish();
    const honest = await cpuMiner(e);
    expect((await honest.submit(honest.mineShare(honest.lastJob!))).result).toBe(true);
    for (let round = 0; round < 5; round++) {
      const j = await connect(e);
      for (let i = 0; i < 10; i++) j.sendLine("junk");
      await j.waitClosed();
    }
    expect(e.listener.counters).toMatchObject({ offences: 5, bans: 0 });
    expect(e.logLines.some((l) => l.includes("the address is not banned: 1 miner(s) with accepted shares use it"))).toBe(true);
    expect((await honest.submit(honest.mineShare(honest.lastJob!))).result).toBe(true);
    const other = await cpuMiner(e);
    expect((await other.submit(other.mineShare(other.lastJob!))).result).toBe(true);
  });

  test("mining.submit before authorize, in a flood, counts as unauthorised requests", async () => {
    const e = start({ limits: { ip_ban_offences: 1 } });
    const m = await connect(e);
    await m.request("mining.subscribe", []);
    for (let i = 0; i < 10; i++) m.sendLine(JSON.stringify({ id: i, method: "mining.submit", params: ["w", "j", "00000000", "00000000", "00000000"] }));
    await m.waitClosed();
    expect(e.edge.guard.list(e.clock.t)).toMatchObject([{ kind: "unauthorized" }]);
  });

  test("unknown methods in a burst count as junk too", async () => {
    const e = start();
    const m = await connect(e);
    for (let i = 0; i < 10; i++) m.sendLine(JSON.stringify({ id: i, method: `mining.nope${i}`, params: [] }));
    await m.waitClosed();
    expect(e.port.counters.unk_err).toBe(10);
  });

  test("requests over max_requests_per_second are all answered: the connection is read more slowly, never closed or banned", async () => {
    const e = start({ limits: { max_requests_per_second: 5 } });
    const m = await connect(e);
    const req = (id: number) => `${JSON.stringify({ id, method: "mining.extranonce.subscribe", params: [] })}\n`;
    m.sendRaw(Array.from({ length: 8 }, (_, i) => req(i)).join(""));
    for (let i = 0; i < 8; i++) expect((await m.next()).id).toBe(i);
    expect(e.listener.counters.rateLimited).toBe(1);
    // Paused: what is sent now waits in the kernel until the budget refills on the edge's clock.
    m.sendRaw(req(8));
    await Bun.sleep(50);
    expect(m.unread).toHaveLength(0);
    e.advance(1000);
    expect((await m.next()).id).toBe(8);
    // A sustained flood of valid requests: paced (one second's budget per second), every one answered.
    for (let round = 0; round < 5; round++) {
      const last = 100 + round * 40 + 39;
      m.sendRaw(Array.from({ length: 40 }, (_, i) => req(100 + round * 40 + i)).join(""));
      for (let t = 0; t < 200 && !m.messages.some((x) => x.id === last); t++) {
        e.advance(1000);
        await Bun.sleep(5);
      }
    }
    expect(m.messages.filter((x) => x.result === true).length).toBe(8 + 1 + 200);
    expect(m.closed).toBe(false);
    expect(e.listener.counters).toMatchObject({ bans: 0, offences: 0 });
  });

  test("max_connections_per_ip refuses the next connection until one closes", async () => {
    const e = start({ limits: { max_connections_per_ip: 3 } });
    const held = await Promise.all([connect(e), connect(e), connect(e)]);
    for (const m of held) await m.request("mining.subscribe", []);
    await expectRefused(e);
    expect(e.listener.counters.refusedPerIp).toBe(1);
    held[0]!.close();
    await held[0]!.waitClosed().catch(() => undefined);
    for (let i = 0; i < 100 && e.port.sessions.size > 2; i++) await Bun.sleep(10);
    const m = await connect(e);
    expect((await m.request("mining.subscribe", [])).result).toBeDefined();
  });

  test("a high invalid-share ratio closes the connection and (here at the first offence) bans the IP", async () => {
    const e = start({ limits: { invalid_window: 10, invalid_ratio: 0.5, ip_ban_offences: 1 } });
    e.feed.publish();
    const m = await cpuMiner(e);
    for (let i = 0; i < 5; i++) expect((await m.submit(m.mineShare(m.lastJob!))).result).toBe(true);
    for (let i = 0; i < 4; i++) expect((await m.submit(m.lowShare(m.lastJob!))).error).toBeTruthy();
    expect(m.closed).toBe(false);
    await m.submit(m.lowShare(m.lastJob!)).catch(() => undefined);
    await m.waitClosed();
    await expectRefused(e);
    expect(e.edge.guard.list(e.clock.t)).toMatchObject([{ kind: "invalid_shares", reason: "5 of the last 10 shares rejected" }]);
  });

  test("stale shares for jobs the miner was given (a block while they travelled) never count toward the ratio", async () => {
    const e = start({ limits: { invalid_window: 10, invalid_ratio: 0.5, ip_ban_offences: 1 } });
    e.feed.publish();
    const m = await cpuMiner(e);
    const old = m.lastJob!;
    const shares = Array.from({ length: 20 }, () => m.mineShare(old));
    e.feed.publish(); // a new block: every share above is now stale
    for (const sh of shares) expect((await m.submit(sh)).error).toEqual([21, "Job not found (=stale)", null]);
    expect(m.closed).toBe(false);
    expect(e.listener.counters.offences).toBe(0);
  });

  test("no input crashes the edge or gets a handler's exception through", async () => {
    const e = start();
    e.feed.publish();
    const m = await connect(e);
    const garbage = [
      "\u0000\u0001\u00ff",
      "{}",
      "null",
      "1e999",
      '"str"',
      '{"id":{"a":[1,2]},"method":"mining.subscribe","params":[{"x":1},[]]}',
      '{"id":1,"method":"mining.authorize","params":[["a"],{"b":2}]}',
      '{"id":2,"method":"mining.configure","params":[null,null]}',
      '{"id":3,"method":"mining.configure","params":[["version-rolling"],{"version-rolling.mask":"zz"}]}',
      '{"id":4,"method":"mining.submit","params":[null,null,null,null,null,null]}',
      '{"id":5,"method":"mining.suggest_difficulty","params":[{"valueOf":1}]}',
      '{"id":6,"method":{"toLowerCase":1}}',
      '{"id":7,"method":"constructor","params":[]}',
      '{"id":8,"method":"__proto__","params":[]}',
      `${"[".repeat(200)}${"]".repeat(200)}`,
    ];
    for (const g of garbage) m.sendLine(g);
    await m.next((x) => x.id === 8);
    expect(m.closed).toBe(false);
    expect(e.logLines.filter((l) => /failed|threw/.test(l))).toEqual([]);
    const ok = await cpuMiner(e);
    expect((await ok.submit(ok.mineShare(ok.lastJob!))).result).toBe(true);
  });
});

describe("slow readers", () => {
  test("a client that stops reading is dropped (per-client queue cap / blocked_write_timeout) and does not delay the others", async () => {
    const e = start({ limits: { blocked_write_timeout: 60 } });
    e.feed.publish();
    const slow = await cpuMiner(e);
    const fast = await cpuMiner(e);
    slow.pause();
    const big = "00".repeat(50_000);
    // The fast client gets every job while the slow one's bytes pile up, ~100 KB a job, until the
    // kernel buffers (~4 MB on loopback here; more elsewhere) and the edge's per-client cap are full.
    for (let batch = 0; batch < 80 && e.listener.counters.blockedDrops === 0; batch++) {
      let last = "";
      for (let i = 0; i < 5; i++) last = e.feed.publish({ type: 1, coinb1: big }).id;
      await fast.next((x) => x.method === "mining.notify" && x.params?.[0] === last, 5000);
      if (batch === 40) e.advance(61_000); // blocked past blocked_write_timeout, if the cap has not dropped it yet
    }
    expect(e.listener.counters.blockedDrops).toBe(1);
    expect(e.port.sessions.size).toBe(1);
    slow.resume(); // a paused socket does not see its reset until it reads again
    await slow.waitClosed(5000);
    expect(fast.closed).toBe(false);
    expect((await fast.submit(fast.mineShare(fast.lastJob!))).result).toBe(true);
  });
});

describe("keepalive and idle (checklist 56–58)", () => {
  test("56: a silent client gets a re-push (new id, clean=false) at last push + push_job_interval − seed", async () => {
    const e = start({ push_job_interval: 30 });
    e.feed.publish();
    const m = await cpuMiner(e);
    e.advance(29_999);
    await Bun.sleep(10);
    expect(m.unread.some((x) => x.method === "mining.notify")).toBe(false);
    e.advance(1);
    const job = await m.nextJob();
    expect(job.clean).toBe(false);
    expect(job.id).not.toBe([...m.jobs.keys()][0]);
  });

  test("56: with the largest seed the re-push comes at about two thirds of push_job_interval", async () => {
    const e = start({ push_job_interval: 30 }, () => 0.999999);
    e.feed.publish();
    const m = await cpuMiner(e);
    e.advance(19_999);
    await Bun.sleep(10);
    expect(m.unread.some((x) => x.method === "mining.notify")).toBe(false);
    e.advance(2);
    expect((await m.nextJob()).clean).toBe(false);
  });

  test("keepalive uses the intended absolute deadline: active miners get it too (fix of spec §15 item 8)", async () => {
    const e = start({ push_job_interval: 30 });
    e.feed.publish();
    const m = await cpuMiner(e);
    for (let t = 0; t < 30_000; t += 5_000) {
      await m.submit(m.mineShare(m.lastJob!));
      e.advance(5_000);
    }
    expect((await m.nextJob()).clean).toBe(false);
  });

  test("57, 58: idle after idle_worker_threshold, active again on a submit, disconnected after the disconnect threshold", async () => {
    const e = start({ push_job_interval: 30, idle_worker_threshold: 60, idle_worker_disconnect_threshold: 120 });
    e.feed.publish();
    const m = await cpuMiner(e);
    e.advance(61_000);
    expect(e.edge.status.ports()[0]!.idle).toBe(1);
    await m.submit(m.mineShare(m.lastJob!));
    expect(e.edge.status.ports()[0]!.idle).toBe(0);
    e.advance(61_000);
    expect(e.edge.status.ports()[0]!.idle).toBe(1);
    e.advance(60_000);
    await m.waitClosed();
    expect(e.logLines.some((l) => l.includes(`Disconnecting worker ${BTC_ADDRESS}.w at ip 127.0.0.1 for inactivity`))).toBe(true);
    expect(e.edge.status.ports()[0]).toMatchObject({ clients: 0, authed: 0, idle: 0 });
  });

  test("an unauthorized socket is closed after idle_worker_threshold, not the disconnect threshold (fix of spec §15 item 3)", async () => {
    const e = start({ idle_worker_threshold: 60, idle_worker_disconnect_threshold: 3600 });
    const m = await connect(e);
    await m.request("mining.subscribe", []);
    e.advance(61_000);
    await m.waitClosed();
  });
});
