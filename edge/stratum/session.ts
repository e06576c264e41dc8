/**
 * @module One miner connection's stratum state (PowerPool spec §2.4) and its ordered output.
 *
 * Output order: replies go out in request order even when a share check is asynchronous. While a
 * reply is pending, everything after it for this client (replies and pushes alike) waits in
 * `queue`, holding references (a broadcast's shared bytes are not copied). A check that never
 * settles is answered with error 20 after SHARE_CHECK_TIMEOUT_MS so the client is not stuck.
 *
 * An edge holds one Session per miner, most of them idle, so what only some need is allocated
 * when first needed: the output queue while a reply is pending, the invalid-share window at the
 * first share, the extranonce1 bytes at the first submit, the vardiff rate at the first accepted
 * share (vardiff/state.ts); issued job ids take space per difficulty change, not per push
 * (issued-jobs.ts).
 */
import { hexToBytes } from "../../shared/bitcoin/index.ts";
import type { RateWindow } from "../../shared/hashrate/rate-window.ts";
import { VardiffState } from "../vardiff/state.ts";
import type { PortContext } from "./context.ts";
import { dispatch, dispatchLine } from "./dispatch.ts";
import { StratumError } from "./errors.ts";
import { IssuedJobs } from "./issued-jobs.ts";
import { errorReply } from "./replies.ts";
import type { LineHandler, Transport } from "./transport.ts";
import type { EdgeJob } from "../ports.ts";

export const SHARE_CHECK_TIMEOUT_MS = 15_000;
/** With this many replies waiting on share checks, the connection reads no more until they are answered (backpressure). */
export const MAX_PENDING_REPLIES = 256;
/** Bounds the per-connection ring whatever `invalid_window` says (one byte per share). */
export const MAX_INVALID_WINDOW = 10_000;

/** A reply whose content is not known yet. */
export interface ReplySlot {
  data: string | undefined;
  readonly at: number;
  /** The request id as JSON text, for the timeout's error reply. */
  readonly id: string;
}

/** The outcomes of a connection's last `invalid_window` shares (1 = rejected), a ring. */
class OutcomeWindow {
  readonly ring: Uint8Array;
  count = 0;
  next = 0;
  rejected = 0;
  constructor(size: number) {
    this.ring = new Uint8Array(size);
  }
}

export class Session implements LineHandler {
  subscribed = false;
  /** extranonce1 as hex (the allocator's key and what the miner is told); "" before subscribe. */
  private en1Hex = "";
  /** Its bytes, made at the first submit: an idle connection never needs them. */
  private en1Bytes: Uint8Array | undefined;
  userAgent = "";
  authorized = false;
  address = "";
  worker = "";
  /** BIP310 mask negotiated by mining.configure; 0 = no version rolling. */
  versionMask = 0;
  extranonceSubscribed = false;
  /** The difficulty last sent with set_difficulty: new job ids are recorded with it. */
  difficulty: number;
  /** The difficulty to send before the next notify (differs from `difficulty` while a change waits). */
  nextDiff: number;
  /** set_difficulty has been sent at least once (authorize always sends it). */
  difficultySent = false;
  /** mining.configure minimum-difficulty, clamped to the port's limits. */
  minimumDifficulty: number | undefined;
  readonly vardiff: VardiffState;
  readonly jobs = new IssuedJobs();
  lastJob: EdgeJob | undefined;
  lastPushAt: number;
  lastShareAt: number | null = null;
  /** Keepalive offset in [0, push_job_interval/3), so re-pushes of many clients spread out. */
  readonly keepaliveSeedMs: number;
  idle = false;
  acceptedDifficulty = 0;
  /** Accepted difficulty over the last minute, for this connection's hashrate; allocated at the first share. */
  acceptedRate: RateWindow | undefined;
  /** Allocated at the first share. */
  private outcomes: OutcomeWindow | undefined;
  private queue: (string | Uint8Array | ReplySlot)[] | null = null;

  constructor(
    readonly ctx: PortContext,
    readonly transport: Transport,
    now: number,
  ) {
    this.difficulty = this.nextDiff = ctx.cfg.start_difficulty;
    this.vardiff = VardiffState.for(ctx.vardiff, now);
    this.lastPushAt = now;
    this.keepaliveSeedMs = Math.floor(ctx.random() * ((ctx.cfg.push_job_interval * 1000) / 3));
  }

  get extranonce1Hex(): string {
    return this.en1Hex;
  }

  get extranonce1(): Uint8Array {
    return (this.en1Bytes ??= hexToBytes(this.en1Hex));
  }

  /** Gives the connection its (new) extranonce1: subscribe, set_extranonce. */
  setExtranonce1(hex: string): void {
    this.en1Hex = hex;
    this.en1Bytes = undefined;
  }

  /** "address.worker" as PowerPool logs it. */
  get name(): string {
    return `${this.address}.${this.worker}`;
  }

  request(id: string, method: string, params: readonly unknown[], now: number): void {
    dispatch(this, id, method, params, now);
  }

  requestLine(bytes: Uint8Array, start: number, end: number, now: number): boolean {
    return dispatchLine(this, bytes, start, end, now);
  }

  malformed(id: string, _now: number): void {
    this.ctx.counters.unk_err++;
    this.send(errorReply(id, StratumError.OTHER));
  }

  closed(reason: string): void {
    this.queue = null;
    this.ctx.onClosed(this, reason);
  }

  /** Sends now, or after the replies still pending. */
  send(data: string | Uint8Array): void {
    if (this.queue) this.queue.push(data);
    else this.transport.send(data);
  }

  /** Reserves the next place in the output for a reply decided later. */
  reserve(id: string, now: number): ReplySlot {
    const slot: ReplySlot = { data: undefined, at: now, id };
    const q = (this.queue ??= []);
    q.push(slot);
    if (q.length === MAX_PENDING_REPLIES) this.transport.hold(true);
    return slot;
  }

  /** Fills a reserved place and sends what is now in order. Later fills of one slot are ignored. */
  fill(slot: ReplySlot, data: string): void {
    if (slot.data !== undefined) return;
    slot.data = data;
    this.flushQueue();
  }

  /** Answers checks that have been pending too long with error 20 (port timer). */
  expirePending(now: number): void {
    if (!this.queue) return;
    for (const item of this.queue) {
      if (typeof item === "object" && !(item instanceof Uint8Array) && item.data === undefined && now - item.at > SHARE_CHECK_TIMEOUT_MS) {
        this.ctx.log.warn("stratum: share check did not settle in time; answering error 20", { worker: this.name });
        item.data = errorReply(item.id, StratumError.OTHER);
      }
    }
    this.flushQueue();
  }

  /** A share was answered: records it for the invalid-ratio ban; true when the client was banned. */
  recordOutcome(rejected: boolean, now: number): boolean {
    const ratio = this.ctx.cfg.limits.invalid_ratio;
    if (ratio <= 0) return false; // 0 turns the ban off rather than banning everyone
    const w = (this.outcomes ??= new OutcomeWindow(Math.min(this.ctx.cfg.limits.invalid_window, MAX_INVALID_WINDOW)));
    const n = w.ring.length;
    if (w.count === n) w.rejected -= w.ring[w.next]!;
    else w.count++;
    w.ring[w.next] = rejected ? 1 : 0;
    w.next = (w.next + 1) % n;
    if (rejected) w.rejected++;
    if (w.count === n && w.rejected >= ratio * n) {
      this.transport.ban(`${w.rejected} of the last ${n} shares rejected`, now);
      return true;
    }
    return false;
  }

  /** A submit arrived: the miner is active again. */
  markActive(now: number): void {
    this.lastShareAt = now;
    if (this.idle) {
      this.idle = false;
      this.ctx.onIdleChanged(this, false);
    }
  }

  private flushQueue(): void {
    const q = this.queue;
    if (!q) return;
    let i = 0;
    for (; i < q.length; i++) {
      const item = q[i]!;
      if (typeof item === "string" || item instanceof Uint8Array) this.transport.send(item);
      else if (item.data === undefined) break;
      else this.transport.send(item.data);
    }
    if (i === q.length) {
      this.queue = null;
      if (q.length >= MAX_PENDING_REPLIES) this.transport.hold(false);
    } else {
      q.splice(0, i);
      if (q.length < MAX_PENDING_REPLIES / 2) this.transport.hold(false);
    }
  }
}
