/**
 * @module PowerPool's StratumServer status (spec §9) for one stratum port, summed over every live
 * edge that serves it. SimpleCoin reads `client_count_authed`, `address_count`, `hps`,
 * `last_flush_job.currency` and `last_flush_job.merged_networks`.
 *
 * Differences, on purpose: `address_worker_count` counts address.worker pairs (PowerPool repeated
 * the address count, spec §15 item 15); `active_jobs`/`stale_jobs` count the jobmanager's jobs
 * since/before the last flush, as the core stores them (edges keep no job sets of their own);
 * `hps` covers the last minute, or less from a port's first miner (`hps_measured_s`, null before
 * any: PowerPool showed 0 until a minute had completed); `edges` (each with `quarantined` while the
 * gate holds its shares), `shares` and `hps_measured_s` are additions.
 */
import { JobType } from "../../shared/contract/index.ts";
import { epochSeconds } from "./format.ts";
import { clientsOnPort, measuredMs, portOnEdges, portSpanMs, quarantineMark, type View } from "./view.ts";

export interface LastFlushJob {
  readonly algo: string;
  readonly pow_block_hash: boolean;
  readonly currency: string;
  readonly job_id: string;
  readonly merged_networks: readonly string[];
  /** Float epoch seconds. */
  readonly pushed_at: number | null;
}

export interface StratumServerStatus {
  readonly mhps: number;
  readonly hps: number;
  readonly hps_measured_s: number | null;
  readonly last_flush_job: LastFlushJob | null;
  readonly agent_client_count: number;
  readonly client_count: number;
  readonly address_count: number;
  readonly address_worker_count: number;
  readonly active_jobs: number;
  readonly stale_jobs: number;
  readonly client_count_authed: number;
  readonly client_count_active: number;
  readonly client_count_idle: number;
  readonly listen_port: number | null;
  readonly jobmanager: string;
  readonly shares: { acc: number; dup: number; low: number; stale: number; invalid: number };
  readonly edges: readonly { edge: string; client_count: number; client_count_authed: number; hps: number; hps_measured_s: number; last_job_id: string | null; quarantined?: { since: number; reason: string; edge: string; action: string | null } }[];
}

export function stratumStatus(view: View, key: string): StratumServerStatus {
  const cfg = view.config.stratum[key];
  const jobmanager = cfg?.jobmanager ?? "";
  const on = portOnEdges(view, key);
  const sum = (f: (p: (typeof on)[number]["port"]) => number) => on.reduce((a, { port }) => a + f(port), 0);
  const clients = clientsOnPort(view, key);
  const hps = sum((p) => p.hashrate);
  const clientCount = sum((p) => p.clients);
  const idle = sum((p) => p.idle);
  const shares = { acc: 0, dup: 0, low: 0, stale: 0, invalid: 0 };
  for (const { port } of on) for (const k of Object.keys(shares) as (keyof typeof shares)[]) shares[k] += port.shares[k];
  const seen = view.tracker.jobsOf(jobmanager);
  const stored = view.core.coins.get(jobmanager)?.jobs.status().storedJobs ?? 0;
  const active = seen?.sinceFlush ?? 0;
  return {
    mhps: hps / 1e6,
    hps,
    hps_measured_s: seconds(measuredMs(on.map(({ port }) => port))),
    last_flush_job: lastFlushJob(view, jobmanager, on),
    agent_client_count: sum((p) => p.agentClients),
    client_count: clientCount,
    address_count: new Set(clients.map(({ client }) => client.address)).size,
    address_worker_count: new Set(clients.map(({ client }) => `${client.address}.${client.worker}`)).size,
    active_jobs: active,
    stale_jobs: Math.max(0, stored - active),
    client_count_authed: sum((p) => p.authed),
    client_count_active: clientCount - idle,
    client_count_idle: idle,
    listen_port: cfg?.listenPort ?? null,
    jobmanager,
    shares,
    edges: on.map(({ edge, port }) => ({ edge: edge.edge, client_count: port.clients, client_count_authed: port.authed, hps: port.hashrate, hps_measured_s: seconds(portSpanMs(port)), last_job_id: port.lastJobId, ...quarantineMark(view, edge.edge) })),
  };
}

function seconds(ms: number): number;
function seconds(ms: number | null): number | null;
function seconds(ms: number | null): number | null {
  return ms === null ? null : Math.round(ms / 100) / 10;
}

/**
 * The jobmanager's last flush job as the core made it; before the monitor saw one (it attached
 * late), the core's last job, else the newest job an edge reports, with the rest from the config.
 */
function lastFlushJob(view: View, jobmanager: string, on: ReturnType<typeof portOnEdges>): LastFlushJob | null {
  const seen = view.tracker.jobsOf(jobmanager)?.lastFlush;
  if (seen) {
    return { algo: seen.algo, pow_block_hash: seen.powBlockHash, currency: seen.currency, job_id: seen.id, merged_networks: seen.mergedNetworks, pushed_at: epochSeconds(seen.at) };
  }
  const coin = view.config.coins[jobmanager];
  if (!coin) return null;
  const st = view.core.coins.get(jobmanager)?.jobs.status();
  let jobId = st?.lastJobType === JobType.flush ? st.lastJobId : null;
  let at = st?.lastNewBlockAt ?? null;
  if (jobId === null) {
    const newest = on.filter(({ port }) => port.lastJobId !== null).sort((a, b) => (b.port.lastJobAt ?? 0) - (a.port.lastJobAt ?? 0))[0];
    jobId = newest?.port.lastJobId ?? st?.lastJobId ?? null;
    at = newest?.port.lastJobAt ?? at;
  }
  if (jobId === null) return null;
  return {
    algo: coin.algo,
    pow_block_hash: coin.pow_block_hash,
    currency: coin.currency,
    job_id: jobId,
    merged_networks: coin.merged.map((a) => view.config.aux[a]?.currency ?? a),
    pushed_at: epochSeconds(at),
  };
}
