/**
 * @module A SUB-only ZeroMQ client (ZMTP 3.0, NULL mechanism, https://rfc.zeromq.org/spec/23/) over
 * one TCP connection, for a coinserver's `-zmqpubhashblock` publisher.
 *
 * Written by hand because npm `zeromq` 6.8.0 aborts the process under Bun 1.4.5 as soon as a socket
 * is created ("panic: unsupported uv function: uv_poll_init_socket"), and a subscriber needs only a
 * small part of the protocol: the 64-byte greeting, a READY command each way, a subscription message
 * (ZMTP 3.0 style, 0x01 + topic, which libzmq 4.x accepts from a 3.0 peer) and reading frames.
 *
 * It reconnects by itself with back-off; `onState` reports up/down, `onMessage` every complete
 * multipart message. Frames over `maxFrame` bytes, or messages of more than 64 frames, end the
 * connection (a publisher of block hashes never sends them), so a wrong peer cannot make it
 * buffer without bound.
 */
import { connect, type Socket } from "node:net";

export interface ZmtpSubOptions {
  /** `tcp://host:port`. */
  readonly endpoint: string;
  /** Topics to subscribe to (prefix match, as ZeroMQ does). */
  readonly topics: readonly string[];
  onMessage(frames: Buffer[]): void;
  /** `up` after the handshake; `down` with the reason on every loss (and on a failed connect). */
  onState(up: boolean, reason: string): void;
  readonly reconnectMinMs?: number;
  readonly reconnectMaxMs?: number;
  readonly maxFrame?: number;
  /** A peer that accepts the connection but completes no handshake within this is dropped; default 5 s. */
  readonly handshakeMs?: number;
}

const FLAG_MORE = 0x01;
const FLAG_LONG = 0x02;
const FLAG_COMMAND = 0x04;
/** Frames per message at most: a block publisher sends 3. */
const MAX_PARTS = 64;

/** Parses `tcp://host:port` (host may be `[v6]`); throws a RangeError naming what was expected. */
export function parseTcpEndpoint(endpoint: string): { host: string; port: number } {
  const m = /^tcp:\/\/(\[[0-9a-fA-F:.]+\]|[^:/\s]+):(\d{1,5})$/.exec(endpoint);
  const port = m ? Number(m[2]) : 0;
  if (!m || port < 1 || port > 65535) throw new RangeError(`expected a ZeroMQ endpoint tcp://host:port, got ${JSON.stringify(endpoint)}`);
  return { host: m[1]!.replace(/^\[|\]$/g, ""), port };
}

function greeting(): Buffer {
  const g = Buffer.alloc(64);
  g[0] = 0xff;
  g[9] = 0x7f;
  g[10] = 3; // version 3.0
  g[11] = 0;
  g.write("NULL", 12, "ascii");
  return g; // as-server 0, filler zero
}

function frame(body: Buffer, flags: number): Buffer {
  if (body.length <= 255) return Buffer.concat([Buffer.from([flags, body.length]), body]);
  const head = Buffer.alloc(9);
  head[0] = flags | FLAG_LONG;
  head.writeBigUInt64BE(BigInt(body.length), 1);
  return Buffer.concat([head, body]);
}

function readyCommand(): Buffer {
  const name = Buffer.from("Socket-Type", "ascii");
  const value = Buffer.from("SUB", "ascii");
  const len = Buffer.alloc(4);
  len.writeUInt32BE(value.length);
  return frame(Buffer.concat([Buffer.from([5]), Buffer.from("READY", "ascii"), Buffer.from([name.length]), name, len, value]), FLAG_COMMAND);
}

/** Reads the metadata of a READY command body; throws unless it is one. */
function parseReady(body: Buffer): Map<string, string> {
  const nameLen = body[0] ?? 0;
  if (body.subarray(1, 1 + nameLen).toString("ascii") !== "READY") throw new Error(`expected a READY command, got ${JSON.stringify(body.subarray(1, 1 + nameLen).toString("latin1"))}`);
  const props = new Map<string, string>();
  let i = 1 + nameLen;
  while (i < body.length) {
    const n = body[i]!;
    const key = body.subarray(i + 1, i + 1 + n).toString("ascii");
    i += 1 + n;
    if (i + 4 > body.length) throw new Error("truncated READY metadata");
    const vlen = body.readUInt32BE(i);
    props.set(key.toLowerCase(), body.subarray(i + 4, i + 4 + vlen).toString("latin1"));
    i += 4 + vlen;
  }
  return props;
}

export class ZmtpSubscriber {
  private readonly host: string;
  private readonly port: number;
  private socket: Socket | null = null;
  private running = false;
  private up = false;
  private retryMs: number;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private buf: Buffer = Buffer.alloc(0);
  private stage: "greeting" | "ready" | "messages" = "greeting";
  private parts: Buffer[] = [];

  constructor(private readonly o: ZmtpSubOptions) {
    ({ host: this.host, port: this.port } = parseTcpEndpoint(o.endpoint));
    this.retryMs = o.reconnectMinMs ?? 100;
  }

  get connected(): boolean {
    return this.up;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.open();
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.retryTimer);
    this.socket?.destroy();
    this.socket = null;
  }

  private open(): void {
    this.buf = Buffer.alloc(0);
    this.stage = "greeting";
    this.parts = [];
    const s = connect({ host: this.host, port: this.port, noDelay: true });
    this.socket = s;
    let failed = false;
    const fail = (reason: string) => {
      if (failed) return;
      failed = true;
      clearTimeout(handshake);
      s.destroy();
      if (this.socket !== s) return;
      this.socket = null;
      const wasUp = this.up;
      this.up = false;
      if (!this.running) return;
      this.o.onState(false, wasUp ? reason : `${reason} (not connected)`);
      this.retryTimer = setTimeout(() => this.open(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, this.o.reconnectMaxMs ?? 5000);
    };
    const handshake = setTimeout(() => {
      if (!this.up) fail(`no ZMTP handshake from ${this.o.endpoint} within ${this.o.handshakeMs ?? 5000} ms`);
    }, this.o.handshakeMs ?? 5000);
    s.on("connect", () => s.write(greeting()));
    s.on("data", (chunk: Buffer) => {
      try {
        this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
        this.parse(s);
      } catch (e) {
        fail(`protocol error from ${this.o.endpoint}: ${(e as Error).message}`);
      }
    });
    s.on("error", (e: Error) => fail(`${e.message}`));
    s.on("close", () => fail(`connection to ${this.o.endpoint} closed`));
  }

  private parse(s: Socket): void {
    if (this.stage === "greeting") {
      if (this.buf.length < 64) {
        // The signature comes first; reject a non-ZMTP peer without waiting for 64 bytes.
        if (this.buf.length >= 1 && this.buf[0] !== 0xff) throw new Error("not a ZeroMQ peer (bad greeting signature)");
        return;
      }
      if (this.buf[0] !== 0xff || this.buf[9] !== 0x7f) throw new Error("not a ZeroMQ peer (bad greeting signature)");
      if ((this.buf[10] ?? 0) < 3) throw new Error(`expected ZMTP 3.x, got version ${this.buf[10]}.${this.buf[11]}`);
      const mech = this.buf.subarray(12, 32).toString("ascii").replace(/\0+$/, "");
      if (mech !== "NULL") throw new Error(`expected the NULL security mechanism, got ${mech}`);
      this.buf = this.buf.subarray(64);
      s.write(readyCommand());
      this.stage = "ready";
    }
    for (;;) {
      const f = this.nextFrame();
      if (f === null) return;
      if (this.stage === "ready") {
        if (!f.command) throw new Error("expected a READY command after the greeting");
        const type = parseReady(f.body).get("socket-type");
        if (type !== "PUB" && type !== "XPUB") throw new Error(`expected a PUB socket, got ${type ?? "none"}`);
        for (const t of this.o.topics) s.write(frame(Buffer.concat([Buffer.from([1]), Buffer.from(t, "latin1")]), 0));
        this.stage = "messages";
        this.up = true;
        this.retryMs = this.o.reconnectMinMs ?? 100;
        this.o.onState(true, `subscribed to ${this.o.topics.join(", ")} at ${this.o.endpoint}`);
        continue;
      }
      if (f.command) continue; // PING/PONG and the like: nothing for a subscriber to do
      this.parts.push(f.body);
      if (this.parts.length > MAX_PARTS) throw new Error(`a message of more than ${MAX_PARTS} frames`);
      if (f.more) continue;
      const parts = this.parts;
      this.parts = [];
      this.o.onMessage(parts);
    }
  }

  private nextFrame(): { body: Buffer; more: boolean; command: boolean } | null {
    const b = this.buf;
    if (b.length < 2) return null;
    const flags = b[0]!;
    if (flags & 0xf8) throw new Error(`bad frame flags 0x${flags.toString(16)}`);
    let size: number;
    let head: number;
    if (flags & FLAG_LONG) {
      if (b.length < 9) return null;
      const big = b.readBigUInt64BE(1);
      if (big > BigInt(this.o.maxFrame ?? 1 << 20)) throw new Error(`frame of ${big} bytes is over the ${this.o.maxFrame ?? 1 << 20} limit`);
      size = Number(big);
      head = 9;
    } else {
      size = b[1]!;
      head = 2;
    }
    if (size > (this.o.maxFrame ?? 1 << 20)) throw new Error(`frame of ${size} bytes is over the ${this.o.maxFrame ?? 1 << 20} limit`);
    if (b.length < head + size) return null;
    const body = Buffer.from(b.subarray(head, head + size));
    this.buf = b.subarray(head + size);
    return { body, more: (flags & FLAG_MORE) !== 0, command: (flags & FLAG_COMMAND) !== 0 };
  }
}
