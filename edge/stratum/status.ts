/** @module A port's live figures in the contract's shape (EdgePortStatusV1), for the edge heartbeat and the monitor. */
import type { EdgeView } from "../../shared/config/edge-view.ts";
import type { EdgeClientV1, EdgePortStatusV1 } from "../../shared/contract/index.ts";
import type { StratumPort } from "./port.ts";

/** The algorithm the port mines now and its hashes per difficulty-1 share. */
export function portAlgo(port: StratumPort, config: EdgeView): { algo: string; hashesPerShare: number } {
  const job = port.lastJob?.job;
  const coin = config.coins[job?.coin ?? port.jobmanager];
  const algo = job?.algo ?? coin?.algo ?? "unknown";
  // The coin may override its algorithm's hashes_per_share; otherwise the algorithm's figure.
  return { algo, hashesPerShare: coin?.hashesPerShare ?? config.algorithms[algo]?.hashesPerShare ?? 1 };
}

export function buildPortStatus(port: StratumPort, config: EdgeView, now: number, withClients: boolean): EdgePortStatusV1 {
  const { algo, hashesPerShare } = portAlgo(port, config);
  const c = port.counters;
  const rate = port.meter?.estimate(now) ?? { perSecond: 0, spanMs: 0 };
  const out: EdgePortStatusV1 = {
    key: port.key,
    listenPort: port.port,
    jobmanager: port.jobmanager,
    algo,
    clients: port.sessions.size,
    authed: port.authed,
    idle: port.idle,
    agentClients: port.agent?.clients ?? 0,
    hashrate: rate.perSecond * hashesPerShare,
    hashrateSpanMs: rate.spanMs,
    shares: { acc: c.acc, dup: c.dup, low: c.low, stale: c.stale, invalid: c.invalid },
    lastJobId: port.lastJob?.id ?? null,
    lastJobAt: port.lastJobAt,
    resetBeforeSetup: port.listener?.counters?.resetBeforeSetup ?? 0,
  };
  if (withClients) out.clientList = [...clientEntries(port, hashesPerShare, now)];
  return out;
}

/**
 * The port's authorized clients (the monitor's /clients/ views), one at a time: a caller with
 * 100 k of them takes them in slices between other work (edge/forward/heartbeat.ts).
 */
export function* clientEntries(port: StratumPort, hashesPerShare: number, now: number): Generator<EdgeClientV1> {
  for (const s of port.sessions) {
    if (!s.authorized || s.transport.closed) continue;
    yield {
      extranonce1: s.extranonce1Hex,
      address: s.address,
      worker: s.worker,
      idle: s.idle,
      difficulty: s.difficulty,
      userAgent: s.userAgent,
      ip: s.transport.ip,
      connectedAt: s.transport.connectedAt,
      lastShareAt: s.lastShareAt,
      acceptedDifficulty: s.acceptedDifficulty,
      jobIds: s.jobs.size,
      hashrate: s.acceptedRate ? s.acceptedRate.estimate(now).perSecond * hashesPerShare : 0,
    };
  }
}
