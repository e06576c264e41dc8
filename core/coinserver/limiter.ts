/**
 * @module A bound on the calls in flight to one coinserver (issue 16 §3).
 *
 * A Core-derived node queues at most `-rpcworkqueue` requests (default 16) waiting for one of its
 * `-rpcthreads`, and answers any more with HTTP 500 "Work queue depth exceeded". A burst of block
 * candidates (a spool emptied after a Redis outage) would do exactly that, so every call to a server
 * takes a slot here first. Urgent calls (submitblock) are served before ordinary ones waiting with them.
 */

export class InFlightLimiter {
  private active = 0;
  private readonly urgent: (() => void)[] = [];
  private readonly normal: (() => void)[] = [];

  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`InFlightLimiter: expected a positive integer, got ${max}`);
  }

  get inFlight(): number {
    return this.active;
  }

  get waiting(): number {
    return this.urgent.length + this.normal.length;
  }

  /** Resolves with the release function once a slot is free; rejects if `signal` aborts first. */
  acquire(urgent = false, signal?: AbortSignal): Promise<() => void> {
    if (this.active < this.max) {
      this.active++;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      const queue = urgent ? this.urgent : this.normal;
      const grant = () => {
        signal?.removeEventListener("abort", onAbort);
        this.active++;
        resolve(this.releaser());
      };
      const onAbort = () => {
        const i = queue.indexOf(grant);
        if (i >= 0) queue.splice(i, 1);
        reject(signal?.reason ?? new Error("aborted"));
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener("abort", onAbort, { once: true });
      queue.push(grant);
    });
  }

  private releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.active--;
      const next = this.urgent.shift() ?? this.normal.shift();
      next?.();
    };
  }
}
