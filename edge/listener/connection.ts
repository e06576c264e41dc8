/**
 * @module One TCP connection: framing, the request-rate budget, junk strikes, the write queue and
 * closing. Everything here is about bytes and abuse; what a request means is the LineHandler's.
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
import { JUNK_STRIKES_BEFORE_BAN, JUNK_WINDOW_MS, takeToken, type BanList, type TokenBucket } from "./ip-guard.ts";
import { WriteQueue, writeNow } from "./write-queue.ts";

export interface ConnectionLimits {
  readonly max_line_bytes: number;
  readonly ban_seconds: number;
  readonly blocked_write_timeout: number;
  readonly max_requests_per_second: number;
}

/** Listener-level counts of what was refused or dropped, by reason. */
export interface ListenerCounters {
  connects: number;
  disconnects: number;
  refusedBanned: number;
  refusedPerIp: number;
  bans: number;
  junk: number;
  rateLimited: number;
  oversizedLines: number;
  blockedDrops: number;
  /** Connections reset by the peer before they were set up (no remote address left): nothing to serve, not an error. */
  resetBeforeSetup: number;
}

export interface ConnectionContext {
  readonly limits: ConnectionLimits;
  readonly bans: BanList;
  readonly counters: ListenerCounters;
  readonly log: Logger;
  now(): number;
  /** Called once when the connection is finished, before the handler hears of it. */
  released(conn: Connection): void;
}

const NO_PARAMS: readonly unknown[] = Object.freeze([]);

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

  constructor(
    private readonly socket: Socket<Connection>,
    readonly ip: string,
    readonly connectedAt: number,
    private readonly ctx: ConnectionContext,
  ) {
    this.tokens = ctx.limits.max_requests_per_second;
    this.tokensAt = connectedAt;
  }

  /** Bytes arrived. */
  data(chunk: Uint8Array): void {
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
      this.ban(`line longer than ${max} bytes`, now);
    }
  }

  drain(): void {
    const q = this.out;
    if (this.closed || !q) return;
    if (!q.flush()) this.finish("socket closed");
    else if (q.empty) this.out = undefined;
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
    }
    if (!ok) {
      this.ctx.counters.blockedDrops++;
      this.close(`not reading: ${this.out?.queuedBytes ?? 0} bytes queued`, "abort");
    }
  }

  strike(reason: string, now: number): void {
    this.ctx.counters.junk++;
    if (now - this.strikesSince > JUNK_WINDOW_MS) {
      this.strikes = 0;
      this.strikesSince = now;
    }
    if (++this.strikes >= JUNK_STRIKES_BEFORE_BAN) this.ban(`junk input (${reason})`, now);
  }

  ban(reason: string, now: number): void {
    if (this.closed) return;
    this.ctx.bans.ban(this.ip, now + this.ctx.limits.ban_seconds * 1000);
    this.ctx.counters.bans++;
    this.ctx.log.notice(`banning ${this.ip} for ${this.ctx.limits.ban_seconds}s: ${reason}`);
    this.close(`banned: ${reason}`, "abort");
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
    this.finish(reason);
  }

  /** Periodic check: a client blocked too long is dropped. */
  sweep(now: number): void {
    if (!this.closed && this.out?.blockedTooLong(now, this.ctx.limits.blocked_write_timeout * 1000)) {
      this.ctx.counters.blockedDrops++;
      this.close(`blocked for more than ${this.ctx.limits.blocked_write_timeout}s`, "abort");
    }
  }

  /** The socket closed (either side). */
  finish(reason: string): void {
    this.closed = true;
    this.corking = false;
    this.corked = undefined;
    this.framer = undefined;
    this.out = undefined;
    if (this.finished) return;
    this.finished = true;
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
    if (!takeToken(this, this.ctx.limits.max_requests_per_second, now)) {
      this.ctx.counters.rateLimited++;
      this.strike("over the request rate", now);
      return !this.closed;
    }
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
