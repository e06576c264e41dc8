/** @module What an edge runs for a config, as log lines: the start-up summary an operator reads. */
import type { EdgeView } from "../shared/config/edge-view.ts";

export function edgePorts(cfg: EdgeView, edge: string): string[] {
  return cfg.edges[edge]?.ports ?? Object.keys(cfg.stratum);
}

export function describeEdge(cfg: EdgeView, edge: string): string[] {
  const lines: string[] = [];
  for (const key of edgePorts(cfg, edge)) {
    const s = cfg.stratum[key];
    if (!s) continue;
    const coin = cfg.coins[s.jobmanager];
    const algo = coin?.algo ?? cfg.switchers[s.jobmanager]?.jobmanagers.map((k) => cfg.coins[k]?.algo).find(Boolean) ?? "?";
    const diff = s.vardiff.enabled ? `vardiff ${s.tiers[0]}…${s.tiers[s.tiers.length - 1]} (${s.vardiff.spm_target} shares/min)` : `fixed difficulty ${s.start_difficulty}`;
    lines.push(`stratum ${key}: ${s.address}:${s.listenPort} mining ${s.jobmanager} (${algo}), ${diff}${s.agentPort ? `; agent on ${s.agentPort}` : ""}`);
  }
  if (lines.length === 0) lines.push("no stratum ports configured for this edge");
  return lines;
}
