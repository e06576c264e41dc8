/**
 * @module JSON-RPC over HTTP to one coinserver (bitcoind-family or bcoin): basic auth, a timeout on
 * every call, and typed errors that name the server and the method. Results come back as `unknown`;
 * the caller validates the shape it needs (a template, a block hash …).
 *
 * Calls in flight are bounded (limiter.ts). A node whose work queue is full answers HTTP 500 "Work
 * queue depth exceeded": that is a busy node, not a dead one, so the call backs off and is retried
 * until its timeout has passed, and only then fails with reason `busy` (never a server failure).
 */
import type { CoinserverConfig } from "../../shared/config/schema.ts";
import { excerpt, RpcError, RpcProtocolError, RpcTransportError, type CoinserverError } from "./errors.ts";
import { InFlightLimiter } from "./limiter.ts";

/** Core's answer when its RPC work queue is full (src/httpserver.cpp). */
const WORK_QUEUE_FULL = /work queue depth exceeded/i;
const BUSY_BACKOFF_FIRST_MS = 20;
const BUSY_BACKOFF_MAX_MS = 500;

/** `fetch`, narrowed to what the client uses, so tests can substitute it. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export type RpcServerConfig = Pick<CoinserverConfig, "address" | "port" | "username" | "password" | "timeout" | "name">;

export interface RpcCallOptions {
  /** Overrides the server's configured `timeout` (e.g. a long-poll getblocktemplate). */
  readonly timeoutMs?: number;
  /** Lets the caller give up early; the error then has reason `aborted` and does not count against the server. */
  readonly signal?: AbortSignal;
  /** Served before ordinary calls waiting for a slot (submitblock). */
  readonly urgent?: boolean;
}

export interface RpcClientOptions {
  readonly fetch?: FetchLike;
  readonly name?: string;
  /** Calls in flight at most (default: unbounded); the rest wait for a slot. */
  readonly maxInFlight?: number;
  /** Told about every "work queue depth exceeded" answer (the pool logs the first of a run). */
  readonly onBusy?: (method: string) => void;
}

/** The display name used in logs, errors and the monitor: config `name`, else address:port. */
export function serverDisplayName(cfg: Pick<CoinserverConfig, "address" | "port" | "name">): string {
  return cfg.name ?? `${cfg.address}:${cfg.port}`;
}

export class RpcClient {
  readonly name: string;
  readonly url: string;
  readonly timeoutMs: number;
  /** Round-trip time of the last call that got an HTTP answer, ms. */
  lastRttMs: number | null = null;
  /** "Work queue depth exceeded" answers so far. */
  busyAnswers = 0;
  private nextId = 0;
  private readonly headers: Record<string, string>;
  private readonly fetch: FetchLike;
  private readonly limiter: InFlightLimiter | null;
  private readonly onBusy: ((method: string) => void) | undefined;

  constructor(cfg: RpcServerConfig, opts: RpcClientOptions = {}) {
    this.name = opts.name ?? serverDisplayName(cfg);
    const host = cfg.address.includes(":") ? `[${cfg.address}]` : cfg.address;
    // Credentials go in a header, never in the URL, so the URL can appear in messages.
    this.url = `http://${host}:${cfg.port}/`;
    this.timeoutMs = Math.round(cfg.timeout * 1000);
    this.headers = {
      "content-type": "application/json",
      authorization: `Basic ${Buffer.from(`${cfg.username}:${cfg.password}`).toString("base64")}`,
    };
    this.fetch = opts.fetch ?? ((url, init) => fetch(url, init));
    this.limiter = opts.maxInFlight !== undefined && Number.isFinite(opts.maxInFlight) ? new InFlightLimiter(opts.maxInFlight) : null;
    this.onBusy = opts.onBusy;
  }

  /** Calls in flight now, and the bound (null: unbounded). */
  get inFlight(): number {
    return this.limiter?.inFlight ?? 0;
  }

  get maxInFlight(): number | null {
    return this.limiter?.max ?? null;
  }

  /**
   * Calls `method`; resolves with the node's `result`, rejects with a CoinserverError subclass.
   * Waits for a free slot first; a busy node is asked again with back-off until the timeout.
   */
  async call(method: string, params: readonly unknown[] = [], opts: RpcCallOptions = {}): Promise<unknown> {
    const giveUpAt = performance.now() + (opts.timeoutMs ?? this.timeoutMs);
    let backoff = BUSY_BACKOFF_FIRST_MS;
    for (;;) {
      let release: (() => void) | undefined;
      if (this.limiter) {
        try {
          release = await this.limiter.acquire(opts.urgent === true, opts.signal);
        } catch (err) {
          throw new RpcTransportError(this.name, method, "aborted", "aborted by the caller while waiting for a free slot", undefined, { cause: err });
        }
      }
      try {
        return await this.once(method, params, opts);
      } catch (err) {
        if (!(err instanceof RpcTransportError && err.reason === "busy")) throw err;
        this.busyAnswers++;
        this.onBusy?.(method);
        const left = giveUpAt - performance.now();
        if (left <= 0 || opts.signal?.aborted) throw err;
        release?.();
        release = undefined;
        // Jitter, so the calls refused together do not all come back together.
        await Bun.sleep(Math.min(left, backoff * (0.5 + Math.random())));
        backoff = Math.min(backoff * 2, BUSY_BACKOFF_MAX_MS);
      } finally {
        release?.();
      }
    }
  }

  private async once(method: string, params: readonly unknown[], opts: RpcCallOptions): Promise<unknown> {
    const id = ++this.nextId;
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    const body = JSON.stringify({ jsonrpc: "1.0", id, method, params });
    const started = performance.now();
    let res: Response;
    let text: string;
    try {
      res = await this.fetch(this.url, { method: "POST", headers: this.headers, body, signal });
      text = await res.text();
    } catch (err) {
      throw this.transportError(method, err, timeout.aborted, opts.signal?.aborted === true, timeoutMs);
    }
    this.lastRttMs = performance.now() - started;
    return this.parseReply(method, id, res, text);
  }

  private transportError(method: string, err: unknown, timedOut: boolean, aborted: boolean, timeoutMs: number): CoinserverError {
    if (timedOut) return new RpcTransportError(this.name, method, "timeout", `no answer within ${timeoutMs} ms from ${this.url}`, undefined, { cause: err });
    if (aborted) return new RpcTransportError(this.name, method, "aborted", "aborted by the caller", undefined, { cause: err });
    const code = typeof err === "object" && err !== null && "code" in err ? String(err.code) : "";
    if (code === "ECONNREFUSED" || code === "ConnectionRefused") {
      return new RpcTransportError(this.name, method, "refused", `connection refused by ${this.url}`, undefined, { cause: err });
    }
    const msg = err instanceof Error ? err.message : String(err);
    return new RpcTransportError(this.name, method, "network", `${msg} (${this.url})`, undefined, { cause: err });
  }

  private parseReply(method: string, id: number, res: Response, text: string): unknown {
    const httpError = (hint: string) =>
      new RpcTransportError(this.name, method, "http", `HTTP ${res.status} ${res.statusText}${hint}`, res.status);
    // bitcoind and bcoin answer a wrong password with an empty 401 (bitcoind also sleeps first).
    if (res.status === 401 || res.status === 403) throw httpError(": check the coinserver's username/password");
    if (res.status === 500 && WORK_QUEUE_FULL.test(text))
      throw new RpcTransportError(this.name, method, "busy", `HTTP 500 ${excerpt(text)}: the node's RPC work queue is full (raise its -rpcworkqueue or lower this coinserver's rpcworkqueue)`, 500);
    let reply: unknown;
    try {
      reply = JSON.parse(text);
    } catch {
      if (!res.ok) throw httpError(`: ${excerpt(text)}`);
      throw new RpcProtocolError(this.name, method, `expected a JSON-RPC reply, got ${excerpt(text)}`);
    }
    if (typeof reply !== "object" || reply === null || Array.isArray(reply)) {
      if (!res.ok) throw httpError(`: ${excerpt(text)}`);
      throw new RpcProtocolError(this.name, method, `expected a JSON-RPC reply object, got ${excerpt(text)}`);
    }
    // bitcoind sends errors with HTTP 500/404 and a JSON body: that is still a real answer.
    const r = reply as Record<string, unknown>;
    if (r.error !== undefined && r.error !== null) {
      const e = r.error as Record<string, unknown>;
      if (typeof e.code === "number" && typeof e.message === "string") throw new RpcError(this.name, method, e.code, e.message);
      throw new RpcProtocolError(this.name, method, `expected error {code, message}, got ${excerpt(JSON.stringify(r.error))}`);
    }
    if (!("result" in r)) {
      if (!res.ok) throw httpError(`: ${excerpt(text)}`);
      throw new RpcProtocolError(this.name, method, `expected a "result" field, got ${excerpt(text)}`);
    }
    if (r.id !== undefined && r.id !== null && r.id !== id) {
      throw new RpcProtocolError(this.name, method, `expected reply id ${id}, got ${excerpt(JSON.stringify(r.id))}`);
    }
    return r.result;
  }
}
