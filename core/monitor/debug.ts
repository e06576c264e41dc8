/**
 * @module `/debug/`: PowerPool dumped every attribute of every component there, RPC passwords
 * included (spec §9, §15 item 2). Ours lists what helps when something is wrong — every status
 * the core's parts report, the edges' raw heartbeats, the Redis read — built from those status
 * objects only (none holds a credential) and masked once more on the way out.
 */
import { maskSecrets } from "../../shared/config/mask.ts";
import { epochSeconds } from "./format.ts";
import type { View } from "./view.ts";

export function debugView(view: View): unknown {
  const out: Record<string, unknown> = {};
  out[`PowerPool_${view.config.procname}`] = {
    pid: process.pid,
    runtime: `bun ${Bun.version}`,
    started_at: epochSeconds(view.startedAt),
    config_file: view.config.file,
    server_number: view.config.pool.server_number,
  };
  for (const [key, coin] of view.core.coins) {
    out[`MonitorNetwork_${key}`] = {
      coinservers: coin.pool.status(),
      jobs: coin.jobs.status(),
      tip: coin.watcher.status(),
      jobs_seen: view.tracker.jobsOf(key) ?? null,
      block_stats: view.tracker.blockStats(key),
    };
  }
  for (const [key, s] of view.core.switchers ?? []) out[`MonitorNetworkMulti_${key}`] = s.status();
  const acc = view.core.accounting.status();
  out.ingest = acc.ingest;
  out.block_consumer = view.core.blocks.status();
  out.notify = view.core.notify?.counters() ?? null;
  out.edges = Object.fromEntries(view.redisView.edges.map((e) => [e.edge, e]));
  out.quarantines = view.redisView.quarantines ?? [];
  out.redis_view = { read_at: epochSeconds(view.redisView.readAt), error: view.redisView.error, undecodable_heartbeats: view.redisView.undecodable, aux: view.redisView.aux };
  out.history = { points: view.history.all().length, capacity: view.history.capacity };
  return maskSecrets(out);
}
