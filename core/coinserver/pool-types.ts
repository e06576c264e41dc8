/** @module The types of CoinserverPool's options, results, events and status. */
import type { CoinserverConfig } from "../../shared/config/schema.ts";
import type { Logger } from "../../shared/log.ts";
import type { Clock } from "./clock.ts";
import type { CoinserverError } from "./errors.ts";
import type { FetchLike, RpcCallOptions } from "./rpc-client.ts";
import type { CoinserverStatus } from "./server-state.ts";

/** A coinserver entry; `rpcworkqueue` may be left out (tests, entries built by hand): Core's default 16 then. */
export type PoolServerConfig = Omit<CoinserverConfig, "rpcworkqueue"> & Partial<Pick<CoinserverConfig, "rpcworkqueue">>;

export interface CoinserverPoolOptions {
  /** Coin or aux key, used in log lines and errors (e.g. "LTC"). */
  readonly label: string;
  readonly servers: readonly PoolServerConfig[];
  /** Seconds between health checks of every server (config `rpc_ping_int`). */
  readonly pingInterval: number;
  readonly log: Logger;
  /** How long `call`/`callAll` wait for a live server before failing; default 10 s. */
  readonly waitForLiveMs?: number;
  /** RPC error codes that mean "node not ready" (default: -28, in warm-up). */
  readonly unavailableCodes?: ReadonlySet<number>;
  readonly clock?: Clock;
  readonly fetch?: FetchLike;
}

export interface PoolCallOptions extends RpcCallOptions {
  /** Overrides the pool's `waitForLiveMs` for this call. */
  readonly waitMs?: number;
}

/** One server's answer in `callAll`. Errors are values here: the caller decides what to retry. */
export type ServerOutcome =
  | { readonly server: string; readonly priority: number; readonly ok: true; readonly result: unknown; readonly rttMs: number | null }
  | { readonly server: string; readonly priority: number; readonly ok: false; readonly error: CoinserverError };

export type PoolEvent =
  | { readonly type: "up"; readonly server: string }
  | { readonly type: "down"; readonly server: string; readonly error: string }
  | { readonly type: "current"; readonly server: string | null; readonly previous: string | null };

export interface PoolStatus {
  readonly label: string;
  /** The server `call()` uses now; null when none is live (or, at start-up, while a better one is first checked). */
  readonly current: string | null;
  readonly live: number;
  readonly down: number;
  readonly servers: readonly CoinserverStatus[];
}
