/**
 * @module Decides what one datagram does: parse, check the secret, look the component and method
 * up in the allow-list, refresh. Everything else is counted by reason and logged (rate-limited),
 * never thrown: a datagram cannot crash the core.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { Logger } from "../../shared/log.ts";
import { allowedMethods, type NotifyTarget } from "./actions.ts";
import { describeDatagram, parseDatagram, REJECT_TEXT, type RejectReason } from "./datagram.ts";
import { RateLimitedLog } from "./rate-limited-log.ts";

export interface DatagramHandlerOptions {
  readonly targets: ReadonlyMap<string, NotifyTarget>;
  /** When set, every datagram must carry `secret=<this>` (config `pool.datagram.secret`). */
  readonly secret?: string | undefined;
  readonly log: Logger;
  readonly now?: () => number;
  /** Reject lines logged per window (default 10 per 10 s). */
  readonly logBurst?: number;
  readonly logWindowMs?: number;
}

export interface NotifyCounters {
  readonly accepted: number;
  readonly rejected: Readonly<Record<RejectReason, number>>;
  readonly lastAccepted: number | null;
}

export type HandleResult =
  | { readonly ok: true; readonly component: string; readonly kind: NotifyTarget["kind"] }
  | { readonly ok: false; readonly reason: RejectReason };

export class DatagramHandler {
  private readonly o: DatagramHandlerOptions;
  private readonly now: () => number;
  private readonly rejectLog: RateLimitedLog;
  private readonly secretDigest: Buffer | undefined;
  private accepted = 0;
  private lastAccepted: number | null = null;
  private readonly rejected = Object.fromEntries(Object.keys(REJECT_TEXT).map((k) => [k, 0])) as Record<RejectReason, number>;

  constructor(opts: DatagramHandlerOptions) {
    this.o = opts;
    this.now = opts.now ?? Date.now;
    this.rejectLog = new RateLimitedLog(opts.log, opts.logBurst, opts.logWindowMs, this.now);
    this.secretDigest = opts.secret === undefined ? undefined : digest(opts.secret);
  }

  /** Handles one datagram from `from` (ip:port); `truncated` when the socket cut it short. Never throws. */
  handle(bytes: Uint8Array, from: string, truncated = false): HandleResult {
    try {
      if (truncated) return this.reject("oversized", bytes, from, "truncated by the kernel");
      return this.handleUnsafe(bytes, from);
    } catch (err) {
      return this.reject("handler_error", bytes, from, err instanceof Error ? err.message : String(err));
    }
  }

  counters(): NotifyCounters {
    return { accepted: this.accepted, rejected: { ...this.rejected }, lastAccepted: this.lastAccepted };
  }

  private handleUnsafe(bytes: Uint8Array, from: string): HandleResult {
    const parsed = parseDatagram(bytes);
    if (!parsed.ok) return this.reject(parsed.reason, bytes, from, parsed.detail);
    const d = parsed.datagram;
    // Authenticate before looking anything up, so an outsider learns nothing (and no reply is sent anyway).
    if (this.secretDigest !== undefined) {
      const given = d.kwargs.get("secret");
      if (given === undefined) return this.reject("missing_secret", bytes, from);
      if (!timingSafeEqual(digest(given), this.secretDigest)) return this.reject("bad_secret", bytes, from);
    }
    const t = this.o.targets.get(d.component);
    if (t === undefined) return this.reject("unknown_component", bytes, from, `configured: ${[...this.o.targets.keys()].join(", ") || "none"}`);
    if (!allowedMethods(t.kind).has(d.method)) {
      return this.reject("method_not_allowed", bytes, from, `allowed for ${t.kind} ${d.component}: ${[...allowedMethods(t.kind)].join(", ")}`);
    }
    t.target.notify();
    this.accepted++;
    this.lastAccepted = this.now();
    this.o.log.debug(`push-block datagram from ${from}: refresh ${t.kind} ${d.component}`, { method: d.method });
    return { ok: true, component: d.component, kind: t.kind };
  }

  private reject(reason: RejectReason, bytes: Uint8Array, from: string, detail?: string): HandleResult {
    this.rejected[reason]++;
    const log = reason === "handler_error" ? this.rejectLog.error.bind(this.rejectLog) : this.rejectLog.warn.bind(this.rejectLog);
    log(`dropped datagram from ${from}: ${REJECT_TEXT[reason]}${detail ? ` (${detail})` : ""}`, { reason, datagram: describeDatagram(bytes) });
    return { ok: false, reason };
  }
}

/** Fixed-length digests make the comparison constant-time whatever the lengths. */
function digest(s: string): Buffer {
  return createHash("sha256").update(s).digest();
}
