/** @module `/metrics` in the Prometheus text format (no trailing-slash form, as a scraper expects). */
import type { Hono } from "hono";
import { buildMetrics } from "../metrics.ts";
import { PROMETHEUS_CONTENT_TYPE } from "../prom.ts";
import { loadView, type MonitorDeps } from "../view.ts";

export function metricsRoutes(app: Hono, deps: MonitorDeps): void {
  app.get("/metrics", async (c) => c.body(buildMetrics(await loadView(deps)), 200, { "content-type": PROMETHEUS_CONTENT_TYPE }));
}
