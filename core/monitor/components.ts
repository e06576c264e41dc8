/**
 * @module PowerPool's components as the monitor names them (spec §9: `<ClassName>_<key>`), mapped
 * onto ours: the core process (`PowerPool_<procname>`), one MonitorNetwork per coin, one
 * MonitorAuxNetwork per aux chain, one MonitorNetworkMulti per profit switcher, one StratumServer per stratum port summed over the edges, one
 * reporter per reporter entry, and the monitor itself (`ServerMonitor_monitor`).
 *
 * `/<key>/` takes the full name or the bare key. Config sections have separate key spaces, so a
 * bare key is looked up in the order stratum, coin, switcher, aux, reporter, procname, `monitor`
 * (SimpleCoin polls a stratum port key). The fixed routes (`counters`, `debug`, `05`, `dashboard`,
 * `metrics`, `bans`, `quarantine`, `cores`) win over a component with one of those keys; its full name still reaches it.
 */
import { pyDatetime, pyDuration } from "./format.ts";
import { configView } from "./redact.ts";
import { auxStatus, networkStatus } from "./status-network.ts";
import { stratumStatus } from "./status-stratum.ts";
import type { View } from "./view.ts";

export type ComponentKind = "pool" | "network" | "switcher" | "aux" | "stratum" | "reporter" | "monitor";

export interface Component {
  /** `<ClassName>_<key>`. */
  readonly name: string;
  readonly key: string;
  readonly kind: ComponentKind;
}

const REPORTER_CLASS = { redis: "RedisReporter", celery: "CeleryReporter", double: "DoubleReporter" } as const;

export function listComponents(view: Pick<View, "config">): Component[] {
  const c = view.config;
  return [
    { name: `PowerPool_${c.procname}`, key: c.procname, kind: "pool" },
    ...Object.keys(c.coins).map((k) => ({ name: `MonitorNetwork_${k}`, key: k, kind: "network" as const })),
    ...Object.keys(c.switchers).map((k) => ({ name: `MonitorNetworkMulti_${k}`, key: k, kind: "switcher" as const })),
    ...Object.keys(c.aux).map((k) => ({ name: `MonitorAuxNetwork_${k}`, key: k, kind: "aux" as const })),
    ...Object.keys(c.stratum).map((k) => ({ name: `StratumServer_${k}`, key: k, kind: "stratum" as const })),
    ...Object.entries(c.reporters).map(([k, r]) => ({ name: `${REPORTER_CLASS[r.type]}_${k}`, key: k, kind: "reporter" as const })),
    { name: "ServerMonitor_monitor", key: "monitor", kind: "monitor" },
  ];
}

const LOOKUP_ORDER: readonly ComponentKind[] = ["stratum", "network", "switcher", "aux", "reporter", "pool", "monitor"];

export function findComponent(view: Pick<View, "config">, keyOrName: string): Component | undefined {
  const all = listComponents(view);
  const byName = all.find((c) => c.name === keyOrName);
  if (byName) return byName;
  for (const kind of LOOKUP_ORDER) {
    const hit = all.find((c) => c.kind === kind && c.key === keyOrName);
    if (hit) return hit;
  }
  return undefined;
}

export function componentStatus(view: View, comp: Component): object {
  switch (comp.kind) {
    case "pool":
      return poolStatus(view);
    case "network":
      return networkStatus(view, comp.key);
    case "switcher":
      // Spec §7's status; empty while the core runs no such switcher (a config it has not loaded).
      return view.core.switchers?.get(comp.key)?.status() ?? {};
    case "aux":
      return auxStatus(view, comp.key);
    case "stratum":
      return stratumStatus(view, comp.key);
    case "reporter":
      return reporterStatus(view, comp.key);
    case "monitor":
      return {};
  }
}

/** The component's effective config, secrets masked (spec §15 item 2). */
export function componentConfig(view: View, comp: Component): unknown {
  const c = view.config;
  switch (comp.kind) {
    case "pool":
      return configView({ procname: c.procname, pool: c.pool, logging: c.logging, redis: c.redis, edges: c.edges, algorithms: c.algorithms });
    case "network":
      return configView(c.coins[comp.key]);
    case "switcher":
      return configView(c.switchers[comp.key]);
    case "aux":
      return configView(c.aux[comp.key]);
    case "stratum":
      return configView(c.stratum[comp.key]);
    case "reporter":
      return configView(c.reporters[comp.key]);
    case "monitor":
      return configView({ ...c.monitor, listen_port: c.monitorPort });
  }
}

export interface PowerPoolStatus {
  readonly uptime: string;
  readonly server_start: string;
  readonly version: { version: string; version_info: number[]; sha: string | null; rev_date: string | null };
  readonly procname: string;
  readonly edges: number;
  /** Issue 20 §3: edges whose shares the gate holds until the operator decides (GET /quarantine/ for the rest). */
  readonly quarantined_edges: readonly { edge: string; since: number; reason: string; action: string | null }[];
}

function poolStatus(view: View): PowerPoolStatus {
  const v = view.version;
  return {
    uptime: pyDuration(view.at - view.startedAt),
    server_start: pyDatetime(view.startedAt),
    version: { version: v.version, version_info: v.version.split(".").map((p) => Number.parseInt(p, 10) || 0), sha: v.sha, rev_date: v.revDate },
    procname: view.config.procname,
    edges: view.redisView.edges.length,
    quarantined_edges: (view.redisView.quarantines ?? []).map((q) => ({ edge: q.edge, since: q.since, reason: q.reason, action: q.action })),
  };
}

/**
 * The Redis reporter is the core's share ingest: its queue is what waits in the share stream for
 * the accounting group (delivered but unacknowledged, plus not yet delivered). Celery and double
 * reporters report their own status (core/reporters): a celery one's queue is its outbox.
 */
function reporterStatus(view: View, key: string): object {
  const r = view.config.reporters[key];
  const own = r?.type === "redis" ? undefined : view.core.reporters?.status()[key];
  if (own) return own;
  if (r?.type === "double") return {};
  const backlog = view.core.accounting.status().ingest.shares.backlog;
  const queue = backlog === null ? 0 : backlog.pending + (backlog.lag ?? 0);
  return r?.type === "celery" ? { queue_size: queue, unrep_shares: 0 } : { queue_size: queue };
}
