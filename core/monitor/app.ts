/**
 * @module The monitor's hono app: request log, secret scrubbing of every body, the route groups
 * (fixed paths first, so `/metrics`, `/dashboard/`, `/quarantine/`, `/audit/` and `/05/` win over `/<key>/`), one error path.
 * Tests drive it in memory with `app.request()`; `server.ts` serves it with Bun.serve.
 */
import { Hono, type Context } from "hono";
import { getConnInfo } from "hono/bun";
import { errorResponse, notFoundResponse } from "./errors.ts";
import { collectSecrets, createScrubber, type Scrubber } from "./redact.ts";
import { auditRoutes } from "./routes/audit.ts";
import { bansRoutes } from "./routes/bans.ts";
import { dashboardRoutes } from "./routes/dashboard.ts";
import { jsonRoutes } from "./routes/json.ts";
import { legacyRoutes } from "./routes/legacy.ts";
import { metricsRoutes } from "./routes/metrics.ts";
import { quarantineRoutes } from "./routes/quarantine.ts";
import type { MonitorDeps } from "./view.ts";

export function createMonitorApp(deps: MonitorDeps): Hono {
  const app = new Hono();
  const scrub = createScrubber(collectSecrets(deps.config));

  app.use("*", async (c, next) => {
    const started = performance.now();
    await next();
    c.res = await scrubbed(c.res, scrub);
    if (deps.log.enabled("debug")) {
      // PowerPool's request line: <ip> "<request line>" <status> <length> <duration>.
      const length = c.res.headers.get("content-length") ?? "-";
      deps.log.debug(`${clientIp(c)} "${c.req.method} ${new URL(c.req.url).pathname}" ${c.res.status} ${length} ${(performance.now() - started).toFixed(1)}ms`);
    }
  });

  metricsRoutes(app, deps);
  bansRoutes(app, deps);
  quarantineRoutes(app, deps);
  auditRoutes(app, deps);
  dashboardRoutes(app, deps);
  legacyRoutes(app, deps);
  jsonRoutes(app, deps);

  app.onError((err, c) => errorResponse(c, err, deps.log));
  app.notFound((c) => notFoundResponse(c));
  return app;
}

/** The body with every configured secret masked (text bodies only; the monitor sends no others). */
async function scrubbed(res: Response, scrub: Scrubber): Promise<Response> {
  const type = res.headers.get("content-type") ?? "";
  if (scrub.secrets === 0 || res.body === null || !/^(text\/|application\/json)/.test(type)) return res;
  const body = scrub(await res.text());
  const headers = new Headers(res.headers);
  headers.set("content-length", String(Buffer.byteLength(body)));
  return new Response(body, { status: res.status, statusText: res.statusText, headers });
}

function clientIp(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? "-";
  } catch {
    return "-"; // in-memory requests (tests) have no socket
  }
}
