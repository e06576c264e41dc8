/**
 * @module What the pool knows about one coinserver: its client, priority, health and the facts from
 * its last health check. The monitor reads `CoinserverStatus`; it never contains credentials.
 */
import type { CoinserverConfig } from "../../shared/config/schema.ts";
import type { RpcClient } from "./rpc-client.ts";

/** `unknown` until the first health check finishes. */
export type ServerHealth = "unknown" | "live" | "down";

export interface CoinserverStatus {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly priority: number;
  readonly state: ServerHealth;
  /** When the state last changed (epoch ms); pool start for `unknown`. */
  readonly since: number;
  /** Whether this server is the one `call()` uses now. */
  readonly current: boolean;
  readonly lastCheck: number | null;
  readonly lastRttMs: number | null;
  readonly lastError: string | null;
  /** From the last successful getblockchaininfo. */
  readonly chain: string | null;
  readonly blocks: number | null;
  readonly bestBlockHash: string | null;
  /** From getnetworkinfo, fetched once each time the server comes up. */
  readonly version: number | string | null;
  readonly subversion: string | null;
  /** Calls in flight now and the bound below the node's rpcworkqueue (issue 16 §3). */
  readonly inFlight?: number;
  readonly maxInFlight?: number | null;
  /** "Work queue depth exceeded" answers since start (each was backed off and retried). */
  readonly busyAnswers?: number;
}

export interface ChainInfo {
  readonly chain: string | null;
  readonly blocks: number | null;
  readonly bestBlockHash: string | null;
}

export interface NetworkInfo {
  readonly version: number | string | null;
  readonly subversion: string | null;
}

export class ServerState {
  health: ServerHealth = "unknown";
  since: number;
  lastCheck: number | null = null;
  lastRttMs: number | null = null;
  lastError: string | null = null;
  chain: ChainInfo = { chain: null, blocks: null, bestBlockHash: null };
  network: NetworkInfo = { version: null, subversion: null };
  /** A health check is in flight; the loop skips the server rather than stacking checks. */
  checking = false;

  constructor(
    readonly client: RpcClient,
    readonly config: Pick<CoinserverConfig, "address" | "port" | "poll_priority">,
    /** Position in the config list: breaks priority ties (earlier wins). */
    readonly index: number,
    now: number,
  ) {
    this.since = now;
  }

  get name(): string {
    return this.client.name;
  }

  get priority(): number {
    return this.config.poll_priority;
  }

  toStatus(current: boolean): CoinserverStatus {
    return {
      name: this.name,
      address: this.config.address,
      port: this.config.port,
      priority: this.priority,
      state: this.health,
      since: this.since,
      current,
      lastCheck: this.lastCheck,
      lastRttMs: this.lastRttMs === null ? null : Math.round(this.lastRttMs * 10) / 10,
      lastError: this.lastError,
      ...this.chain,
      ...this.network,
      inFlight: this.client.inFlight,
      maxInFlight: this.client.maxInFlight,
      busyAnswers: this.client.busyAnswers,
    };
  }
}

/** Reads the fields the pool shows from a getblockchaininfo result; tolerant of coin-specific extras. */
export function parseChainInfo(v: unknown): ChainInfo {
  const o = isObject(v) ? v : {};
  return {
    chain: typeof o.chain === "string" ? o.chain : null,
    blocks: typeof o.blocks === "number" ? o.blocks : null,
    bestBlockHash: typeof o.bestblockhash === "string" ? o.bestblockhash : null,
  };
}

/** bitcoind reports `version` as a number (250000), bcoin as a string ("v1.0.2"). */
export function parseNetworkInfo(v: unknown): NetworkInfo {
  const o = isObject(v) ? v : {};
  return {
    version: typeof o.version === "number" || typeof o.version === "string" ? o.version : null,
    subversion: typeof o.subversion === "string" ? o.subversion : null,
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
