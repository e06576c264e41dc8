/**
 * @module getblocktemplate long polling (BIP22) for one coin: a request held open on the current
 * coinserver that the node answers when the tip changes (or, on Core, when after a minute the
 * mempool has changed). Each answer is a push signal; the next request is held at once.
 *
 * - One held request per coin, through the pool, so it takes one of the server's in-flight slots
 *   (issue 16 §3) like any call; on the node it occupies one of its -rpcthreads (4 by default).
 * - A node that answers without `longpollid` does not support it: the coin keeps polling, and asks
 *   again after a while (the current server may change to one that does).
 * - Errors renew with back-off; the channel is reported down meanwhile so the watcher polls.
 * - A held request is re-aimed when the pool's current server changes (failover, fail-back, or the
 *   health check finding it down), and renewed quietly only after `renewMs` (10 min) of silence, a
 *   last resort against a connection that died without a reset. Not sooner: Core does not notice a
 *   client giving up, so each abandoned long poll would hold one of its -rpcthreads until the next
 *   block or mempool change; left alone, Core answers by itself within about a minute when its
 *   mempool changes, at once on a new block.
 */
import type { Logger } from "../../shared/log.ts";
import type { PoolCallOptions, PoolEvent } from "./pool-types.ts";

/** The parts of CoinserverPool the long poller uses. */
export interface LongPollPool {
  call(method: string, params?: readonly unknown[], opts?: PoolCallOptions): Promise<unknown>;
  subscribe(listener: (ev: PoolEvent) => void): () => void;
  current(): string | null;
}

export interface LongPollOptions {
  readonly label: string;
  readonly pool: LongPollPool;
  /** getblocktemplate rules, as for the coin's templates. */
  readonly rules: readonly string[];
  readonly log: Logger;
  /** A held request returned (a new block or a better template; `template` is the node's answer), or the first answer after an outage or a server change. */
  onSignal(template: unknown): void;
  onState(up: boolean, detail: string): void;
  readonly renewMs?: number;
  readonly backoffMinMs?: number;
  readonly backoffMaxMs?: number;
  /** Wait before asking a node without long-poll support again. */
  readonly unsupportedRetryMs?: number;
}

export interface LongPollStatus {
  readonly up: boolean;
  readonly server: string | null;
  readonly returns: number;
  readonly errors: number;
  readonly supported: boolean | null;
}

type AbortWhy = "renew" | "moved" | "stop";

export class LongPoller {
  private running = false;
  private up = false;
  private server: string | null = null;
  private returns = 0;
  private errors = 0;
  private supported: boolean | null = null;
  private abort: AbortController | null = null;
  private why: AbortWhy | null = null;
  private unsubscribe: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly o: LongPollOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.unsubscribe = this.o.pool.subscribe((ev) => {
      if (ev.type === "current" && this.server !== null && ev.server !== this.server) this.interrupt("moved");
    });
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    this.interrupt("stop");
    this.wake?.();
    await this.loop;
  }

  status(): LongPollStatus {
    return { up: this.up, server: this.server, returns: this.returns, errors: this.errors, supported: this.supported };
  }

  private interrupt(why: AbortWhy): void {
    this.why = why;
    this.abort?.abort(new Error(`long poll ${why}`));
  }

  private async run(): Promise<void> {
    const min = this.o.backoffMinMs ?? 500;
    let backoff = min;
    let id: string | null = null;
    while (this.running) {
      const ac = new AbortController();
      this.abort = ac;
      this.why = null;
      const renew = setTimeout(() => this.interrupt("renew"), this.o.renewMs ?? 600_000);
      try {
        const request = id === null ? { rules: this.o.rules } : { rules: this.o.rules, longpollid: id };
        // The node holds it until something changes: no timeout of our own but the renewal. No
        // wait for a live server either: without one the channel is down now (the watcher polls).
        const t = await this.o.pool.call("getblocktemplate", [request], { signal: ac.signal, timeoutMs: 24 * 3600_000, waitMs: 0 });
        const next = isObject(t) ? t.longpollid : undefined;
        const held = id !== null;
        if (typeof next !== "string" || next.length === 0) {
          if (this.supported !== false) this.o.log.info(`${this.o.label}: coinserver ${this.o.pool.current() ?? "?"} returns no longpollid; no long polling`);
          this.supported = false;
          id = null;
          this.setUp(false, "the coinserver does not support long polling");
          await this.sleep(this.o.unsupportedRetryMs ?? 60_000);
          continue;
        }
        this.supported = true;
        id = next;
        backoff = min;
        const previous = this.server;
        this.server = this.o.pool.current();
        const fresh = !this.up || previous !== this.server;
        this.setUp(true, `held on ${this.server ?? "?"}`);
        if (held) this.returns++;
        // A returned long poll is news; so is the first answer after an outage or from another
        // server (its tip may differ, and nothing else would tell the watcher while polling is off).
        if (held || fresh) this.o.onSignal(t);
      } catch (e) {
        const why = this.why;
        if (!this.running || why === "stop") break;
        if (why === "renew") continue;
        id = null;
        if (why === "moved") continue;
        this.errors++;
        this.setUp(false, (e as Error).message);
        await this.sleep(backoff);
        backoff = Math.min(backoff * 2, this.o.backoffMaxMs ?? 30_000);
      } finally {
        clearTimeout(renew);
        this.abort = null;
      }
    }
    this.up = false; // shutting down: not a failure to report
  }

  private setUp(up: boolean, detail: string): void {
    if (up === this.up && !up) return;
    const changed = up !== this.up;
    this.up = up;
    if (changed || up) this.o.onState(up, detail);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
