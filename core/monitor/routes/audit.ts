/**
 * @module `/audit/`: the gate and the share audit (issue 20 §3–§4) — the gate's totals and the
 * streams it reads, the audit totals, and per edge identity its contract version, counters (all
 * and per algorithm), sampling probability, last failure and warnings (a v1 edge is unaudited;
 * many unverifiable audits lately). This core's counters since it started (see AUDIT_SCOPE).
 */
import type { Hono } from "hono";
import { AUDIT_SCOPE, auditPicture, countsJson } from "../audit.ts";
import { jsonBody, slashRedirect } from "../respond.ts";
import { loadView, type MonitorDeps } from "../view.ts";

export function auditRoutes(app: Hono, deps: MonitorDeps): void {
  app.get("/audit/", async (c) => {
    const view = await loadView(deps);
    const pic = auditPicture(view);
    const g = pic.gate;
    return jsonBody(c, {
      scope: AUDIT_SCOPE,
      since: view.startedAt,
      auditing: pic.auditing,
      totals: pic.totals && countsJson(pic.totals),
      gate: g && {
        passed: g.totals.passed,
        identity_mismatches: g.totals.identityMismatches,
        quarantines: g.totals.quarantines,
        dead_lettered: g.totals.deadLettered,
        last_error: g.lastError ?? null,
        streams: g.streams.map((st) => ({ stream: st.stream, kind: st.kind, edge: st.edge, state: st.state, entries: st.entries, last_entry_at: st.lastEntryAt, last_error: st.lastError ?? null })),
      },
      edges: pic.edges.map((e) => ({
        edge: e.edge,
        contract: e.contract,
        heartbeat: e.live,
        ...countsJson(e.counts),
        probability: Object.fromEntries(Object.entries(e.rates).map(([algo, r]) => [algo, r.p])),
        accepted_per_hour: Object.fromEntries(Object.entries(e.rates).map(([algo, r]) => [algo, Math.round(r.perHour)])),
        algos: Object.fromEntries(Object.entries(e.algos).map(([algo, c]) => [algo, countsJson(c)])),
        last_failure: e.lastFailure,
        unverifiable_recent: e.unverifiableRecent,
        unverifiable_alert: e.unverifiableAlert && { since: e.unverifiableAlert.since, threshold: e.unverifiableAlert.threshold, window_seconds: e.unverifiableAlert.windowMs / 1000 },
        quarantined: e.quarantined,
        warnings: e.warnings,
      })),
    });
  });
  app.get("/audit", (c) => slashRedirect(c, "/audit/"));
}
