/**
 * @module The HTML dashboard for people (`/dashboard/`) and the JSON it polls (`/dashboard/data`).
 * The page is static apart from its script nonce; all data arrives through `data`.
 */
import { randomBytes } from "node:crypto";
import type { Hono } from "hono";
import { dashboardData } from "../dashboard/data.ts";
import { dashboardCsp, dashboardPage } from "../dashboard/page.ts";
import { jsonBody, slashRedirect } from "../respond.ts";
import { loadView, type MonitorDeps } from "../view.ts";

export function dashboardRoutes(app: Hono, deps: MonitorDeps): void {
  app.get("/dashboard/", (c) => {
    const nonce = randomBytes(16).toString("base64");
    return c.html(dashboardPage(nonce), 200, {
      "content-security-policy": dashboardCsp(nonce),
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
    });
  });
  app.get("/dashboard/data", async (c) => {
    c.header("cache-control", "no-store");
    return jsonBody(c, dashboardData(await loadView(deps)));
  });
  app.get("/dashboard", (c) => slashRedirect(c, "/dashboard/"));
}
