/** @module A port's live figures in the contract's shape (EdgePortStatusV1), for the edge heartbeat and the monitor. */
import type { EdgeView } from "../../shared/config/edge-view.ts";
import type { EdgeClientV1, EdgePortStatusV1 } from "../../shared/contract/index.ts";
import type { StratumPort } from "./port.ts";

export function buildPortStatus(port: StratumPort, config: EdgeView, now: number, withClients: boolean): EdgePortStatusV1 {
  const job = port.lastJob?.job;
  const coin = config.coins[job?.coin ?? port.jobmanager];
  const algo = job?.algo ?? coin?.algo ?? "unknown";
  // The coin may override its algorithm's hashes_per_share; otherwise the algorithm's figure.
  const hashesPerShare = coin?.hashesPerShare ?? config.algorithms[algo]?.hashesPerShare ?? 1;
  const c = port.counters;
  const out: EdgePortStatusV1 = {
    key: port.key,
    listenPort: port.port,
    jobmanager: port.jobmanager,
    algo,
    clients: port.sessions.size,
    authed: port.authed,
    idle: port.idle,
    agentClients: port.agent?.clients ?? 0,
    hashrate: (port.meter.lastMinute(now) * hashesPerShare) / 60,
    shares: { acc: c.acc, dup: c.dup, low: c.low, stale: c.stale, invalid: c.invalid },
    lastJobId: port.lastJob?.id ?? null,
    lastJobAt: port.lastJobAt,
    resetBeforeSetup: port.listener?.counters?.resetBeforeSetup ?? 0,
  };
  if (withClients) {
    const list: EdgeClientV1[] = [];
    for (const s of port.sessions) {
      if (!s.authorized) continue;
      list.push({
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
      });
    }
    out.clientList = list;
  }
  return out;
}
