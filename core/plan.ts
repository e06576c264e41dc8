/** @module What the core runs for a config, as log lines: the start-up summary an operator reads. */
import type { Config } from "../shared/config/load.ts";
import { maskUrlPassword } from "../shared/config/mask.ts";

export function describeCore(cfg: Config): string[] {
  const lines: string[] = [];
  for (const c of Object.values(cfg.coins)) {
    const servers = c.coinservs.map((s) => `${s.name ?? `${s.address}:${s.port}`}(prio ${s.poll_priority})`).join(", ");
    lines.push(
      `jobmanager ${c.key}: ${c.currency} ${c.algo} to ${c.pool_address}; coinservers ${servers}; ` +
        `${c.polling ? `poll every ${c.block_poll}s` : `push notifications (poll after ${c.notify_timeout}s silence)`}, refresh every ${c.job_refresh}s` +
        (c.merged.length ? `; merged: ${c.merged.join(", ")}` : ""),
    );
  }
  for (const a of Object.values(cfg.aux)) {
    lines.push(`aux chain ${a.key}: ${a.currency} ${a.algo} via ${a.payout.method}; work every ${a.work_interval}s${a.flush ? ", flushes parent jobs" : ""}`);
  }
  for (const [key, s] of Object.entries(cfg.switchers)) {
    lines.push(`switcher ${key}: ${s.jobmanagers.join(", ")} (margin ${s.margin_switch}, profit poll ${s.profit_poll_int}s)`);
  }
  for (const [key, r] of Object.entries(cfg.reporters)) {
    lines.push(`reporter ${key}: ${r.type}${r.type === "double" ? ` → ${r.reporters.join(", ")}` : ` chain ${r.chain}`}`);
  }
  lines.push(`redis: ${describeRedis(cfg)}`);
  lines.push(cfg.monitor.enabled ? `monitor: http://${cfg.monitor.address}:${cfg.monitorPort}/` : "monitor: off");
  lines.push(cfg.pool.datagram.enabled ? `datagrams: udp ${cfg.pool.datagram.host}:${cfg.datagramPort}${cfg.pool.datagram.secret ? " (secret required)" : ""}` : "datagrams: off");
  lines.push(cfg.pool.events.enabled ? `statsd: ${cfg.pool.events.host}:${cfg.pool.events.port} as ${cfg.procname}` : "statsd: off");
  return lines;
}

export function describeRedis(cfg: Config): string {
  const r = cfg.redis;
  if (r.sentinel) return `sentinel ${r.sentinel.name} via ${r.sentinel.sentinels.map((s) => `${s.host}:${s.port}`).join(", ")}`;
  if (r.cluster) return `cluster ${r.cluster.nodes.map((s) => `${s.host}:${s.port}`).join(", ")}`;
  return maskUrlPassword(r.url ?? "redis://127.0.0.1:6379/0");
}
