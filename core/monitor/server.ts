/**
 * @module Runs the monitor on the core: the hono app on Bun.serve at `monitor.address`
 * (127.0.0.1 by default — spec §15 item 2: there is no authentication) and `monitorPort`, and the
 * timer that adds a hashrate point to the history every interval.
 */
import type { Hono } from "hono";
import pkg from "../../package.json" with { type: "json" };
import type { Config } from "../../shared/config/load.ts";
import { banLiftCodec, contractNames, MESSAGE_FIELD } from "../../shared/contract/index.ts";
import type { Logger } from "../../shared/log.ts";
import type { RedisClient } from "../../shared/redis.ts";
import { createMonitorApp } from "./app.ts";
import { DEFAULT_HISTORY_INTERVAL_MS, DEFAULT_HISTORY_POINTS, HashrateHistory } from "./history.ts";
import { RedisViewReader } from "./redis-view.ts";
import { quarantineDesk } from "./quarantine.ts";
import { MonitorTracker } from "./tracker.ts";
import type { CoreSource } from "./types.ts";
import { hashrates, loadView, workerCount, type BanLiftSink, type MonitorDeps } from "./view.ts";

export interface MonitorOptions {
  /** A tracker the caller attached before the job managers started; else one is made and attached now. */
  readonly tracker?: MonitorTracker;
  readonly historyIntervalMs?: number;
  readonly historyPoints?: number;
  /** Listen port override (0: any free port); default `config.monitorPort`. */
  readonly port?: number;
  readonly startedAt?: number;
  /** How often Redis is read for new quarantines when nobody asks (default QUARANTINE_POLL_MS). */
  readonly quarantinePollMs?: number;
}

export interface RunningMonitor {
  readonly url: string;
  readonly port: number;
  readonly app: Hono;
  readonly history: HashrateHistory;
  stop(): Promise<void>;
}

/** Follows the core's job managers and block results. */
export function attachTracker(tracker: MonitorTracker, core: CoreSource): () => void {
  const offs = [...core.coins.values()].map((c) => tracker.watchJobs(c.key, c.jobs));
  offs.push(core.onBlock((r) => tracker.recordBlock(r)));
  if (core.aux) offs.push(tracker.watchAux(core.aux));
  return () => {
    for (const off of offs) off();
  };
}

export function monitorDeps(config: Config, core: CoreSource, redis: RedisClient, log: Logger, opts: MonitorOptions = {}): MonitorDeps & { detach: () => void } {
  let detach = () => {};
  let tracker = opts.tracker;
  if (!tracker) {
    tracker = new MonitorTracker();
    detach = attachTracker(tracker, core);
  }
  return {
    config,
    core,
    redis: new RedisViewReader({ redis, prefix: config.redis.prefix, auxKeys: Object.keys(config.aux), log, monitorUrl: localMonitorUrl(config, opts.port) }),
    tracker,
    history: new HashrateHistory(opts.historyIntervalMs ?? DEFAULT_HISTORY_INTERVAL_MS, opts.historyPoints ?? DEFAULT_HISTORY_POINTS),
    log,
    startedAt: opts.startedAt ?? Date.now(),
    version: { version: pkg.version, sha: process.env.POWERPOOL_GIT_SHA ?? null, revDate: process.env.POWERPOOL_REV_DATE ?? null },
    banLifts: banLiftSink(redis, config.redis.prefix),
    quarantines: quarantineDesk(redis, contractNames(config.redis.prefix)),
    detach,
  };
}

/** How the operator reaches the monitor from the core's host (its POST routes take loopback callers only). */
function localMonitorUrl(config: Config, port: number | undefined): string {
  const a = config.monitor.address;
  const host = a === "::" || a === "::1" ? "[::1]" : a === "0.0.0.0" || a === "localhost" || a.startsWith("127.") ? "127.0.0.1" : a.includes(":") ? `[${a}]` : a;
  return `http://${host}:${port === undefined || port === 0 ? config.monitorPort : port}/`;
}

/** Reads Redis this often even when nobody asks, so a new quarantine is logged within seconds. */
const QUARANTINE_POLL_MS = 5000;

/** Lifts are few: the stream keeps the last BAN_LIFT_STREAM_MAX, enough for an edge that was briefly away from Redis. */
const BAN_LIFT_STREAM_MAX = 1000;

export function banLiftSink(redis: RedisClient, prefix: string): BanLiftSink {
  const stream = contractNames(prefix).banLiftStream;
  return {
    async lift(ip, edge) {
      const id = await redis.xadd(stream, "MAXLEN", "~", BAN_LIFT_STREAM_MAX, "*", MESSAGE_FIELD, banLiftCodec.encode({ v: 1, ip, edge, at: Date.now() }));
      return id ?? "";
    },
  };
}

export async function startMonitor(config: Config, core: CoreSource, redis: RedisClient, log: Logger, opts: MonitorOptions = {}): Promise<RunningMonitor> {
  const deps = monitorDeps(config, core, redis, log, opts);
  const app = createMonitorApp(deps);
  const server = Bun.serve({ hostname: config.monitor.address, port: opts.port ?? config.monitorPort, fetch: (req, srv) => app.fetch(req, srv) });
  const host = server.hostname?.includes(":") ? `[${server.hostname}]` : server.hostname;
  const url = `http://${host}:${server.port}/`;
  log.info(`monitor listening on ${url} (dashboard: ${url}dashboard/, Prometheus: ${url}metrics)`);

  let sampling = false;
  const sample = async () => {
    if (sampling) return;
    sampling = true;
    try {
      const view = await loadView(deps);
      const rates = hashrates(view);
      deps.history.add({ t: view.at, pool: rates.pool, coins: rates.coins, workers: workerCount(view) });
    } catch (e) {
      log.debug(`monitor: hashrate sample skipped: ${(e as Error).message}`);
    } finally {
      sampling = false;
    }
  };
  void sample();
  const timer = setInterval(() => void sample(), deps.history.intervalMs);
  timer.unref?.();
  // The read logs each new quarantine once (redis-view.ts); a failed read is logged there too.
  const watch = setInterval(() => void deps.redis.read().catch(() => {}), opts.quarantinePollMs ?? QUARANTINE_POLL_MS);
  watch.unref?.();

  return {
    url,
    port: server.port ?? 0,
    app,
    history: deps.history,
    async stop() {
      clearInterval(timer);
      clearInterval(watch);
      deps.detach();
      await server.stop(true);
    },
  };
}
