/**
 * @module The coinservers of one coin (or aux chain): health checks, priority, failover and
 * fail-back, and the two ways to call them: `call` on the best live server, `callAll` on every
 * live server at once (block submission).
 *
 * Rules (spec §5.1, with §15 items 10 and 23 fixed):
 * - Every server starts `unknown` and becomes live only after a successful getblockchaininfo
 *   (getinfo is gone from modern nodes). getnetworkinfo is asked once per up-transition.
 * - The live server with the highest `poll_priority` is current (ties: earlier in the config).
 *   PowerPool promoted the highest but fell back to the lowest; here both directions use the highest.
 * - A transport/protocol failure, or a "still warming up" RPC error, marks a server down. Any other
 *   RPC error is a real answer from a working node and is handed to the caller.
 * - State changes are logged once each; a server that stays down is not logged on every check.
 * - Calls in flight per server stay below its `rpcworkqueue` (inFlightLimit); a "work queue depth
 *   exceeded" answer means busy: the call backs off and retries, the server stays live (issue 16 §3).
 */
import type { CoinserverConfig } from "../../shared/config/schema.ts";
import type { Logger } from "../../shared/log.ts";
import { realClock, type Cancel, type Clock } from "./clock.ts";
import { CoinserverError, isServerFailure, NoLiveServerError, RpcTransportError, UNAVAILABLE_RPC_CODES } from "./errors.ts";
import type { CoinserverPoolOptions, PoolCallOptions, PoolEvent, PoolStatus, ServerOutcome } from "./pool-types.ts";
import { RpcClient, type RpcCallOptions } from "./rpc-client.ts";
import { parseChainInfo, parseNetworkInfo, ServerState } from "./server-state.ts";

export type { CoinserverPoolOptions, PoolCallOptions, PoolEvent, PoolStatus, ServerOutcome } from "./pool-types.ts";

/** A busy spell ends after this long without a "work queue depth exceeded" answer. */
const BUSY_QUIET_MS = 10_000;
/** Slots left free of the node's work queue for the operator's own RPC clients (explorers, wallets). */
const RESERVED_SLOTS = 2;

/** Calls the core keeps in flight to one coinserver at most: below the node's -rpcworkqueue. */
export function inFlightLimit(cfg: Partial<Pick<CoinserverConfig, "rpcworkqueue">>): number {
  return Math.max(1, (cfg.rpcworkqueue ?? 16) - RESERVED_SLOTS);
}

export class CoinserverPool {
  readonly label: string;
  /** Highest priority first, then config order: the order servers are preferred in. */
  private readonly ordered: readonly ServerState[];
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly pingMs: number;
  private readonly waitMs: number;
  private readonly unavailable: ReadonlySet<number>;
  private readonly listeners = new Set<(ev: PoolEvent) => void>();
  private readonly waiters = new Set<() => void>();
  private currentName: string | null = null;
  private readonly busySince = new Map<string, number>();
  private noneLiveLogged = false;
  private cancelTick: Cancel | undefined;
  private running = false;

  constructor(opts: CoinserverPoolOptions) {
    if (opts.servers.length === 0) throw new RangeError(`CoinserverPool ${opts.label}: expected at least one coinserver, got 0`);
    this.label = opts.label;
    this.log = opts.log;
    this.clock = opts.clock ?? realClock;
    this.pingMs = opts.pingInterval * 1000;
    this.waitMs = opts.waitForLiveMs ?? 10_000;
    this.unavailable = opts.unavailableCodes ?? UNAVAILABLE_RPC_CODES;
    const seen = new Map<string, number>();
    const states = opts.servers.map((cfg, i) => {
      const base = new RpcClient(cfg).name;
      const n = (seen.get(base) ?? 0) + 1;
      seen.set(base, n);
      // Two entries with the same name would be indistinguishable in logs and the monitor.
      const name = n === 1 ? base : `${base}#${n}`;
      const client = new RpcClient(cfg, { name, maxInFlight: inFlightLimit(cfg), onBusy: (method) => this.onBusy(name, method), ...(opts.fetch ? { fetch: opts.fetch } : {}) });
      return new ServerState(client, cfg, i, this.clock.now());
    });
    this.ordered = states.sort((a, b) => b.priority - a.priority || a.index - b.index);
  }

  /** Starts the health loop; the first check of every server runs at once. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.tick();
  }

  /** Stops the health loop; pending waits in `call` end with NoLiveServerError. */
  stop(): void {
    this.running = false;
    this.cancelTick?.();
    this.cancelTick = undefined;
    this.wake();
  }

  [Symbol.dispose](): void {
    this.stop();
  }

  /** Subscribes to up/down/current changes; returns the unsubscribe function. */
  subscribe(listener: (ev: PoolEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Name of the server `call()` uses now. */
  current(): string | null {
    return this.currentName;
  }

  /**
   * Calls `method` on the best live server. On a server failure that server is marked down and the
   * call moves on to the next best; with none live it waits (bounded) for one to come up.
   * Rejects with RpcError (the node's answer) or NoLiveServerError (cause: the last server error).
   */
  async call(method: string, params: readonly unknown[] = [], opts: PoolCallOptions = {}): Promise<unknown> {
    const tried = new Set<ServerState>();
    const deadline = this.clock.now() + (opts.waitMs ?? this.waitMs);
    let last: CoinserverError | undefined;
    for (;;) {
      // A better server whose first health check is still running is waited for, so the first
      // calls after start go to the primary rather than whichever server answered first.
      const next = this.ordered.find((x) => x.health !== "down" && !tried.has(x));
      let s = next?.health === "live" ? next : undefined;
      if (!s) {
        if (tried.size < this.ordered.length && (await this.waitForChange(deadline - this.clock.now()))) continue;
        // Out of time: a live server ranked below one still on its first check beats failing.
        s = this.ordered.find((x) => x.health === "live" && !tried.has(x));
        if (!s) break;
      }
      try {
        return await s.client.call(method, params, opts);
      } catch (err) {
        if (!isServerFailure(err, this.unavailable)) throw err;
        last = err as CoinserverError;
        tried.add(s);
        this.markDown(s, last);
      }
    }
    const detail = last ? `no live coinserver left (last error: ${last.message})` : `no live coinserver within ${opts.waitMs ?? this.waitMs} ms`;
    throw new NoLiveServerError(this.label, method, detail, { cause: last });
  }

  /**
   * Calls `method` on every live server concurrently (waiting, bounded, if none is live) and
   * returns one outcome per server, best first. An empty list means no server was live.
   */
  async callAll(method: string, params: readonly unknown[] = [], opts: PoolCallOptions = {}): Promise<ServerOutcome[]> {
    const deadline = this.clock.now() + (opts.waitMs ?? this.waitMs);
    let live = this.ordered.filter((s) => s.health === "live");
    while (live.length === 0 && (await this.waitForChange(deadline - this.clock.now()))) live = this.ordered.filter((s) => s.health === "live");
    return Promise.all(live.map((s) => this.outcome(s, method, params, opts)));
  }

  /** Calls one server by name whatever its state (e.g. a submitblock retry); failures still mark it down. */
  async callServer(name: string, method: string, params: readonly unknown[] = [], opts: RpcCallOptions = {}): Promise<ServerOutcome> {
    const s = this.ordered.find((x) => x.name === name);
    if (!s) throw new RangeError(`callServer ${this.label}: expected one of ${this.ordered.map((x) => x.name).join(", ")}; got ${name}`);
    return this.outcome(s, method, params, opts);
  }

  /** Resolves true once a server is live, false after `timeoutMs` or on stop(). */
  async waitForLive(timeoutMs: number): Promise<boolean> {
    const deadline = this.clock.now() + timeoutMs;
    while (this.currentName === null) if (!(await this.waitForChange(deadline - this.clock.now()))) return false;
    return true;
  }

  status(): PoolStatus {
    const servers = this.ordered.map((s) => s.toStatus(s.name === this.currentName));
    return {
      label: this.label,
      current: this.currentName,
      live: servers.filter((s) => s.state === "live").length,
      down: servers.filter((s) => s.state !== "live").length,
      servers,
    };
  }

  private async outcome(s: ServerState, method: string, params: readonly unknown[], opts: RpcCallOptions): Promise<ServerOutcome> {
    try {
      const result = await s.client.call(method, params, opts);
      return { server: s.name, priority: s.priority, ok: true, result, rttMs: s.client.lastRttMs };
    } catch (err) {
      const error = err instanceof CoinserverError ? err : new RpcTransportError(s.name, method, "network", String(err));
      if (isServerFailure(error, this.unavailable)) this.markDown(s, error);
      return { server: s.name, priority: s.priority, ok: false, error };
    }
  }

  /** One warning per busy spell of a server (no busy answer for BUSY_QUIET_MS ends a spell). */
  private onBusy(name: string, method: string): void {
    const now = this.clock.now();
    const last = this.busySince.get(name);
    this.busySince.set(name, now);
    if (last !== undefined && now - last < BUSY_QUIET_MS) return;
    const s = this.ordered.find((x) => x.name === name);
    this.log.warn(
      `${this.label}: coinserver ${name} is busy (${method}: work queue depth exceeded); backing off and retrying, not marking it down (is its rpcworkqueue in the config the node's -rpcworkqueue? other RPC clients share the queue)`,
      { inFlight: s?.client.inFlight, maxInFlight: s?.client.maxInFlight, busyAnswers: s?.client.busyAnswers },
    );
  }

  private tick(): void {
    if (!this.running) return;
    for (const s of this.ordered) if (!s.checking) void this.check(s);
    this.cancelTick = this.clock.after(this.pingMs, () => this.tick());
  }

  private async check(s: ServerState): Promise<void> {
    s.checking = true;
    try {
      const info = parseChainInfo(await s.client.call("getblockchaininfo"));
      if (!this.running) return;
      s.chain = info;
      s.lastCheck = this.clock.now();
      s.lastRttMs = s.client.lastRttMs;
      if (s.health === "live") return;
      try {
        s.network = parseNetworkInfo(await s.client.call("getnetworkinfo"));
      } catch (err) {
        // Version info is for the monitor only; a coin without getnetworkinfo can still serve.
        this.log.debug(`${this.label}: getnetworkinfo failed on ${s.name}`, { error: (err as Error).message });
      }
      if (this.running) this.markUp(s);
    } catch (err) {
      if (!this.running) return;
      s.lastCheck = this.clock.now();
      // Busy for a whole timeout: it answers, so it is alive; the next check looks again.
      if (err instanceof RpcTransportError && err.reason === "busy") {
        s.lastError = err.message;
        return;
      }
      this.markDown(s, err instanceof CoinserverError ? err : new RpcTransportError(s.name, "getblockchaininfo", "network", String(err)));
    } finally {
      s.checking = false;
    }
  }

  private markUp(s: ServerState): void {
    if (s.health === "live") return;
    const { chain, blocks } = s.chain;
    const downFor = s.health === "down" ? ` after ${Math.round((this.clock.now() - s.since) / 1000)} s down` : "";
    s.health = "live";
    s.since = this.clock.now();
    s.lastError = null;
    this.log.info(`${this.label}: coinserver ${s.name} is up${downFor}`, { chain, blocks, version: s.network.subversion ?? s.network.version, priority: s.priority });
    this.emit({ type: "up", server: s.name });
    this.updateCurrent();
    this.wake();
  }

  private markDown(s: ServerState, err: CoinserverError): void {
    s.lastError = err.message;
    if (s.health === "down") return;
    const was = s.health;
    s.health = "down";
    s.since = this.clock.now();
    this.log.warn(`${this.label}: coinserver ${s.name} ${was === "live" ? "went down" : "is not reachable"}: ${err.message}`);
    this.emit({ type: "down", server: s.name, error: err.message });
    this.updateCurrent();
    this.wake();
  }

  private updateCurrent(): void {
    const best = this.ordered.find((s) => s.health !== "down") ?? null;
    // A better server's first health check is still running: decide when it ends (call() waits too),
    // rather than announcing a lower-priority server for a moment at start-up.
    if (best?.health === "unknown") return;
    const name = best?.name ?? null;
    if (name === this.currentName) return;
    const previous = this.currentName;
    this.currentName = name;
    if (best) {
      this.noneLiveLogged = false;
      this.log.notice(`${this.label}: using coinserver ${best.name} (priority ${best.priority})${previous ? ` instead of ${previous}` : ""}`);
    } else if (!this.noneLiveLogged) {
      this.noneLiveLogged = true;
      this.log.error(`${this.label}: no live coinserver; calls wait up to ${this.waitMs} ms for one, then fail`);
    }
    this.emit({ type: "current", server: name, previous });
  }

  private emit(ev: PoolEvent): void {
    for (const l of this.listeners) {
      try {
        l(ev);
      } catch (err) {
        this.log.error(`${this.label}: pool event listener threw`, { error: err });
      }
    }
  }

  /** Resolves true when some server goes up or down, false after `ms` or on stop(). */
  private waitForChange(ms: number): Promise<boolean> {
    if (!this.running || ms <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (changed: boolean) => {
        this.waiters.delete(onChange);
        cancel();
        resolve(changed);
      };
      const onChange = () => done(this.running);
      const cancel = this.clock.after(ms, () => done(false));
      this.waiters.add(onChange);
    });
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}
