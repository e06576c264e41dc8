/**
 * @module When the supervisor restarts a worker that died, and when it gives up. A worker that
 * crashes soon after starting is restarted after a doubling delay (so a crash loop does not spin a
 * core); one that ran `stableMs` starts again from the base delay. A worker that dies before it
 * ever reported ready, `maxStartFailures` times in a row, points at a problem a restart cannot fix
 * (a port held by a process without SO_REUSEPORT, Redis unreachable, a broken install): give up.
 */

export interface BackoffOptions {
  readonly baseMs?: number;
  readonly maxMs?: number;
  readonly stableMs?: number;
  readonly maxStartFailures?: number;
}

export type RestartDecision = { readonly action: "restart"; readonly delayMs: number } | { readonly action: "give-up"; readonly reason: string };

export class RestartBackoff {
  private quickCrashes = 0;
  private startFailures = 0;
  readonly baseMs: number;
  readonly maxMs: number;
  readonly stableMs: number;
  readonly maxStartFailures: number;

  constructor(opts: BackoffOptions = {}) {
    this.baseMs = opts.baseMs ?? 500;
    this.maxMs = opts.maxMs ?? 30_000;
    this.stableMs = opts.stableMs ?? 60_000;
    this.maxStartFailures = opts.maxStartFailures ?? 5;
  }

  /** A worker exited on its own after `ranMs`; `ready` says whether it had started serving. */
  exited(ranMs: number, ready: boolean): RestartDecision {
    if (ready) this.startFailures = 0;
    else if (++this.startFailures >= this.maxStartFailures) {
      return { action: "give-up", reason: `it failed to start ${this.startFailures} times in a row` };
    }
    if (ready && ranMs >= this.stableMs) this.quickCrashes = 0;
    const delayMs = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.quickCrashes, 30));
    this.quickCrashes++;
    return { action: "restart", delayMs };
  }
}
