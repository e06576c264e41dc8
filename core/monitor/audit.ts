/**
 * @module What the operator sees of the gate and the share audit (issue 20 §3–§4): per edge
 * identity (an edge, or `<edge>/<i>` for its worker processes) the audit counters, its sampling
 * probability per algorithm, the contract version its heartbeat names, and warnings — a v1 edge
 * sends no proofs, so nothing of it is audited; many unverifiable audits lately (jobs unknown to
 * the archive). One picture for `/metrics`, `/audit/` and the dashboard.
 *
 * The counters are this core's, in memory since it started: the leader's gate audits, so they
 * count on the leader; a core that just took over starts from zero (a standby serves no monitor).
 */
import type { AuditCounts, EdgeAuditStats } from "../audit/auditor.ts";
import type { UnverifiableAlert } from "../audit/unverifiable.ts";
import type { GateStatus } from "../gate/index.ts";
import { quarantineOf, type View } from "./view.ts";

/** What is said about the counters' scope (the JSON routes and the dashboard show it). */
export const AUDIT_SCOPE = "counters of this core since it started: the leader core's gate audits edges' shares, so a core that just took over counts from zero";

export interface EdgeAuditRow {
  readonly edge: string;
  /** The contract its heartbeat names (2: own streams with proofs, 1: the shared streams); null when it has no live heartbeat or did not say. */
  readonly contract: 1 | 2 | null;
  /** Whether a live heartbeat names this identity. */
  readonly live: boolean;
  readonly counts: AuditCounts;
  readonly algos: Readonly<Record<string, AuditCounts>>;
  readonly rates: EdgeAuditStats["rates"];
  readonly lastFailure: EdgeAuditStats["lastFailure"];
  readonly unverifiableRecent: number;
  readonly unverifiableAlert: UnverifiableAlert | null;
  /** The quarantine on this identity, if any (its reason). */
  readonly quarantined: string | null;
  /** For the operator: why this edge needs a look (a v1 edge is unaudited, unverifiable audits). */
  readonly warnings: readonly string[];
}

export interface AuditPicture {
  /** False when the core runs no auditor with counters (tests, the bench): rows carry contracts only. */
  readonly auditing: boolean;
  readonly totals: AuditCounts | null;
  readonly gate: GateStatus | null;
  readonly edges: readonly EdgeAuditRow[];
}

const ZERO: AuditCounts = { accepted: 0, audited: 0, failed: 0, unverifiable: 0, duplicates: 0, unaudited: 0 };

export function auditPicture(view: View): AuditPicture {
  const audit = view.core.audit ?? null;
  const stats = audit?.edges() ?? new Map<string, EdgeAuditStats>();
  const contracts = new Map<string, 1 | 2 | null>();
  for (const e of view.redisView.edges) contracts.set(e.edge, e.contract ?? null);
  const names = [...new Set([...contracts.keys(), ...stats.keys()])].sort();
  const edges = names.map((edge): EdgeAuditRow => {
    const st = stats.get(edge);
    const contract = contracts.get(edge) ?? null;
    const counts: AuditCounts = st ? { accepted: st.accepted, audited: st.audited, failed: st.failed, unverifiable: st.unverifiable, duplicates: st.duplicates, unaudited: st.unaudited } : ZERO;
    const alert = st?.unverifiableAlert ?? null;
    const q = quarantineOf(view, edge);
    const warnings: string[] = [];
    if (contract === 1) warnings.push("writes contract v1: its shares carry no proof and are not audited");
    else if (counts.unaudited > 0 && contract !== 2) warnings.push(`${counts.unaudited} shares came through the v1 shared stream: not audited`);
    if (alert) warnings.push(`${st?.unverifiableRecent ?? 0} unverifiable audits within ${Math.round(alert.windowMs / 60_000)} min (jobs unknown to the archive)`);
    return {
      edge,
      contract,
      live: contracts.has(edge),
      counts,
      algos: st?.algos ?? {},
      rates: st?.rates ?? {},
      lastFailure: st?.lastFailure ?? null,
      unverifiableRecent: st?.unverifiableRecent ?? 0,
      unverifiableAlert: alert,
      quarantined: q && q.edge === edge ? q.reason : null,
      warnings,
    };
  });
  return { auditing: audit !== null, totals: audit?.totals() ?? null, gate: view.core.gate?.status() ?? null, edges };
}

/** Counters in the JSON routes' spelling. */
export function countsJson(c: AuditCounts): Record<string, number> {
  return { accepted: c.accepted, audited: c.audited, failed: c.failed, unverifiable: c.unverifiable, duplicates: c.duplicates, unaudited_v1: c.unaudited };
}
