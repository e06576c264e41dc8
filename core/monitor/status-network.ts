/**
 * @module MonitorNetwork (spec §5.10) and MonitorAuxNetwork (§6.6) status objects, from the coin's
 * coinserver pool, job manager and tip watcher, and the monitor's block tracker. Times are float
 * epoch seconds as in PowerPool; coinserver entries add name/priority/current/last_error and never
 * hold credentials (CoinserverStatus has none). Aux `last_work.hash`/`target` are 0x hex strings,
 * not 256-bit JSON numbers (§15 item 31).
 */
import type { CoinserverStatus } from "../coinserver/index.ts";
import { epochSeconds, safeInteger } from "./format.ts";
import type { BlockStats } from "./tracker.ts";
import type { View } from "./view.ts";

export interface CoinserverView {
  readonly last_getinfo: number | null;
  readonly connections: readonly { last_rtt: number | null; connected_since: number | null }[];
  readonly status: "live" | "down";
  readonly name: string;
  readonly priority: number;
  readonly current: boolean;
  readonly last_error: string | null;
  readonly version: number | string | null;
  readonly subversion: string | null;
}

export interface BlockStatsView {
  readonly accepts: number;
  readonly rejects: number;
  readonly solves: number;
  readonly last_solve_height: number | null;
  readonly last_solve_time: number | null;
  readonly last_solve_worker: string | null;
  readonly last_solve_hash?: string;
}

export interface MonitorNetworkStatus {
  readonly net_state: { difficulty: number | null; height: number | null; last_block: number | null; prev_hash: string | null; transactions: number | null; subsidy: number | string | null };
  readonly block_stats: BlockStatsView;
  readonly last_signal: number | null;
  readonly currency: string;
  readonly live_coinservers: number;
  readonly down_coinservers: number;
  readonly coinservers: Readonly<Record<string, CoinserverView>>;
  readonly job_count: number;
  readonly algo: string;
  readonly tip_mode: string;
  /** How new blocks are noticed now: zmq, longpoll, datagram or poll (issue 21). */
  readonly block_method: string;
  readonly last_job_id: string | null;
  readonly template_error: string | null;
}

export function networkStatus(view: View, coinKey: string): MonitorNetworkStatus {
  const coin = view.config.coins[coinKey];
  const rt = view.core.coins.get(coinKey);
  const jobs = rt?.jobs.status();
  const pool = rt?.pool.status();
  const tip = rt?.watcher.status();
  return {
    net_state: {
      difficulty: jobs?.difficulty ?? null,
      height: jobs?.height ?? null,
      last_block: epochSeconds(jobs?.lastNewBlockAt ?? tip?.lastNewBlock),
      prev_hash: jobs?.prevHash ?? null,
      transactions: jobs?.transactions ?? null,
      subsidy: jobs?.subsidy === null || jobs?.subsidy === undefined ? null : safeInteger(jobs.subsidy),
    },
    block_stats: blockStatsView(view.tracker.blockStats(coinKey)),
    last_signal: epochSeconds(tip?.lastSignal),
    currency: coin?.currency ?? coinKey,
    live_coinservers: pool?.live ?? 0,
    down_coinservers: pool?.down ?? 0,
    coinservers: coinserverMap(pool?.servers ?? []),
    job_count: jobs?.jobCount ?? 0,
    algo: coin?.algo ?? "",
    tip_mode: tip?.mode ?? "unknown",
    block_method: tip?.method ?? "unknown",
    last_job_id: jobs?.lastJobId ?? null,
    template_error: jobs?.templateError ?? null,
  };
}

export function blockStatsView(s: BlockStats): BlockStatsView {
  return {
    accepts: s.accepts,
    rejects: s.rejects,
    solves: s.solves,
    last_solve_height: s.lastSolveHeight,
    last_solve_time: epochSeconds(s.lastSolveTime),
    last_solve_worker: s.lastSolveWorker,
    ...(s.lastSolveHash === null ? {} : { last_solve_hash: s.lastSolveHash }),
  };
}

function coinserverMap(servers: readonly CoinserverStatus[]): Record<string, CoinserverView> {
  const out: Record<string, CoinserverView> = {};
  for (const s of servers) {
    out[`${s.address}:${s.port}`] = {
      last_getinfo: epochSeconds(s.lastCheck),
      connections: [{ last_rtt: s.lastRttMs === null ? null : s.lastRttMs / 1000, connected_since: s.state === "live" ? epochSeconds(s.since) : null }],
      // PowerPool knew only live and down; a server not yet checked is not live.
      status: s.state === "live" ? "live" : "down",
      name: s.name,
      priority: s.priority,
      current: s.current,
      last_error: s.lastError,
      version: s.version,
      subversion: s.subversion,
    };
  }
  return out;
}

export interface MonitorAuxNetworkStatus {
  readonly block_stats: BlockStatsView & { stale: number };
  readonly currency: string;
  /** hash and target as 0x hex strings (spec §15 item 31). */
  readonly last_work: { hash: string; target: string; type: string; height: number; found_block: boolean; chainid: number } | null;
  readonly last_signal: number | null;
  readonly live_coinservers: number;
  readonly down_coinservers: number;
  readonly coinservers: Readonly<Record<string, CoinserverView>>;
  readonly current_net: { difficulty: number | null; height: number | null; last_block: number | null };
  readonly error: string | null;
}

/**
 * An aux chain: from the core's aux runtime when it runs the chain, else from the aux work some
 * core stored in Redis (contract `auxWork`) with the block results this monitor saw.
 */
export function auxStatus(view: View, auxKey: string): MonitorAuxNetworkStatus {
  const aux = view.config.aux[auxKey];
  const type = aux?.payout.method ?? "getauxblock";
  const currency = aux?.currency ?? auxKey;
  const rt = view.core.aux?.status()[auxKey];
  const pool = view.core.aux?.chains.get(auxKey)?.pool.status();
  const servers = { live_coinservers: pool?.live ?? 0, down_coinservers: pool?.down ?? 0, coinservers: coinserverMap(pool?.servers ?? []) };
  if (rt) {
    const b = rt.block_stats;
    const w = rt.last_work;
    return {
      block_stats: {
        accepts: b.accepts,
        rejects: b.rejects,
        stale: b.stale,
        solves: b.solves,
        last_solve_height: b.last_solve?.height ?? null,
        last_solve_time: epochSeconds(b.last_solve?.time),
        last_solve_worker: b.last_solve?.worker ?? null,
        ...(b.last_solve ? { last_solve_hash: b.last_solve.hash } : {}),
      },
      currency: rt.currency,
      last_work: w && { hash: `0x${w.hash}`, target: `0x${w.target}`, type, height: w.height, found_block: false, chainid: w.chainid },
      last_signal: epochSeconds(rt.last_signal),
      ...servers,
      current_net: { difficulty: rt.current_net?.difficulty ?? null, height: rt.current_net?.height ?? null, last_block: epochSeconds(rt.current_net?.last_block) },
      error: rt.error,
    };
  }
  const work = view.redisView.aux[auxKey] ?? null;
  return {
    block_stats: { ...blockStatsView(view.tracker.blockStats(auxKey)), stale: 0 },
    currency,
    last_work: work && { hash: `0x${work.hash}`, target: `0x${work.target}`, type, height: work.height, found_block: false, chainid: work.chainId },
    last_signal: null,
    ...servers,
    current_net: { difficulty: null, height: work ? work.height - 1 : null, last_block: epochSeconds(work?.fetchedAt) },
    error: null,
  };
}
