/**
 * @module PowerPool 0.5's views, kept for old SimpleCoin installs (spec §9): `/05/` and
 * `/05/clients/`, both about the first stratum port in the config.
 */
import type { Hono } from "hono";
import { notFound } from "../errors.ts";
import { jsonBody, slashRedirect } from "../respond.ts";
import { stratumStatus } from "../status-stratum.ts";
import { clientsOnPort, loadView, type MonitorDeps, type View } from "../view.ts";

function firstPort(view: View): string {
  const key = Object.keys(view.config.stratum)[0];
  if (key === undefined) throw notFound("no stratum server is configured");
  return key;
}

export function legacyRoutes(app: Hono, deps: MonitorDeps): void {
  app.get("/05/", async (c) => {
    const view = await loadView(deps);
    return jsonBody(c, { server: {}, stratum_manager: stratumStatus(view, firstPort(view)) });
  });

  app.get("/05/clients/", async (c) => {
    const view = await loadView(deps);
    const clients: Record<string, { worker: string; idle: boolean }[]> = {};
    for (const { client } of clientsOnPort(view, firstPort(view))) (clients[client.address] ??= []).push({ worker: client.worker, idle: client.idle });
    return jsonBody(c, { clients });
  });

  app.get("/05", (c) => slashRedirect(c, "/05/"));
  app.get("/05/clients", (c) => slashRedirect(c, "/05/clients/"));
}
