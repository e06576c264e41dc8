/**
 * @module One TCP connection: framing, the request-rate budget, junk strikes, the write queue and
 * closing. Everything here is about bytes and abuse; what a request means is the LineHandler's.
 *
 * Output sent while a received chunk is being handled is corked: a miner that pipelines submits
 * gets all the replies to one chunk in one `write()` instead of one system call per reply (on the
 * saturated benchmark those calls were ~40% of the edge's CPU). Sends outside a chunk (job pushes,
 * replies to hashes finished on worker threads) are written at once.
 */
import type { Socket } from "bun";
import type { Logger } from "../../shared/log.ts";
import { idJson } from "../stratum/replies.ts";
import type { LineHandler, Transport } from "../stratum/transport.ts";
import { LineFramer } from "./framing.ts";
import { JUNK_STRIKES_BEFORE_BAN, JUNK_WINDOW_MS, RequestBudget, type BanList } from "./ip-guard.ts";
import { WriteQueue } from "./write-queue.ts";

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
const encoder = new TextEncoder();

export class Connection implements Transport {
  handler: LineHandler | undefined;
  closed = false;
  private finished = false;
  private readonly framer: LineFramer;
  private readonly out: WriteQueue;
  private readonly budget: RequestBudget;
  private strikes = 0;
  private strikesSince = 0;
  /** Bound once so framing a chunk allocates no closure. */
  private readonly onLine = (line: string): boolean => this.line(line);
  private lineTime = 0;
  /** True while a received chunk is handled; `corked` collects what is sent meanwhile (allocated at the first cork). */
  private corking = false;
  private corked: (string | Uint8Array)[] | undefined;

  constructor(
    private readonly socket: Socket<Connection>,
    readonly ip: string,
    readonly connectedAt: number,
    private readonly ctx: ConnectionContext,
  ) {
    this.framer = new LineFramer(ctx.limits.max_line_bytes);
    this.out = new WriteQueue(socket);
    this.budget = new RequestBudget(ctx.limits.max_requests_per_second, connectedAt);
  }

  /** Bytes arrived. */
  data(chunk: Uint8Array): void {
    if (this.closed) return;
    this.lineTime = this.ctx.now();
    this.corking = true;
    const framed = this.framer.push(chunk, this.onLine);
    this.uncork();
    if (framed === "overflow") {
      this.ctx.counters.oversizedLines++;
      this.ban(`line longer than ${this.ctx.limits.max_line_bytes} bytes`, this.lineTime);
    }
  }

  drain(): void {
    if (!this.closed && !this.out.flush()) this.finish("socket closed");
  }

  send(data: string | Uint8Array): void {
    if (this.closed) return;
    if (this.corking) {
      (this.corked ??= []).push(data);
      return;
    }
    this.write(data);
  }

  private write(data: string | Uint8Array): void {
    if (!this.out.send(data, this.ctx.now())) {
      this.ctx.counters.blockedDrops++;
      this.close(`not reading: ${this.out.queuedBytes} bytes queued`, "abort");
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
    if (!this.closed && this.out.blockedTooLong(now, this.ctx.limits.blocked_write_timeout * 1000)) {
      this.ctx.counters.blockedDrops++;
      this.close(`blocked for more than ${this.ctx.limits.blocked_write_timeout}s`, "abort");
    }
  }

  /** The socket closed (either side). */
  finish(reason: string): void {
    this.closed = true;
    this.corking = false;
    if (this.corked) this.corked.length = 0;
    if (this.finished) return;
    this.finished = true;
    this.ctx.released(this);
    this.handler?.closed(reason);
  }

  /** Ends corking: what was sent while handling the chunk goes out as one write. */
  private uncork(): void {
    this.corking = false;
    const batch = this.corked;
    if (!batch || batch.length === 0) return;
    const data = batch.length === 1 ? batch[0]! : joinOutput(batch);
    batch.length = 0;
    if (!this.closed) this.write(data);
  }

  private line(text: string): boolean {
    const now = this.lineTime;
    const h = this.handler;
    if (!h) return false;
    if (!this.budget.take(now)) {
      this.ctx.counters.rateLimited++;
      this.strike("over the request rate", now);
      return !this.closed;
    }
    const trimmed = text.trim();
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

/** One string for text-only output (the usual replies), else one byte array (a notify line is bytes). */
function joinOutput(parts: readonly (string | Uint8Array)[]): string | Uint8Array {
  if (parts.every((p) => typeof p === "string")) return (parts as readonly string[]).join("");
  const bytes = parts.map((p) => (typeof p === "string" ? encoder.encode(p) : p));
  const out = new Uint8Array(bytes.reduce((n, b) => n + b.length, 0));
  let at = 0;
  for (const b of bytes) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}
