/**
 * @module The forwarder's Redis connection and whether it is usable, with one log line per change.
 *
 * The connection is made to fail fast instead of waiting for a reconnect (ioredis's default with
 * `maxRetriesPerRequest: null` would hold a write until Redis is back): no offline queue, commands
 * in flight are failed when the socket closes and are not resent. The forwarder then spools what
 * failed, and replays it itself, in order, once the link is up again.
 */
import type { RedisOptions } from "ioredis";
import type { RedisConfig } from "../../shared/config/schema.ts";
import { MESSAGE_FIELD } from "../../shared/contract/index.ts";
import type { Logger } from "../../shared/log.ts";
import { connectRedis, type RedisClient, type ReplicaWait } from "../../shared/redis.ts";

export const LINK_REDIS_OPTIONS: RedisOptions = { maxRetriesPerRequest: 0, enableOfflineQueue: false, autoResendUnfulfilledCommands: false };

export class RedisTimeoutError extends Error {
  readonly code = "REDIS_TIMEOUT";
  constructor(what: string, ms: number) {
    super(`${what}: expected a Redis reply within ${ms} ms, got none`);
    this.name = "RedisTimeoutError";
  }
}

/**
 * What a pipeline of XADDs did: all acknowledged (and confirmed by the replicas, when a WAIT was
 * asked for) → their count; else how many the primary acknowledged and why it stopped.
 * `unconfirmed`: every XADD was acknowledged but the replicas did not confirm them in time.
 */
export type XaddResult = number | { readonly acked: number; readonly error: string; readonly unconfirmed?: true };

export class RedisLink {
  readonly client: RedisClient;
  /** Counts connections: a WAIT confirms only the writes sent on its own connection. */
  epoch = 0;
  private upNow = false;
  private everUp = false;
  private closing = false;
  private lastError = "";
  private readonly upListeners = new Set<() => void>();

  constructor(
    cfg: RedisConfig,
    name: string,
    private readonly log: Logger,
    overrides?: RedisOptions,
  ) {
    this.client = connectRedis(cfg, { name, overrides: { ...LINK_REDIS_OPTIONS, ...overrides } });
    this.client.on("error", (e: Error) => {
      this.lastError = e.message;
    });
    this.client.on("ready", () => this.setUp(true));
    this.client.on("close", () => this.setUp(false));
    this.client.on("end", () => this.setUp(false));
  }

  get up(): boolean {
    return this.upNow;
  }

  /** Calls `fn` each time the link comes up; returns an unsubscribe function. */
  onUp(fn: () => void): () => void {
    this.upListeners.add(fn);
    return () => this.upListeners.delete(fn);
  }

  /** Resolves true once up, or false after `ms`. */
  waitUp(ms: number): Promise<boolean> {
    if (this.upNow) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        off();
        resolve(false);
      }, ms);
      const off = this.onUp(() => {
        clearTimeout(timer);
        off();
        resolve(true);
      });
    });
  }

  /**
   * `p`, or a RedisTimeoutError after `ms` (the command may still complete later). A timeout also
   * drops the connection for a fresh one: after a network partition the old socket may be
   * half-open and never answer again, while ioredis would still call it ready.
   */
  timed<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const err = new RedisTimeoutError(what, ms);
        this.lastError = err.message;
        if (this.upNow && !this.closing) this.client.disconnect(true);
        reject(err);
      }, ms);
    });
    return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
  }

  /**
   * XADDs `payloads` to `stream` in one pipeline (one round trip, in order): the number Redis
   * acknowledged, or how many it acknowledged before the first failure and why.
   */
  async xaddAll(stream: string, payloads: readonly Uint8Array[], timeoutMs: number, wait?: ReplicaWait): Promise<XaddResult> {
    const p = this.client.pipeline();
    for (const b of payloads) p.xadd(stream, "*", MESSAGE_FIELD, Buffer.from(b.buffer, b.byteOffset, b.byteLength));
    if (wait) p.call("WAIT", wait.replicas, wait.timeoutMs);
    let res: [Error | null, unknown][] | null;
    try {
      res = await this.timed(p.exec(), timeoutMs + (wait?.timeoutMs ?? 0), `XADD ${payloads.length} to ${stream}`);
    } catch (e) {
      return { acked: 0, error: (e as Error).message };
    }
    for (let i = 0; i < payloads.length; i++) {
      const reply = res?.[i];
      if (!reply) return { acked: i, error: "pipeline discarded" };
      if (reply[0]) return { acked: i, error: reply[0].message };
    }
    if (wait) {
      const reply = res?.[payloads.length];
      const n = reply && !reply[0] ? Number(reply[1]) : 0;
      if (n < wait.replicas) return { acked: payloads.length, error: `WAIT: expected ${wait.replicas} replicas to confirm within ${wait.timeoutMs} ms, got ${reply?.[0]?.message ?? n}`, unconfirmed: true };
    }
    return payloads.length;
  }

  /** WAIT alone: true when the replicas confirmed every write this connection sent before it. */
  async confirmed(wait: ReplicaWait): Promise<boolean> {
    const n = await this.timed(this.client.call("WAIT", wait.replicas, wait.timeoutMs), wait.timeoutMs + 2000, "WAIT");
    return Number(n) >= wait.replicas;
  }

  close(): void {
    this.closing = true;
    this.client.disconnect();
  }

  private setUp(up: boolean): void {
    if (up === this.upNow) return;
    this.upNow = up;
    if (up) {
      this.epoch++;
      if (this.everUp) this.log.notice("redis reachable again");
      else this.log.info("redis connected");
      this.everUp = true;
      for (const fn of [...this.upListeners]) fn();
    } else if (!this.closing) {
      this.log.warn(`redis unreachable${this.lastError ? ` (${this.lastError})` : ""}; share records go to the local spool until it is back`);
    }
  }
}
