import { describe, expect, test } from "bun:test";
import type { Socket } from "bun";
import { captureLog } from "../../test/helpers/log-capture.ts";
import type { LineHandler } from "../stratum/transport.ts";
import { Connection, type ConnectionContext, type ListenerCounters } from "./connection.ts";
import { LineFramer } from "./framing.ts";
import { IpConnections, IpGuard, normalizeIp, takeToken } from "./ip-guard.ts";
import { WriteQueue, type ByteSink } from "./write-queue.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

function frame(framer: LineFramer, ...chunks: string[]): { lines: string[]; results: string[] } {
  const lines: string[] = [];
  const results = chunks.map((c) => framer.push(bytes(c), (l) => (lines.push(l), true)));
  return { lines, results };
}

describe("LineFramer", () => {
  test("lines split over chunks and several lines per chunk", () => {
    const { lines } = frame(new LineFramer(100), '{"a":', "1}\n{", '"b":2}\n{"c":3}\n', "x");
    expect(lines).toEqual(['{"a":1}', '{"b":2}', '{"c":3}']);
  });
  test("a multi-byte character split across chunks survives", () => {
    const all = bytes("é€\n");
    const f = new LineFramer(100);
    const lines: string[] = [];
    for (const b of all) f.push(Uint8Array.of(b), (l) => (lines.push(l), true));
    expect(lines).toEqual(["é€"]);
  });
  test("a line longer than the cap overflows as soon as it is known, complete or not", () => {
    expect(frame(new LineFramer(8), "123456789\n").results).toEqual(["overflow"]);
    expect(frame(new LineFramer(8), "12345", "6789").results).toEqual(["ok", "overflow"]);
    expect(frame(new LineFramer(8), "12345678\n").results).toEqual(["ok"]);
  });
  test("stops when the handler says so", () => {
    const f = new LineFramer(100);
    const seen: string[] = [];
    expect(f.push(bytes("a\nb\nc\n"), (l) => (seen.push(l), l !== "b"))).toBe("stopped");
    expect(seen).toEqual(["a", "b"]);
  });
});

/** A socket double that accepts `room` bytes, then nothing until given more. */
class SlowSink implements ByteSink {
  received: number[] = [];
  constructor(public room: number) {}
  write(data: string | Uint8Array, off = 0, len?: number): number {
    const b = typeof data === "string" ? bytes(data) : data.subarray(off, len === undefined ? undefined : off + len);
    const n = Math.min(this.room, b.length);
    this.received.push(...b.subarray(0, n));
    this.room -= n;
    return n;
  }
}

describe("WriteQueue", () => {
  test("a partial write queues the rest in order and flushes it on drain", () => {
    const sink = new SlowSink(3);
    const q = new WriteQueue(sink);
    expect(q.send("hello\n", 1)).toBe(true);
    expect(q.send(bytes("world\n"), 2)).toBe(true);
    expect(q.queuedBytes).toBe(9);
    expect(q.blockedSince).toBe(1);
    sink.room = 4;
    q.flush();
    sink.room = 100;
    q.flush();
    expect(new TextDecoder().decode(Uint8Array.from(sink.received))).toBe("hello\nworld\n");
    expect(q.blockedSince).toBe(0);
  });
  test("non-ASCII strings are queued by bytes, not characters", () => {
    const sink = new SlowSink(2);
    const q = new WriteQueue(sink);
    q.send("é€\n", 0);
    sink.room = 100;
    q.flush();
    expect(new TextDecoder().decode(Uint8Array.from(sink.received))).toBe("é€\n");
  });
  test("a client over the byte cap or blocked too long is to be dropped", () => {
    const q = new WriteQueue(new SlowSink(0), 10);
    expect(q.send("12345", 100)).toBe(true);
    expect(q.blockedTooLong(100 + 60_000, 60_000)).toBe(false);
    expect(q.blockedTooLong(100 + 60_001, 60_000)).toBe(true);
    expect(q.send("678901", 101)).toBe(false);
  });
  test("a closed socket (-1) reports failure", () => {
    const q = new WriteQueue({ write: () => -1 });
    expect(q.send("x\n", 0)).toBe(false);
  });
});

describe("IP guard", () => {
  const limits = { ban_seconds: 600, ip_ban_offences: 3 };
  test("offences close connections; the third within ban_seconds bans the address, with its reason; bans expire", () => {
    const g = new IpGuard();
    expect(g.offence("1.2.3.4", "junk", "junk input (x)", "main", 0, limits)).toEqual({ banned: false, offences: 1, honest: 0 });
    expect(g.offence("1.2.3.4", "junk", "junk input (x)", "main", 1, limits).banned).toBe(false);
    const r = g.offence("1.2.3.4", "oversize_line", "line longer than 4096 bytes", "main", 2, limits);
    expect(r).toEqual({ banned: true, entry: { ip: "1.2.3.4", kind: "oversize_line", reason: "line longer than 4096 bytes", port: "main", since: 2, until: 600_002 } });
    expect(g.isBanned("1.2.3.4", 600_001)).toBe(true);
    expect(g.isBanned("1.2.3.4", 600_002)).toBe(false);
    expect(g.bansByKind.oversize_line).toBe(1);
    expect(g.closesByKind.junk).toBe(2);
  });
  test("offences further apart than ban_seconds do not add up", () => {
    const g = new IpGuard();
    for (let i = 0; i < 5; i++) expect(g.offence("a", "junk", "x", "main", i * 601_000, limits).banned).toBe(false);
  });
  test("an address with miners whose shares were accepted is never banned; its offending connections are only closed", () => {
    const g = new IpGuard();
    g.honest("nat", 1);
    for (let i = 0; i < 10; i++) expect(g.offence("nat", "junk", "x", "main", i, limits)).toMatchObject({ banned: false, honest: 1 });
    g.honest("nat", -1);
    expect(g.offence("nat", "junk", "x", "main", 11, limits).banned).toBe(true);
  });
  test("the operator lifts a ban; the list shows active bans newest first; purge forgets expired ones", () => {
    const g = new IpGuard();
    for (const ip of ["a", "b"]) for (let i = 0; i < 3; i++) g.offence(ip, "junk", "x", "main", ip === "a" ? 0 : 5, limits);
    expect(g.list(10).map((b) => b.ip)).toEqual(["b", "a"]);
    expect(g.lift("a")).toBe(true);
    expect(g.lift("a")).toBe(false);
    expect(g.isBanned("a", 10)).toBe(false);
    expect(g.lifted).toBe(1);
    g.purge(700_000, 600_000);
    expect(g.size).toBe(0);
  });
  test("per-IP connection counts: a tight limit for sockets not authorised, a generous one overall", () => {
    const c = new IpConnections();
    expect(c.acquire("a", 5, 2)).toBeNull();
    expect(c.acquire("a", 5, 2)).toBeNull();
    expect(c.acquire("a", 5, 2)).toBe("unauthorized");
    c.authorized("a");
    c.authorized("a");
    expect(c.acquire("a", 5, 2)).toBeNull();
    expect(c.acquire("a", 5, 2)).toBeNull();
    expect(c.acquire("a", 5, 2)).toBe("unauthorized");
    c.release("a", false);
    expect(c.acquire("a", 5, 2)).toBeNull();
    expect(c.acquire("a", 4, 5)).toBe("total");
    expect(c.count("a")).toBe(4);
    c.release("a", true);
    expect(c.count("a")).toBe(3);
    expect(normalizeIp("::ffff:127.0.0.1")).toBe("127.0.0.1");
    expect(normalizeIp(undefined)).toBe("unknown");
  });
  test("request budget: one second's worth, refilled over time", () => {
    const r = { tokens: 5, tokensAt: 0 };
    let ok = 0;
    for (let i = 0; i < 10; i++) if (takeToken(r, 5, 0)) ok++;
    expect(ok).toBe(5);
    expect(takeToken(r, 5, 199)).toBe(false);
    expect(takeToken(r, 5, 200)).toBe(true);
  });
});

/** The socket calls a Connection makes, recorded; writes are taken whole unless `room` is lowered. */
class FakeSocket {
  readonly writes: (string | Uint8Array)[] = [];
  readonly calls: string[] = [];
  /** Bytes the kernel buffer takes before a write comes up short. */
  room = Infinity;
  /** Every byte taken, in order. */
  received = "";
  write(data: string | Uint8Array, offset = 0, length?: number): number {
    const b = typeof data === "string" ? bytes(data) : data.subarray(offset, length === undefined ? undefined : offset + length);
    const n = Math.min(this.room, b.length);
    this.room -= n;
    this.received += new TextDecoder().decode(b.subarray(0, n));
    this.writes.push(typeof data === "string" ? data : b.slice());
    this.calls.push("write");
    return n;
  }
  end(): void {
    this.calls.push("end");
  }
  terminate(): void {
    this.calls.push("terminate");
  }
  timeout(): void {}
  pause(): boolean {
    this.calls.push("pause");
    return true;
  }
  resume(): boolean {
    this.calls.push("resume");
    return true;
  }
}

function connection(onRequest: (conn: Connection, id: string, method: string) => void, maxLineBytes = 4096, now = () => 1_000): { conn: Connection; socket: FakeSocket; counters: ListenerCounters } {
  const socket = new FakeSocket();
  const counters = { oversizedLines: 0, bans: 0, offences: 0, blockedDrops: 0, rateLimited: 0, backpressured: 0, junk: 0 } as ListenerCounters;
  const ctx: ConnectionContext = {
    limits: { max_line_bytes: maxLineBytes, ban_seconds: 600, ip_ban_offences: 3, blocked_write_timeout: 60, max_requests_per_second: 1000 },
    portKey: "main",
    guard: new IpGuard(),
    counters,
    log: captureLog("test").log,
    now,
    released() {},
    authorized() {},
    admit: () => true,
  };
  const conn = new Connection(socket as unknown as Socket<Connection>, "127.0.0.1", 0, ctx);
  const handler: LineHandler = { request: (id, method) => onRequest(conn, id, method), malformed() {}, closed() {} };
  conn.handler = handler;
  return { conn, socket, counters };
}

const req = (id: number) => `{"id":${id},"method":"mining.submit","params":[]}\n`;

describe("Connection output", () => {
  test("the replies to one chunk go out in one write, in order", () => {
    const { conn, socket } = connection((c, id) => c.send(`reply ${id}\n`));
    conn.data(bytes(req(1) + req(2) + req(3)));
    expect(socket.writes).toEqual(["reply 1\nreply 2\nreply 3\n"]);
  });

  test("a shared byte line sent for a chunk follows its text uncopied; sends outside a chunk go at once", () => {
    const notify = bytes("notify\n");
    const { conn, socket } = connection((c, id) => {
      c.send(`ok ${id}\n`);
      c.send(`diff ${id}\n`);
      c.send(notify);
      c.send(`after ${id}\n`);
    });
    conn.data(bytes(req(7)));
    expect(socket.writes).toEqual(["ok 7\ndiff 7\n", notify, "after 7\n"]);
    conn.send(notify);
    expect(socket.writes.length).toBe(4);
    expect(socket.writes[3]).toEqual(notify);
  });

  test("a graceful close while handling a chunk still delivers the replies before it; an abort drops them", () => {
    const graceful = connection((c, id) => {
      c.send(`reply ${id}\n`);
      if (id === "2") c.close("done");
    });
    graceful.conn.data(bytes(req(1) + req(2) + req(3)));
    expect(graceful.socket.writes).toEqual(["reply 1\nreply 2\n"]);
    expect(graceful.socket.calls).toEqual(["write", "end"]);

    const abort = connection((c, id) => {
      c.send(`reply ${id}\n`);
      if (id === "2") c.close("bad", "abort");
    });
    abort.conn.data(bytes(req(1) + req(2)));
    expect(abort.socket.calls).toEqual(["terminate"]);
  });
});

describe("Connection framing and queueing across chunks (per-connection framer and queue only while needed)", () => {
  test("lines split across chunks arrive whole and in order, while other connections frame whole chunks in between", () => {
    const seen: string[] = [];
    const a = connection((_c, id) => seen.push(`a${id}`));
    const b = connection((_c, id) => seen.push(`b${id}`));
    const [a1, a2] = [req(1), req(2)];
    a.conn.data(bytes(a1 + a2.slice(0, 10)));
    b.conn.data(bytes(req(7) + req(8)));
    a.conn.data(bytes(a2.slice(10, 20)));
    b.conn.data(bytes(req(9)));
    a.conn.data(bytes(a2.slice(20) + req(3)));
    expect(seen).toEqual(["a1", "b7", "b8", "b9", "a2", "a3"]);
  });

  test("a short write queues the rest in order; drain sends it; later sends go straight out again", () => {
    const { conn, socket } = connection(() => {});
    socket.room = 5;
    conn.send("hello world\n");
    conn.send(bytes("queued\n"));
    expect(socket.received).toBe("hello");
    // The second send waited behind the first one's rest, and the connection stopped reading (backpressure).
    expect(socket.calls).toEqual(["write", "pause"]);
    socket.room = Infinity;
    conn.drain();
    expect(socket.received).toBe("hello world\nqueued\n");
    conn.send("after\n");
    expect(socket.received).toBe("hello world\nqueued\nafter\n");
    // 1 short write, 2 flushed chunks, reading again, 1 direct write.
    expect(socket.calls).toEqual(["write", "pause", "write", "write", "resume", "write"]);
  });

  test("over max_requests_per_second every line is still answered, and the connection stops reading until the budget refills", () => {
    let t = 1_000;
    const answered: string[] = [];
    const { conn, socket, counters } = connection((c, id) => (answered.push(id), c.send(`ok ${id}\n`)), 4096, () => t);
    const burst = Array.from({ length: 1500 }, (_, i) => req(i)).join("");
    conn.data(bytes(burst));
    expect(answered.length).toBe(1500);
    expect(counters.rateLimited).toBe(1);
    expect(conn.isPaused).toBe(true);
    expect(socket.calls.filter((c) => c === "terminate")).toEqual([]);
    conn.sweep(t + 100); // 100 tokens back of the 501 owed
    expect(conn.isPaused).toBe(true);
    t += 600;
    conn.sweep(t);
    expect(conn.isPaused).toBe(false);
    expect(socket.calls.slice(-1)).toEqual(["resume"]);
  });

  test("a line over the cap is refused even when it arrives in pieces", () => {
    const { conn, socket, counters } = connection(() => {}, 16);
    conn.data(bytes('{"id":1,"me'));
    conn.data(bytes('thod":"x"}'));
    expect(counters.oversizedLines).toBe(1);
    expect(socket.calls).toEqual(["terminate"]);
  });
});
