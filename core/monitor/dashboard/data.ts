/**
 * @module The dashboard's one JSON document (`/dashboard/data`), shaped for drawing rather than for
 * PowerPool compatibility: times in ms since the epoch, hashrates in hashes/s, each with the time
 * it was measured over (`…MeasuredMs`: up to a minute; less for a young port or connection, null
 * before any miner). Miner IPs are left out; the dashboard does not need them.
 */
import type { JobType } from "../../../shared/contract/index.ts";
import type { QuarantineState } from "../../gate/quarantine-store.ts";
import { AUDIT_SCOPE, auditPicture } from "../audit.ts";
import type { HistoryPoint } from "../history.ts";
import { clientSpanMs, currencyOfJobmanager, hashrates, measuredMs, quarantineOf, workerCount, type View } from "../view.ts";

const MAX_WORKERS = 200;
const MAX_BLOCKS = 25;

export interface DashboardData {
  readonly generatedAt: number;
  readonly pool: {
    readonly procname: string;
    readonly version: string;
    readonly startedAt: number;
    readonly hashrate: number;
    readonly hashrateMeasuredMs: number | null;
    readonly workers: number;
    readonly edges: number;
    readonly redisError: string | null;
    readonly ingestPending: number | null;
    readonly ingestLag: number | null;
  };
  readonly history: { readonly intervalMs: number; readonly points: readonly HistoryPoint[] };
  readonly coins: readonly DashboardCoin[];
  readonly edges: readonly DashboardEdge[];
  readonly workers: readonly DashboardWorker[];
  readonly blocks: readonly DashboardBlock[];
  /** Issue 20 §3: quarantined edges, oldest first (the red banner). */
  readonly quarantines: readonly DashboardQuarantine[];
  /** Issue 20 §3–§4: the gate and the share audit, per edge identity. */
  readonly audit: DashboardAudit;
}

export interface DashboardAudit {
  /** What the counters cover (this core since it started). */
  readonly scope: string;
  /** False when the core runs no auditor with counters. */
  readonly auditing: boolean;
  readonly gate: { readonly passed: number; readonly identityMismatches: number; readonly deadLettered: number; readonly quarantines: number; readonly streams: number } | null;
  readonly edges: readonly DashboardAuditEdge[];
}

export interface DashboardAuditEdge {
  readonly edge: string;
  /** From its heartbeat; null when it has none or did not say. */
  readonly contract: 1 | 2 | null;
  readonly audited: number;
  readonly failed: number;
  readonly unverifiable: number;
  readonly duplicates: number;
  readonly unauditedV1: number;
  /** Sampling probability per algorithm. */
  readonly p: Readonly<Record<string, number>>;
  readonly unverifiableRecent: number;
  readonly unverifiableAlert: boolean;
  readonly quarantined: boolean;
  readonly warnings: readonly string[];
}

export interface DashboardQuarantine extends QuarantineState {
  /** Share entries held (pending + unread); null when unknown. */
  readonly held: number | null;
  /** Set when the key is not one the gate wrote: no buttons, look at Redis. */
  readonly malformed: string | null;
}

export interface DashboardCoin {
  readonly key: string;
  readonly currency: string;
  readonly algo: string;
  readonly hashrate: number;
  readonly hashrateMeasuredMs: number | null;
  readonly height: number | null;
  readonly difficulty: number | null;
  readonly jobCount: number;
  readonly lastJobId: string | null;
  readonly lastJobType: JobType | null;
  readonly lastJobAt: number | null;
  readonly lastSignal: number | null;
  readonly signals: number;
  readonly tipMode: string;
  /** zmq, longpoll, datagram or poll: how new blocks are noticed now (issue 21). */
  readonly blockMethod: string;
  readonly templateError: string | null;
  readonly blocks: { readonly accepts: number; readonly rejects: number };
  readonly coinservers: readonly { name: string; state: string; current: boolean; rttMs: number | null; lastError: string | null; subversion: string | null }[];
}

export interface DashboardEdge {
  readonly edge: string;
  readonly publicHost: string | null;
  readonly startedAt: number;
  readonly heartbeatAt: number;
  readonly spooled: number;
  readonly clients: number;
  readonly authed: number;
  readonly hashrate: number;
  readonly hashrateMeasuredMs: number | null;
  readonly shares: { acc: number; rejected: number };
  readonly ports: readonly { key: string; listenPort: number; currency: string; clients: number; hashrate: number }[];
  /** The edge's (or one of its workers') quarantine; null when none. */
  readonly quarantined: { readonly edge: string; readonly since: number; readonly reason: string } | null;
  /** The contract its heartbeat names (1: unaudited shared streams); null when it did not say. */
  readonly contract: 1 | 2 | null;
}

export interface DashboardWorker {
  readonly address: string;
  readonly worker: string;
  readonly edge: string;
  readonly port: string;
  readonly difficulty: number;
  readonly acceptedDifficulty: number;
  /** Null from edges that did not report it. */
  readonly hashrate: number | null;
  readonly hashrateMeasuredMs: number;
  readonly lastShareAt: number | null;
  readonly connectedAt: number;
  readonly idle: boolean;
  readonly userAgent: string;
  /** "sv2" for a Stratum V2 channel; absent for stratum v1. */
  readonly protocol?: "v1" | "sv2";
}

export interface DashboardBlock {
  readonly at: number;
  readonly currency: string;
  readonly merged: boolean;
  readonly height: number;
  readonly hash: string;
  readonly worker: string;
  readonly edge: string;
  readonly accepted: boolean;
  readonly reason: string | null;
  readonly chain: string;
  readonly latencyMs: number;
}

export function dashboardData(view: View): DashboardData {
  const rates = hashrates(view);
  const backlog = view.core.accounting.status().ingest.shares.backlog;
  const edges = view.redisView.edges;
  return {
    generatedAt: view.at,
    pool: {
      procname: view.config.procname,
      version: view.version.version,
      startedAt: view.startedAt,
      hashrate: rates.pool,
      hashrateMeasuredMs: rates.poolMeasuredMs,
      workers: workerCount(view),
      edges: edges.length,
      redisError: view.redisView.error,
      ingestPending: backlog?.pending ?? null,
      ingestLag: backlog?.lag ?? null,
    },
    history: { intervalMs: view.history.intervalMs, points: view.history.all() },
    coins: [...view.core.coins.values()].map((rt): DashboardCoin => {
      const coin = view.config.coins[rt.key];
      const currency = coin?.currency ?? rt.key;
      const jobs = rt.jobs.status();
      const tip = rt.watcher.status();
      const seen = view.tracker.jobsOf(rt.key);
      const b = view.tracker.blockStats(rt.key);
      return {
        key: rt.key,
        currency,
        algo: coin?.algo ?? "",
        hashrate: rates.coins[currency] ?? 0,
        hashrateMeasuredMs: rates.coinsMeasuredMs[currency] ?? null,
        height: jobs.height,
        difficulty: jobs.difficulty,
        jobCount: jobs.jobCount,
        lastJobId: jobs.lastJobId,
        lastJobType: (jobs.lastJobType as JobType | null) ?? null,
        lastJobAt: seen?.last?.at ?? null,
        lastSignal: tip.lastSignal,
        signals: tip.signals,
        tipMode: tip.mode,
        blockMethod: tip.method,
        templateError: jobs.templateError,
        blocks: { accepts: b.accepts, rejects: b.rejects },
        coinservers: rt.pool.status().servers.map((s) => ({ name: s.name, state: s.state, current: s.current, rttMs: s.lastRttMs, lastError: s.lastError, subversion: s.subversion })),
      };
    }),
    edges: edges.map((e): DashboardEdge => {
      const sum = (f: (p: (typeof e.ports)[number]) => number) => e.ports.reduce((a, p) => a + f(p), 0);
      const q = quarantineOf(view, e.edge);
      return {
        edge: e.edge,
        publicHost: e.publicHost,
        startedAt: e.startedAt,
        heartbeatAt: e.time,
        spooled: e.spooled,
        clients: sum((p) => p.clients),
        authed: sum((p) => p.authed),
        hashrate: sum((p) => p.hashrate),
        hashrateMeasuredMs: measuredMs(e.ports),
        shares: { acc: sum((p) => p.shares.acc), rejected: sum((p) => p.shares.dup + p.shares.low + p.shares.stale + p.shares.invalid) },
        ports: e.ports.map((p) => ({ key: p.key, listenPort: p.listenPort, currency: currencyOfJobmanager(view, p.jobmanager), clients: p.clients, hashrate: p.hashrate })),
        quarantined: q ? { edge: q.edge, since: q.since, reason: q.reason } : null,
        contract: e.contract ?? null,
      };
    }),
    workers: edges
      .flatMap((e) => e.ports.flatMap((p) => (p.clientList ?? []).map((c): DashboardWorker => ({ address: c.address, worker: c.worker, edge: e.edge, port: p.key, difficulty: c.difficulty, acceptedDifficulty: c.acceptedDifficulty, hashrate: c.hashrate ?? null, hashrateMeasuredMs: clientSpanMs(c, view.at), lastShareAt: c.lastShareAt, connectedAt: c.connectedAt, idle: c.idle, userAgent: c.userAgent, ...(c.protocol ? { protocol: c.protocol } : {}) }))))
      .sort((a, b) => b.acceptedDifficulty - a.acceptedDifficulty || a.worker.localeCompare(b.worker))
      .slice(0, MAX_WORKERS),
    blocks: view.tracker
      .recentBlocks()
      .slice(0, MAX_BLOCKS)
      .map((r) => ({ at: r.at, currency: r.currency, merged: r.merged, height: r.height, hash: r.hash, worker: r.worker, edge: r.edge, accepted: r.accepted, reason: r.reason, chain: r.position, latencyMs: r.latencyMs })),
    quarantines: (view.redisView.quarantines ?? []).map((q) => ({
      edge: q.edge,
      since: q.since,
      reason: q.reason,
      detail: q.detail,
      stream: q.stream,
      entry: q.entry,
      action: q.action,
      actionAt: q.actionAt,
      held: q.held?.total ?? null,
      malformed: q.malformed,
    })),
    audit: dashboardAudit(view),
  };
}

function dashboardAudit(view: View): DashboardAudit {
  const pic = auditPicture(view);
  const g = pic.gate;
  return {
    scope: AUDIT_SCOPE,
    auditing: pic.auditing,
    gate: g && { passed: g.totals.passed, identityMismatches: g.totals.identityMismatches, deadLettered: g.totals.deadLettered, quarantines: g.totals.quarantines, streams: g.streams.length },
    edges: pic.edges.map((e) => ({
      edge: e.edge,
      contract: e.contract,
      audited: e.counts.audited,
      failed: e.counts.failed,
      unverifiable: e.counts.unverifiable,
      duplicates: e.counts.duplicates,
      unauditedV1: e.counts.unaudited,
      p: Object.fromEntries(Object.entries(e.rates).map(([algo, r]) => [algo, r.p])),
      unverifiableRecent: e.unverifiableRecent,
      unverifiableAlert: e.unverifiableAlert !== null,
      quarantined: e.quarantined !== null,
      warnings: e.warnings,
    })),
  };
}
