/**
 * @module `/bans/`: every live edge's banned addresses with their reasons, and `POST /bans/lift`,
 * which lifts one (issue 14). The lift is queued on the ban-lift stream; each edge reads it within
 * a couple of seconds (edge/forward/bans.ts) and logs the lift. Loopback callers and JSON bodies
 * only (operator.ts).
 */
import type { Hono } from "hono";
import { isIP } from "node:net";
import { MonitorError } from "../errors.ts";
import { operatorJson } from "../operator.ts";
import { jsonBody, slashRedirect } from "../respond.ts";
import { loadView, type MonitorDeps } from "../view.ts";

export function bansRoutes(app: Hono, deps: MonitorDeps): void {
  app.get("/bans/", async (c) => {
    const view = await loadView(deps);
    const edges = view.redisView.bans ?? [];
    return jsonBody(c, {
      bans: edges.flatMap((e) => e.bans.map((b) => ({ edge: e.edge, ...b, remaining_seconds: Math.max(0, Math.round((b.until - view.at) / 1000)) }))),
      edges: edges.map((e) => ({ edge: e.edge, active: e.total, banned: e.banned, closed: e.closed, lifted: e.lifted, time: e.time })),
      lift: "POST /bans/lift with a JSON body {\"ip\": \"…\", \"edge\": \"…\" (optional)}",
    });
  });
  app.get("/bans", (c) => slashRedirect(c, "/bans/"));

  app.post("/bans/lift", async (c) => {
    const { ip, edge } = await operatorJson(c, "ban lifts");
    if (typeof ip !== "string" || isIP(ip) === 0) throw new MonitorError(400, "bad_request", "expected {\"ip\": an IPv4 or IPv6 address}");
    if (edge !== undefined && edge !== null && (typeof edge !== "string" || edge.length === 0 || edge.length > 64)) throw new MonitorError(400, "bad_request", "edge: expected an edge name");
    if (!deps.banLifts) throw new MonitorError(503, "unavailable", "this monitor cannot reach the edges");
    const address = ip.startsWith("::ffff:") && ip.includes(".") ? ip.slice(7) : ip;
    const id = await deps.banLifts.lift(address, typeof edge === "string" ? edge : null);
    deps.log.notice(`monitor: lift of the ban on ${address} sent to ${typeof edge === "string" ? `edge ${edge}` : "every edge"} (${id})`);
    return jsonBody(c, { lifted: address, edge: typeof edge === "string" ? edge : null, queued: id });
  });
}
