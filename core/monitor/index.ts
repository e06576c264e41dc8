/** @module core/monitor: PowerPool's JSON monitor routes, Prometheus /metrics and the HTML dashboard, served by the core. */
export { createMonitorApp } from "./app.ts";
export { listComponents, findComponent, type Component, type ComponentKind } from "./components.ts";
export { MonitorError } from "./errors.ts";
export { HashrateHistory, DEFAULT_HISTORY_INTERVAL_MS, type HistoryPoint } from "./history.ts";
export { RedisViewReader, type RedisViewOptions } from "./redis-view.ts";
export { attachTracker, monitorDeps, startMonitor, type MonitorOptions, type RunningMonitor } from "./server.ts";
export { MonitorTracker } from "./tracker.ts";
export type { CoinSource, CoreSource, RedisView, RedisViewSource } from "./types.ts";
export type { MonitorDeps, VersionInfo } from "./view.ts";
