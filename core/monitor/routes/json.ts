/**
 * @module PowerPool's JSON routes (spec §9): `/`, `/counters/`, `/debug/`, `/<key>/`,
 * `/<key>/config`, `/<key>/clients/`, `/<key>/client/<address>`. Slash routes redirect their
 * slash-less form (301), the others 404 on a slashed form, as Flask did.
 */
import type { Hono } from "hono";
import { componentConfig, componentStatus, findComponent, listComponents, type Component } from "../components.ts";
import { debugView } from "../debug.ts";
import { notFound } from "../errors.ts";
import { pyDuration } from "../format.ts";
import { jsonBody, slashRedirect } from "../respond.ts";
import { externalUrl, seg } from "../urls.ts";
import { clientSpanMs, clientsOnPort, loadView, type MonitorDeps, type View } from "../view.ts";

function component(view: View, key: string): Component {
  const comp = findComponent(view, key);
  // The requested key is not quoted back: the answer never reflects what the client sent.
  if (!comp) throw notFound("no such component");
  return comp;
}

function stratumComponent(view: View, key: string): Component {
  const comp = component(view, key);
  if (comp.kind !== "stratum") throw notFound(`${comp.name} is not a stratum server`);
  return comp;
}

export function jsonRoutes(app: Hono, deps: MonitorDeps): void {
  app.get("/", async (c) => {
    const view = await loadView(deps);
    const out: Record<string, unknown> = {};
    for (const comp of listComponents(view)) {
      let status: unknown;
      try {
        status = {
          ...componentStatus(view, comp),
          config_view: externalUrl(c, `/${seg(comp.key)}/config`),
          ...(comp.kind === "stratum" ? { clients: externalUrl(c, `/${seg(comp.key)}/clients/`) } : {}),
        };
      } catch (e) {
        // PowerPool put the error text in place of the status; only the class name here (spec §15 item 2).
        deps.log.warn(`monitor: status of ${comp.name} failed: ${(e as Error).message}`);
        status = `Component ${comp.key} status call raised ${(e as Error).name}`;
      }
      out[comp.name] = status;
    }
    out.debug_view = externalUrl(c, "/debug/");
    out.counter_view = externalUrl(c, "/counters/");
    return jsonBody(c, out);
  });

  // Active/standby cores (core/leader/): the lease holder, its epoch, and every core's status.
  app.get("/cores/", async (c) => jsonBody(c, (await loadView(deps)).redisView.cores ?? { leader: null, cores: [] }));

  app.get("/counters/", async (c) => {
    const view = await loadView(deps);
    const counters = view.core.accounting.status().stats.counters.map((e) => ({
      name: e.name,
      owner: e.owner,
      total: e.total,
      min_total: e.min_total,
      hour_total: e.hour_total,
      min_avg: e.min_avg,
      ...(e.second_avg === undefined ? {} : { second_avg: e.second_avg }),
    }));
    return jsonBody(c, { counters });
  });

  app.get("/debug/", async (c) => jsonBody(c, debugView(await loadView(deps))));

  app.get("/:key/", async (c) => {
    const view = await loadView(deps);
    return jsonBody(c, componentStatus(view, component(view, c.req.param("key"))));
  });

  app.get("/:key/config", async (c) => {
    const view = await loadView(deps);
    return jsonBody(c, componentConfig(view, component(view, c.req.param("key"))));
  });

  app.get("/:key/clients/", async (c) => {
    const view = await loadView(deps);
    const comp = stratumComponent(view, c.req.param("key"));
    const clients: Record<string, Record<string, unknown>> = {};
    for (const { client } of clientsOnPort(view, comp.key)) {
      const byId = (clients[client.address] ??= { details_view: externalUrl(c, `/${seg(comp.key)}/client/${seg(client.address)}`) });
      byId[client.extranonce1] = { worker: client.worker, idle: client.idle };
    }
    return jsonBody(c, { clients });
  });

  app.get("/:key/client/:address", async (c) => {
    const view = await loadView(deps);
    const comp = stratumComponent(view, c.req.param("key"));
    const address = c.req.param("address");
    const details = clientsOnPort(view, comp.key)
      .filter(({ client }) => client.address === address)
      .map(({ edge, client }) => ({
        alltime_accepted_shares: client.acceptedDifficulty,
        // Additions: hashes/s over the last minute or since it connected (null from older edges).
        hps: client.hashrate ?? null,
        hps_measured_s: Math.round(clientSpanMs(client, view.at) / 100) / 10,
        difficulty: client.difficulty,
        type: client.userAgent,
        worker: client.worker,
        id: client.extranonce1,
        jobmapper_size: client.jobIds,
        last_share_submit: client.lastShareAt === null ? null : pyDuration(view.at - client.lastShareAt),
        idle: client.idle,
        address: client.address,
        ip_address: client.ip,
        connection_time: pyDuration(view.at - client.connectedAt),
        edge,
      }));
    // The key is literally "username" (spec §9 QUIRK), kept for clients that read it.
    return jsonBody(c, { username: details });
  });

  // Slash-less forms of the slash routes, after every real route so those win.
  app.get("/:key", async (c) => {
    const key = c.req.param("key");
    if (key === "counters" || key === "debug") return slashRedirect(c, `/${key}/`);
    component(await loadView(deps), key);
    return slashRedirect(c, `/${seg(key)}/`);
  });
  app.get("/:key/clients", async (c) => {
    const key = c.req.param("key");
    stratumComponent(await loadView(deps), key);
    return slashRedirect(c, `/${seg(key)}/clients/`);
  });
}
