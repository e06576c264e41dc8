/**
 * @module One TCP (or TLS) connection: framing, the request-rate budget, junk strikes, the write queue,
 * backpressure and closing. Everything here is about bytes and abuse; what a request means is the
 * LineHandler's.
 *
 * Backpressure, never punishment, for a client that is merely fast: every line received is
 * answered, and the connection stops reading from its socket (TCP then slows the miner down) while
 * it is over `max_requests_per_second`, while replies wait in its write queue, or while many share
 * checks are still pending (`hold`). Reading resumes when the budget refills (the port timer) or the
 * output drains. Only junk, oversize lines and invalid-share ratios count against a client
 * (ip-guard.ts says how connections and then addresses are closed and banned).
 *
 * Before its first request, a connection on a port with PROXY protocol or TLS is in its preamble
 * (preamble.ts): the first bytes name the client's address and say whether it speaks TLS, and only
 * then is it admitted (bans, per-IP limits); over TLS it writes to and reads through a TlsLayer
 * (tls.ts) instead of the socket, with the same framing, limits and backpressure.
 *
 * Output sent while a received chunk is being handled is corked: a miner that pipelines submits
 * gets all the replies to one chunk in one `write()` instead of one system call per reply (on the
 * saturated benchmark those calls were ~40% of the edge's CPU). Sends outside a chunk (job pushes,
 * replies to hashes finished on worker threads) are written at once.
 *
 * Memory: an edge holds one of these per miner, most of them idle, so a connection is one flat
 * object and everything else is allocated only while needed: a line framer while a line is split
 * across chunks (complete chunks go through one framer shared by the listener's connections), a
 * write queue while the socket is blocked, corked output while a chunk is handled. One module-level
 * callback routes framed lines to the connection being read, so no closure is kept per connection.
 */
import type { Socket } from "bun";
import type { Logger } from "../../shared/log.ts";
import { idJson } from "../stratum/replies.ts";
import type { LineHandler, Transport } from "../stratum/transport.ts";
import { decodeLine, LineFramer } from "./framing.ts";
import { JUNK_STRIKES_BEFORE_BAN, JUNK_WINDOW_MS, refill, type IpGuard, type OffenceKind, type TokenBucket } from "./ip-guard.ts";
import { Preamble, PREAMBLE_TIMEOUT_MS, type PreambleOptions } from "./preamble.ts";
import { TlsLayer, type RawSocket } from "./tls.ts";
import type { SecureContext } from "node:tls";
import { WriteQueue, writeNow } from "./write-queue.ts";

export interface ConnectionLimits {
  readonly max_line_bytes: number;
  readonly ban_seconds: number;
  readonly ip_ban_offences: number;
  readonly blocked_write_timeout: number;
  readonly max_requests_per_second: number;
}

/** Listener-level counts of what was refused or dropped, by reason. */
export interface ListenerCounters {
  connects: number;
  disconnects: number;
  refusedBanned: number;
  refusedPerIp: number;
  /** Refused because the address already had `max_unauthorized_per_ip` sockets not authorised. */
  refusedUnauthorized: number;
  /** Addresses banned from this port (see also `offences`). */
  bans: number;
  /** Connections closed for abuse (junk, oversize line, invalid shares), banned or not. */
  offences: number;
  junk: number;
  /** Times a connection stopped reading because it was over `max_requests_per_second` (no penalty). */
  rateLimited: number;
  /** Times a connection stopped reading while its replies or share checks drained. */
  backpressured: number;
  /** Connections closed for their PROXY header (untrusted, malformed, missing where required). */
  proxyRejected: number;
  /** Connections served over TLS, and TLS failures (bad handshakes, plain text on a TLS-only port). */
  tlsConnections: number;
  tlsErrors: number;
  oversizedLines: number;
  blockedDrops: number;
  /** Connections reset by the peer before they were set up (no remote address left): nothing to serve, not an error. */
  resetBeforeSetup: number;
}

export interface ConnectionContext {
  readonly limits: ConnectionLimits;
  /** The stratum port key (ban records name it). */
  readonly portKey: string;
  readonly guard: IpGuard;
  readonly counters: ListenerCounters;
  readonly log: Logger;
  now(): number;
  /** Called once when the connection is finished, before the handler hears of it. */
  released(conn: Connection): void;
  /** The connection's miner authorised (per-IP counts). */
  authorized(conn: Connection): void;
  /** The port's current TLS certificate (TLS ports), read when a connection starts its handshake. */
  tlsContext?(): SecureContext;
  /**
   * Admission once the client's address is known (after a PROXY header): bans, per-IP limits, the
   * protocol handler. False when refused (the connection is closed by then).
   */
  admit(conn: Connection): boolean;
}

const NO_PARAMS: readonly unknown[] = Object.freeze([]);

/** Why a connection is not reading (a bit each); it reads again when none is left. */
const PAUSE_RATE = 1;
const PAUSE_WRITE = 2;
const PAUSE_HOLD = 4;

/** The connection whose chunk is being framed and when that chunk arrived (event handlers do not nest). */
let reading: Connection | undefined;
let readAt = 0;
const onLine = (bytes: Uint8Array, start: number, end: number): boolean => reading!.line(bytes, start, end);

/** Framers for chunks that end on a line boundary, by line cap: they hold no state between chunks. */
const sharedFramers = new Map<number, LineFramer>();
function sharedFramer(maxLineBytes: number): LineFramer {
  let f = sharedFramers.get(maxLineBytes);
  if (!f) sharedFramers.set(maxLineBytes, (f = new LineFramer(maxLineBytes)));
  return f;
}

export class Connection implements Transport, TokenBucket {
  handler: LineHandler | undefined;
  closed = false;
  private finished = false;
  /** Only while a line is split across chunks. */
  private framer: LineFramer | undefined;
  /** Only while the socket is blocked. */
  private out: WriteQueue | undefined;
  /** The request-rate token bucket (ip-guard.ts). */
  tokens: number;
  tokensAt: number;
  private strikes = 0;
  private strikesSince = 0;
  /** True while a received chunk is handled; `corked` collects the text sent meanwhile. */
  private corking = false;
  private corked: string | undefined;
  /** PAUSE_* bits. */
  private paused = 0;
  /** Authorised (counts against the per-IP total only) and honest (authorised with a share accepted). */
  isAuthorized = false;
  isHonest = false;
  /** The client's address: the peer's, or the one a trusted proxy's PROXY header named. */
  ip: string;
  /** Counted against per-IP limits and served; false while a PROXY header is awaited. */
  admitted = false;
  /** Only while the bytes before admission are being decided (preamble.ts). */
  private preamble: Preamble | undefined;
  /** What this connection writes to: the TCP socket, or its TLS layer. */
  private socket: RawSocket;
  /** Only on a TLS connection. */
  private tls: TlsLayer | undefined;

  constructor(
    private readonly raw: Socket<Connection>,
    /** The TCP peer's address (a load balancer's, behind one). */
    readonly peerIp: string,
    readonly connectedAt: number,
    private readonly ctx: ConnectionContext,
  ) {
    this.ip = peerIp;
    this.socket = raw;
    this.tokens = ctx.limits.max_requests_per_second;
    this.tokensAt = connectedAt;
  }

  /** Holds the connection back until its first bytes say whether a PROXY header comes first and whether it speaks TLS. */
  awaitPreamble(o: PreambleOptions): void {
    this.preamble = new Preamble(o);
  }

  /** True once the connection speaks TLS. */
  get isTls(): boolean {
    return this.tls !== undefined;
  }

  /** Bytes arrived from the socket. */
  data(chunk: Uint8Array): void {
    if (this.closed) return;
    if (this.preamble) this.decidePreamble(this.preamble, chunk);
    else if (this.tls) this.tls.push(chunk);
    else this.plain(chunk);
  }

  /** Plain-text bytes: from the socket, or decrypted by the TLS layer. */
  private plain(chunk: Uint8Array): void {
    if (this.closed) return;
    const max = this.ctx.limits.max_line_bytes;
    const previous = reading;
    const previousAt = readAt;
    reading = this;
    readAt = this.ctx.now();
    const now = readAt;
    this.corking = true;
    let framed;
    try {
      // A chunk ending in "\n" with nothing pending leaves no state behind: the shared framer does.
      const own = this.framer ?? (chunk[chunk.length - 1] === 0x0a ? undefined : (this.framer = new LineFramer(max)));
      framed = (own ?? sharedFramer(max)).pushLines(chunk, onLine);
      if (own && own.pendingBytes === 0) this.framer = undefined;
    } finally {
      reading = previous;
      readAt = previousAt;
    }
    this.uncork();
    if (framed === "overflow") {
      this.framer = undefined;
      this.ctx.counters.oversizedLines++;
      this.offend("oversize_line", `line longer than ${max} bytes`, now);
      return;
    }
    // Every line of the chunk was answered; over the budget, the next chunk waits until it refills.
    if (this.tokens < 0 && !this.closed) {
      this.ctx.counters.rateLimited++;
      this.pause(PAUSE_RATE);
    }
  }

  private decidePreamble(p: Preamble, chunk: Uint8Array): void {
    const step = p.push(chunk);
    if (step.kind === "wait") return;
    this.preamble = undefined;
    const { ctx } = this;
    if (step.kind === "reject") {
      if (step.reply !== undefined) {
        // Plain text on a TLS-only port: one line the miner can show, then close (debug: scanners do this all day).
        ctx.counters.tlsErrors++;
        if (ctx.log.enabled("debug")) ctx.log.debug(`closing a connection from ${this.ip}: ${step.reason}`, { port: ctx.portKey });
        writeNow(this.raw, step.reply);
        this.close(step.reason);
        return;
      }
      ctx.counters.proxyRejected++;
      ctx.log.notice(`closing a connection from ${this.peerIp}: ${step.reason}`, { port: ctx.portKey });
      this.close(step.reason, "abort");
      return;
    }
    if (step.ip !== null) this.ip = step.ip;
    if (step.header !== null && ctx.log.enabled("debug")) ctx.log.debug(`PROXY ${step.header} header from ${this.peerIp}: client ${this.ip}`);
    if (!ctx.admit(this)) return;
    if (step.tls) this.startTls(step.rest);
    else if (step.rest.length > 0) this.plain(step.rest);
  }

  /** From here on the socket's bytes are TLS records; `first` holds the first of them. */
  private startTls(first: Uint8Array): void {
    const { ctx } = this;
    const context = ctx.tlsContext?.();
    if (!context) {
      this.close("TLS is not configured on this port", "abort");
      return;
    }
    ctx.counters.tlsConnections++;
    const layer = new TlsLayer(
      this.raw,
      context,
      {
        data: (bytes) => this.plain(bytes),
        drained: () => this.drain(),
        failed: (reason) => {
          ctx.counters.tlsErrors++;
          // Debug: a client that rejects the certificate or a scanner fails here; nothing for the operator to act on.
          if (ctx.log.enabled("debug")) ctx.log.debug(`TLS from ${this.ip} failed: ${reason}`, { port: ctx.portKey });
          this.close(`TLS: ${reason}`, "abort");
        },
      },
      ctx.now,
    );
    this.tls = layer;
    this.socket = layer;
    layer.push(first);
  }

  /** Stops reading for `why` (a PAUSE_* bit). */
  private pause(why: number): void {
    if (this.paused === 0 && !this.closed) this.socket.pause();
    this.paused |= why;
  }

  /** Reading may resume as far as `why` is concerned. */
  private unpause(why: number): void {
    if ((this.paused & why) === 0) return;
    this.paused &= ~why;
    if (this.paused === 0 && !this.closed) this.socket.resume();
  }

  /** True while the connection is not reading its socket. */
  get isPaused(): boolean {
    return this.paused !== 0;
  }

  /** The handler has many share checks pending (true) or has caught up (false): read no more meanwhile. */
  hold(on: boolean): void {
    if (on === ((this.paused & PAUSE_HOLD) !== 0)) return;
    if (on) {
      this.ctx.counters.backpressured++;
      this.pause(PAUSE_HOLD);
    } else this.unpause(PAUSE_HOLD);
  }

  /** The miner authorised: from now it counts against the per-IP total only. */
  markAuthorized(): void {
    if (this.isAuthorized || this.closed) return;
    this.isAuthorized = true;
    this.ctx.authorized(this);
  }

  /** The miner had a share accepted: its address is not banned while it is connected. */
  markHonest(): void {
    if (this.isHonest || this.closed) return;
    this.isHonest = true;
    this.ctx.guard.honest(this.ip, 1);
  }

  drain(): void {
    // Over TLS the socket drains into the TLS layer first; it calls back (`drained`) once writable.
    if (this.tls && !this.tls.rawDrain()) return;
    const q = this.out;
    if (this.closed || !q) return;
    if (!q.flush()) this.finish("socket closed");
    else if (q.empty) {
      this.out = undefined;
      this.unpause(PAUSE_WRITE);
    }
  }

  send(data: string | Uint8Array): void {
    if (this.closed) return;
    if (this.corking && typeof data === "string") {
      // Replies are text: concatenated (a rope) into one write at the end of the chunk.
      this.corked = this.corked === undefined ? data : this.corked + data;
      return;
    }
    // A shared byte line (a notify after authorize or a retarget) goes out as it is, after the text
    // before it: copying ~1 KiB of notify into a joined buffer per client would cost more than the
    // extra system call, which happens once per connection or retarget.
    if (this.corked !== undefined) this.uncork(this.corking);
    this.write(data);
  }

  private write(data: string | Uint8Array): void {
    const q = this.out;
    let ok: boolean;
    if (q) ok = q.send(data, this.ctx.now());
    else {
      const rest = writeNow(this.socket, data);
      if (rest === null) return;
      ok = rest !== undefined && (this.out = new WriteQueue(this.socket)).enqueue(rest, this.ctx.now());
      // The client is not keeping up with its replies: read no more requests until they drained.
      if (ok && this.out) {
        this.ctx.counters.backpressured++;
        this.pause(PAUSE_WRITE);
      }
    }
    if (!ok) {
      this.ctx.counters.blockedDrops++;
      this.close(`not reading: ${this.out?.queuedBytes ?? 0} bytes queued`, "abort");
    }
  }

  strike(reason: string, now: number, kind: "junk" | "unauthorized" = "junk"): void {
    this.ctx.counters.junk++;
    if (now - this.strikesSince > JUNK_WINDOW_MS) {
      this.strikes = 0;
      this.strikesSince = now;
    }
    if (++this.strikes >= JUNK_STRIKES_BEFORE_BAN) this.offend(kind, `${kind === "junk" ? "junk input" : "unauthorised requests"} (${reason})`, now);
  }

  /**
   * Closes the connection for abuse and counts it against its address, which is banned for
   * `ban_seconds` once it has `ip_ban_offences` of them (ip-guard.ts). Logged at notice either way.
   */
  offend(kind: OffenceKind, reason: string, now: number): void {
    if (this.closed) return;
    const { ctx } = this;
    // A connection being closed no longer shields its address.
    if (this.isHonest) {
      this.isHonest = false;
      ctx.guard.honest(this.ip, -1);
    }
    ctx.counters.offences++;
    const r = ctx.guard.offence(this.ip, kind, reason, ctx.portKey, now, ctx.limits);
    if (r.banned) {
      ctx.counters.bans++;
      ctx.log.notice(`banning ${this.ip} for ${ctx.limits.ban_seconds}s: ${reason}`, { kind, port: ctx.portKey });
      this.close(`banned: ${reason}`, "abort");
      return;
    }
    const why =
      r.honest > 0
        ? `the address is not banned: ${r.honest} miner(s) with accepted shares use it`
        : `offence ${r.offences} of ${ctx.limits.ip_ban_offences} before the address is banned`;
    ctx.log.notice(`closing a connection from ${this.ip}: ${reason} (${why})`, { kind, port: ctx.portKey });
    this.close(`closed for abuse: ${reason}`, "abort");
  }

  /** Counts as an invalid-share offence (the session's ratio check). */
  ban(reason: string, now: number): void {
    this.offend("invalid_shares", reason, now);
  }

  close(reason: string, mode: "graceful" | "abort" = "graceful"): void {
    if (this.closed) return;
    // A graceful close still delivers what this chunk's requests were answered (unless that write fails and aborts).
    if (mode === "graceful") {
      this.uncork();
      if (this.closed) return;
    }
    this.closed = true;
    if (mode === "abort") this.socket.terminate();
    else {
      this.socket.end();
      // A peer that never closes its side must not keep the socket forever.
      this.socket.timeout(10);
    }
    // Over TLS a graceful end still has to encrypt and flush what was sent: the layer is dropped
    // when the socket closes (the listener's close event finishes again), not now.
    this.finish(reason, mode === "graceful");
  }

  /** Periodic check: a client over its rate reads again once the budget refilled; a client blocked too long is dropped. */
  sweep(now: number): void {
    if (this.closed) return;
    if (this.preamble && now - this.connectedAt > PREAMBLE_TIMEOUT_MS) {
      this.preamble = undefined;
      this.ctx.counters.proxyRejected++;
      this.ctx.log.notice(`closing a connection from ${this.peerIp}: no PROXY header or request within ${PREAMBLE_TIMEOUT_MS / 1000}s`, { port: this.ctx.portKey });
      this.close("no preamble in time", "abort");
      return;
    }
    if (this.paused & PAUSE_RATE) {
      refill(this, this.ctx.limits.max_requests_per_second, now);
      if (this.tokens >= 1) this.unpause(PAUSE_RATE);
    }
    if (this.out?.blockedTooLong(now, this.ctx.limits.blocked_write_timeout * 1000)) {
      this.ctx.counters.blockedDrops++;
      this.close(`blocked for more than ${this.ctx.limits.blocked_write_timeout}s`, "abort");
    }
  }

  /** The socket closed (either side). */
  finish(reason: string, keepTls = false): void {
    this.closed = true;
    this.corking = false;
    this.corked = undefined;
    this.framer = undefined;
    this.out = undefined;
    // A malformed ClientHello may end TLS with an alert and the socket's close, no error event.
    if (this.tls && !this.tls.secure && !this.finished && !reason.startsWith("TLS:")) this.ctx.counters.tlsErrors++;
    if (!keepTls) this.tls?.close();
    if (this.finished) return;
    this.finished = true;
    if (this.isHonest) {
      this.isHonest = false;
      this.ctx.guard.honest(this.ip, -1);
    }
    this.ctx.released(this);
    this.handler?.closed(reason);
  }

  /** Writes the text corked so far; `corking` says whether to go on corking (a chunk is still being handled). */
  private uncork(corking = false): void {
    this.corking = corking;
    const c = this.corked;
    if (c === undefined) return;
    this.corked = undefined;
    if (!this.closed) this.write(c);
  }

  /** One framed line, `bytes[start, end)` (the shared `onLine` callback lands here). */
  line(bytes: Uint8Array, start: number, end: number): boolean {
    const now = readAt;
    const h = this.handler;
    if (!h) return false;
    // The rate budget paces reading (data() pauses the socket once it is spent); a line already
    // received is always handled: a fast miner's valid shares are answered, never held against it.
    refill(this, this.ctx.limits.max_requests_per_second, now);
    this.tokens -= 1;
    // A plain mining.submit is answered from the bytes (no line string, no JSON.parse); the rest comes back here.
    if (h.requestLine?.(bytes, start, end, now)) return !this.closed;
    const trimmed = decodeLine(bytes, start, end).trim();
    // PowerPool closed the connection on a blank line (spec §2.1 QUIRK); a stray "\r\n" is harmless.
    if (trimmed === "") return true;
    let msg: unknown;
    try {
      msg = JSON.parse(trimmed);
    } catch {
      return this.reject("1", "invalid JSON", now);
    }
    if (typeof msg !== "object" || msg === null || Array.isArray(msg)) return this.reject("1", "not a JSON object", now);
    const req = msg as { id?: unknown; method?: unknown; params?: unknown };
    const id = idJson(req.id);
    if (typeof req.method !== "string") return this.reject(id, "no method", now);
    const params = req.params === undefined || req.params === null ? NO_PARAMS : req.params;
    if (!Array.isArray(params)) return this.reject(id, "params not an array", now);
    h.request(id, req.method.toLowerCase(), params, now);
    return !this.closed;
  }

  private reject(id: string, reason: string, now: number): boolean {
    this.handler?.malformed(id, now);
    this.strike(reason, now);
    return !this.closed;
  }
}
