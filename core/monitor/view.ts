/**
 * @module One request's picture of the pool: the monitor's dependencies plus one Redis read (the
 * live edges' heartbeats, aux work) and the time. Every route builds its answer from a View.
 */
import type { Config } from "../../shared/config/load.ts";
import type { EdgeClientV1, EdgePortStatusV1, EdgeStatusV1 } from "../../shared/contract/index.ts";
import { HASHRATE_WINDOW_MS } from "../../shared/hashrate/rate-window.ts";
import type { Logger } from "../../shared/log.ts";
import type { HashrateHistory } from "./history.ts";
import type { QuarantineDesk, QuarantineView } from "./quarantine.ts";
import type { MonitorTracker } from "./tracker.ts";
import type { CoreSource, RedisView, RedisViewSource } from "./types.ts";

export interface VersionInfo {
  readonly version: string;
  /** The source revision, when the deployment says (env POWERPOOL_GIT_SHA). */
  readonly sha: string | null;
  readonly revDate: string | null;
}

/** Sends the operator's ban lifts to the edges (the ban-lift stream, shared/contract/edge-bans.ts). */
export interface BanLiftSink {
  /** Queues a lift of `ip` for `edge` (null: every edge); resolves with the stream entry id. */
  lift(ip: string, edge: string | null): Promise<string>;
}

export interface MonitorDeps {
  readonly config: Config;
  readonly core: CoreSource;
  readonly redis: RedisViewSource;
  readonly tracker: MonitorTracker;
  readonly history: HashrateHistory;
  readonly log: Logger;
  /** When the core started (ms). */
  readonly startedAt: number;
  readonly version: VersionInfo;
  readonly now?: () => number;
  /** Ban lifts towards the edges; without it POST /bans/lift answers 503. */
  readonly banLifts?: BanLiftSink;
  /** The operator's quarantine decisions (issue 20 §3); without it POST /quarantine/… answers 503. */
  readonly quarantines?: QuarantineDesk;
}

export interface View extends MonitorDeps {
  readonly now: () => number;
  readonly at: number;
  readonly redisView: RedisView;
}

export async function loadView(deps: MonitorDeps): Promise<View> {
  const now = deps.now ?? Date.now;
  const redisView = await deps.redis.read();
  return { ...deps, now, at: now(), redisView };
}

export interface PortOnEdge {
  readonly edge: EdgeStatusV1;
  readonly port: EdgePortStatusV1;
}

/** A stratum port as each live edge serving it reports it. */
export function portOnEdges(view: View, key: string): PortOnEdge[] {
  const out: PortOnEdge[] = [];
  for (const edge of view.redisView.edges) for (const port of edge.ports) if (port.key === key) out.push({ edge, port });
  return out;
}

export interface ClientOnEdge {
  readonly edge: string;
  readonly client: EdgeClientV1;
}

export function clientsOnPort(view: View, key: string): ClientOnEdge[] {
  return portOnEdges(view, key).flatMap(({ edge, port }) => (port.clientList ?? []).map((client) => ({ edge: edge.edge, client })));
}

/**
 * The currency a port's hashrate counts for: its coin's; on a switching port the coin the switcher
 * mines now (the key itself before its first switch).
 */
export function currencyOfJobmanager(view: Pick<View, "config" | "core">, jobmanager: string): string {
  return view.config.coins[jobmanager]?.currency ?? view.core.switchers?.get(jobmanager)?.status().current_network ?? jobmanager;
}

/**
 * The time a port's hashrate covers (ms): 0 before its first miner. Edges that did not send it
 * measured a completed minute.
 */
export function portSpanMs(port: EdgePortStatusV1): number {
  return port.hashrateSpanMs ?? HASHRATE_WINDOW_MS;
}

/**
 * The time a sum of port hashrates covers: the shortest span among the ports measured so far
 * (the youngest part of the figure), null while none has had a miner.
 */
export function measuredMs(ports: readonly EdgePortStatusV1[]): number | null {
  let min: number | null = null;
  for (const p of ports) {
    const span = portSpanMs(p);
    if (span > 0 && (min === null || span < min)) min = span;
  }
  return min;
}

/** Pool and per-currency hashes/s over every live edge, with the time they were measured over. */
export function hashrates(view: View): { pool: number; coins: Record<string, number>; poolMeasuredMs: number | null; coinsMeasuredMs: Record<string, number | null> } {
  const coins: Record<string, number> = {};
  const portsOf: Record<string, EdgePortStatusV1[]> = {};
  for (const c of Object.values(view.config.coins)) coins[c.currency] = 0;
  let pool = 0;
  const all: EdgePortStatusV1[] = [];
  for (const edge of view.redisView.edges) {
    for (const port of edge.ports) {
      pool += port.hashrate;
      all.push(port);
      const cur = currencyOfJobmanager(view, port.jobmanager);
      coins[cur] = (coins[cur] ?? 0) + port.hashrate;
      (portsOf[cur] ??= []).push(port);
    }
  }
  const coinsMeasuredMs: Record<string, number | null> = {};
  for (const cur of Object.keys(coins)) coinsMeasuredMs[cur] = measuredMs(portsOf[cur] ?? []);
  return { pool, coins, poolMeasuredMs: measuredMs(all), coinsMeasuredMs };
}

/** The time a connection's hashrate covers (ms): since it connected, at most the window. */
export function clientSpanMs(client: EdgeClientV1, at: number): number {
  return Math.max(0, Math.min(HASHRATE_WINDOW_MS, at - client.connectedAt));
}

/** Authorised connections over every live edge. */
export function workerCount(view: View): number {
  let n = 0;
  for (const edge of view.redisView.edges) for (const port of edge.ports) n += port.authed;
  return n;
}

/**
 * The quarantine on a live edge, if any: its own, or one of its worker processes' (`eu1/3` writes
 * its own streams, so the gate may quarantine it alone) — the oldest when several.
 */
export function quarantineOf(view: View, edge: string): QuarantineView | undefined {
  return (view.redisView.quarantines ?? []).find((q) => q.edge === edge || q.edge.startsWith(`${edge}/`));
}

/** `{since, reason}` of a live edge's quarantine, for the edge lists; absent when it has none. */
export function quarantineMark(view: View, edge: string): { quarantined?: { since: number; reason: string; edge: string; action: string | null } } {
  const q = quarantineOf(view, edge);
  return q ? { quarantined: { since: q.since, reason: q.reason, edge: q.edge, action: q.action } } : {};
}
