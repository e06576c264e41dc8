/**
 * @module `/quarantine/`: the edges the gate quarantined (issue 20 §3) — since when, why, where the
 * failed check was, how many of their share entries are held, and the operator's decision if one
 * was given — and `POST /quarantine/release` / `POST /quarantine/discard` with `{"edge": "…"}`,
 * which record that decision for the leader core's gate to carry out (loopback callers and JSON
 * bodies only, like the ban lifts: operator.ts). A decision already given is not turned round.
 */
import type { Context, Hono } from "hono";
import { isEdgeStreamName } from "../../../shared/contract/index.ts";
import type { QuarantineAction } from "../../gate/quarantine-store.ts";
import { MonitorError } from "../errors.ts";
import { operatorJson } from "../operator.ts";
import { heldPhrase, printable, type QuarantineView } from "../quarantine.ts";
import { jsonBody, slashRedirect } from "../respond.ts";
import { loadView, type MonitorDeps } from "../view.ts";

const HOW = (action: QuarantineAction) => `POST /quarantine/${action} with a JSON body {"edge": "…"} (from the core's host)`;

/** One quarantine as the JSON routes show it (times in ms since the epoch). */
export function quarantineJson(q: QuarantineView, at: number): Record<string, unknown> {
  return {
    edge: q.edge,
    since: q.since,
    age_seconds: q.since > 0 ? Math.max(0, Math.round((at - q.since) / 1000)) : null,
    reason: q.reason,
    detail: q.detail,
    stream: q.stream,
    entry: q.entry,
    action: q.action,
    action_at: q.actionAt,
    held: q.held,
    ...(q.malformed === null ? {} : { malformed: q.malformed }),
  };
}

/** What the leader's gate does with the decision, in a sentence for the operator. */
export function consequence(q: QuarantineView, action: QuarantineAction): string {
  const held = heldPhrase(q.held);
  return action === "release"
    ? `the leader core's gate passes ${held} of edge ${q.edge} on to accounting without audit (they are credited), then reads the edge's streams again (audited as before) and deletes the quarantine; GET /quarantine/ no longer lists the edge when it is done`
    : `the leader core's gate dead-letters ${held} of edge ${q.edge} (up to its stream's last entry now; none is credited) and acknowledges them, then reads the edge's streams again (audited as before) and deletes the quarantine; GET /quarantine/ no longer lists the edge when it is done`;
}

export function quarantineRoutes(app: Hono, deps: MonitorDeps): void {
  app.get("/quarantine/", async (c) => {
    const view = await loadView(deps);
    return jsonBody(c, {
      quarantined: (view.redisView.quarantines ?? []).map((q) => quarantineJson(q, view.at)),
      read_error: view.redisView.error,
      release: `${HOW("release")}: credit the held entries`,
      discard: `${HOW("discard")}: dead-letter the held entries`,
    });
  });
  app.get("/quarantine", (c) => slashRedirect(c, "/quarantine/"));

  app.post("/quarantine/release", (c) => decide(c, deps, "release"));
  app.post("/quarantine/discard", (c) => decide(c, deps, "discard"));
}

async function decide(c: Context, deps: MonitorDeps, action: QuarantineAction): Promise<Response> {
  const { edge } = await operatorJson(c, "quarantine decisions");
  if (typeof edge !== "string" || !isEdgeStreamName(edge)) throw new MonitorError(400, "bad_request", 'expected {"edge": an edge name}');
  if (!deps.quarantines) throw new MonitorError(503, "unavailable", "this monitor cannot reach the gate's quarantine keys");
  const r = await deps.quarantines.request(edge, action);
  switch (r.kind) {
    case "not_quarantined":
      throw new MonitorError(404, "not_found", "that edge is not quarantined (GET /quarantine/ lists the quarantined edges)");
    case "malformed":
      throw new MonitorError(409, "conflict", `the quarantine key of that edge is not one the gate wrote (${r.quarantine.malformed}); look at it with redis-cli`);
    case "conflict":
      throw new MonitorError(409, "conflict", `a ${r.quarantine.action} of that edge was already requested${r.quarantine.actionAt ? ` at ${new Date(r.quarantine.actionAt).toISOString()}` : ""}; the gate carries it out, it cannot be changed`);
    case "already":
      return jsonBody(c, { edge, action, requested_at: r.quarantine.actionAt, already_requested: true, will: consequence(r.quarantine, action) });
    case "requested": {
      const will = consequence(r.quarantine, action);
      deps.log.notice(`monitor: the operator asked for the ${action} of quarantined edge ${printable(edge)}: ${will}`);
      return jsonBody(c, { edge, action, requested_at: r.at, already_requested: false, held: r.quarantine.held, will });
    }
  }
}
