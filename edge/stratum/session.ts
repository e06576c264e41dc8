/**
 * @module One miner connection's stratum state (PowerPool spec §2.4) and its ordered output.
 *
 * Output order: replies go out in request order even when a share check is asynchronous. While a
 * reply is pending, everything after it for this client (replies and pushes alike) waits in
 * `queue`, holding references (a broadcast's shared bytes are not copied). A check that never
 * settles is answered with error 20 after SHARE_CHECK_TIMEOUT_MS so the client is not stuck.
 */
import { VardiffState } from "../vardiff/state.ts";
import type { PortContext } from "./context.ts";
import { dispatch } from "./dispatch.ts";
import { StratumError } from "./errors.ts";
import { IssuedJobs } from "./issued-jobs.ts";
import { errorReply } from "./replies.ts";
import type { LineHandler, Transport } from "./transport.ts";
import type { EdgeJob } from "../ports.ts";

export const SHARE_CHECK_TIMEOUT_MS = 15_000;
/** Bounds the per-connection ring whatever `invalid_window` says (one byte per share). */
export const MAX_INVALID_WINDOW = 10_000;

/** A reply whose content is not known yet. */
export interface ReplySlot {
  data: string | undefined;
  readonly at: number;
  /** The request id as JSON text, for the timeout's error reply. */
  readonly id: string;
}

export class Session implements LineHandler {
  subscribed = false;
  extranonce1: Uint8Array = new Uint8Array(0);
  extranonce1Hex = "";
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
  /** Outcomes of the last `invalid_window` shares (1 = rejected), allocated at the first share. */
  private outcomes: Uint8Array | undefined;
  private outcomeCount = 0;
  private outcomeNext = 0;
  private rejectedInWindow = 0;
  private queue: (string | Uint8Array | ReplySlot)[] | null = null;

  constructor(
    readonly ctx: PortContext,
    readonly transport: Transport,
    now: number,
  ) {
    this.difficulty = this.nextDiff = ctx.cfg.start_difficulty;
    this.vardiff = new VardiffState(ctx.vardiff, now);
    this.lastPushAt = now;
    this.keepaliveSeedMs = Math.floor(ctx.random() * ((ctx.cfg.push_job_interval * 1000) / 3));
  }

  /** "address.worker" as PowerPool logs it. */
  get name(): string {
    return `${this.address}.${this.worker}`;
  }

  request(id: string, method: string, params: readonly unknown[], now: number): void {
    dispatch(this, id, method, params, now);
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
    (this.queue ??= []).push(slot);
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
    const outcomes = (this.outcomes ??= new Uint8Array(Math.min(this.ctx.cfg.limits.invalid_window, MAX_INVALID_WINDOW)));
    const n = outcomes.length;
    if (this.outcomeCount === n) this.rejectedInWindow -= outcomes[this.outcomeNext]!;
    else this.outcomeCount++;
    outcomes[this.outcomeNext] = rejected ? 1 : 0;
    this.outcomeNext = (this.outcomeNext + 1) % n;
    if (rejected) this.rejectedInWindow++;
    if (this.outcomeCount === n && this.rejectedInWindow >= ratio * n) {
      this.transport.ban(`${this.rejectedInWindow} of the last ${n} shares rejected`, now);
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
    if (i === q.length) this.queue = null;
    else q.splice(0, i);
  }
}
