/**
 * @module Pluggable reporters on the core (spec §8): the Redis reporter (the accounting), Celery
 * reporters for SimpleCoin 0.7 installations, and double (fan-out) reporters. `startReporters` is
 * the core's one call; it returns `recordBlock` for every found block, statuses for the monitor
 * and `stop()`.
 */
import { hostname } from "node:os";
import Redis from "ioredis";
import { contractNames, type ShareRecordV1 } from "../../shared/contract/index.ts";
import type { ConfigProblem } from "../../shared/config/problems.ts";
import type { Logger } from "../../shared/log.ts";
import type { RedisClient } from "../../shared/redis.ts";
import type { BlockRecord } from "../accounting/index.ts";
import { compilePoolReports } from "../accounting/routing.ts";
import { CeleryReporter, type CeleryTuning } from "./celery/reporter.ts";
import { DoubleReporter } from "./double.ts";
import { RedisReporter } from "./redis.ts";
import { blockRoutes, portsOf, type ReportersSettings } from "./routing.ts";
import type { Reporter } from "./types.ts";

export { CeleryReporter, DEFAULT_CELERY_TUNING, type CeleryReporterOptions, type CeleryReporterStatus, type CeleryTuning } from "./celery/reporter.ts";
export { decodeCeleryMessage, encodeCeleryMessage, type CeleryTask, type DecodedCeleryMessage } from "./celery/message.ts";
export { ShareAggregator, type Checkpoint } from "./celery/aggregate.ts";
export { DoubleReporter } from "./double.ts";
export { RedisReporter } from "./redis.ts";
export { blockRoutes, leafReporters, portsOf, type ReportersSettings } from "./routing.ts";
export type { Reporter, ReporterType } from "./types.ts";

export interface ReportersOptions {
  /** The accounting Redis (streams, outboxes): a single primary, as the accounting requires. */
  readonly redis: RedisClient;
  /** Consumer name in the reporters' groups (stable across restarts). */
  readonly consumer: string;
  readonly log: Logger;
  /** Celery timing (tests shorten the minute and back-off). */
  readonly celery?: Partial<CeleryTuning>;
  /** The accounting's per-record check: celery reporters report only records it passes (issue 19). */
  readonly checkRecord?: (r: ShareRecordV1) => string | undefined;
}

export interface Reporters {
  readonly byKey: ReadonlyMap<string, Reporter>;
  /** Hands an accepted block to the reporters of the ports that mine its currency; rejected blocks are not reported (spec §15 item 13). */
  recordBlock(block: BlockRecord): void;
  /** Reporter key → status, for the monitor. */
  status(): Readonly<Record<string, object>>;
  stop(): Promise<void>;
}

export async function startReporters(cfg: ReportersSettings, o: ReportersOptions): Promise<Reporters> {
  const redis = o.redis;
  if (!(redis instanceof Redis)) throw new TypeError("reporters: expected a single Redis primary (redis.url or redis.sentinel), got a Cluster");
  const names = contractNames(cfg.redis.prefix);
  const byKey = new Map<string, Reporter>();
  const problems: ConfigProblem[] = [];
  const origin = `${cfg.procname}@${hostname()}`;
  for (const [key, r] of Object.entries(cfg.reporters)) {
    if (r.type === "redis") byKey.set(key, new RedisReporter(key));
    else if (r.type === "celery") {
      const log = o.log.child(key);
      const ports = portsOf(cfg, key);
      if (ports.size === 0) log.warn(`no stratum port reports to celery reporter ${key}; it reports found blocks only`);
      byKey.set(key, new CeleryReporter({ key, config: r, redis, prefix: cfg.redis.prefix, consumer: o.consumer, origin, ports, poolReports: compilePoolReports(key, r, cfg.procname, problems), log, ...(o.celery ? { tuning: o.celery } : {}), ...(o.checkRecord ? { checkRecord: o.checkRecord } : {}) }));
    }
  }
  for (const [key, r] of Object.entries(cfg.reporters)) {
    if (r.type !== "double") continue;
    const children = r.reporters.map((k) => byKey.get(k)).filter((c): c is Reporter => c !== undefined);
    byKey.set(key, new DoubleReporter(key, children, o.log.child(key)));
  }
  for (const p of problems) o.log.error(`config ${p.path}: expected ${p.expected}${p.found === undefined ? "" : `, found ${p.found}`}`);
  const celeryKeys = [...byKey.values()].filter((r) => r.type === "celery").map((r) => r.key);
  // In the background: the core starts while Redis is away too.
  void removeStaleGroups(redis, [names.verifiedShareStream, names.verifiedAgentStream], names.reporterGroupPrefix, new Set(celeryKeys.map((k) => names.reporterGroup(k))), o.log);
  await Promise.all([...byKey.values()].map((r) => r.start()));
  if (celeryKeys.length > 0) o.log.info(`celery reporters running: ${celeryKeys.join(", ")}`);

  const routes = blockRoutes(cfg);
  return {
    byKey,
    recordBlock(block) {
      if (!block.accepted) {
        o.log.debug(`rejected block ${block.hash} is not reported to celery (SimpleCoin would credit it)`);
        return;
      }
      const seen = new Set<string>();
      for (const key of routes.get(block.currency) ?? []) {
        try {
          byKey.get(key)?.recordBlock(block, seen);
        } catch (e) {
          o.log.error(`reporter ${key} failed to take block ${block.hash}; the other reporters still get it`, { error: e instanceof Error ? e.message : String(e) });
        }
      }
    },
    status: () => Object.fromEntries([...byKey].map(([k, r]) => [k, r.status()])),
    async stop() {
      await Promise.all([...byKey.values()].map((r) => r.stop()));
    },
  };
}

/**
 * A reporter group no configured celery reporter reads would stop the stream from ever being
 * trimmed past it: removed, with a warning naming what it still held.
 */
async function removeStaleGroups(redis: Redis, streams: readonly string[], prefix: string, keep: ReadonlySet<string>, log: Logger): Promise<void> {
  for (const stream of streams) {
    let groups: unknown[];
    try {
      groups = (await redis.call("XINFO", "GROUPS", stream)) as unknown[];
    } catch {
      continue; // no stream yet
    }
    for (const g of groups) {
      if (!Array.isArray(g)) continue;
      const info: Record<string, unknown> = {};
      for (let i = 0; i + 1 < g.length; i += 2) info[String(g[i])] = g[i + 1];
      const name = String(info.name);
      if (!name.startsWith(prefix) || keep.has(name)) continue;
      try {
        await redis.call("XGROUP", "DESTROY", stream, name);
        log.warn(`removed consumer group ${name} of ${stream}: its reporter is no longer configured (${Number(info.pending ?? 0)} entries it had not reported are dropped for it)`);
      } catch (e) {
        log.warn(`could not remove stale consumer group ${name} of ${stream}`, { error: e instanceof Error ? e.message : String(e) });
      }
    }
  }
}
