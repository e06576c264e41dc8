/**
 * @module One edge: wires the data path (forwarder, edge-id lease, job feed, PoW, share checks)
 * under the stratum listeners. `edge/main.ts` runs it; end-to-end tests start it in-process.
 *
 * Start order follows the data path backwards — Redis link, identity, jobs, hashing — so a miner
 * can only connect once everything a share needs is up. Stop runs in reverse, and the forwarder
 * stops last but one so every share already answered reaches Redis or the spool.
 *
 * Stop drains first (SIGTERM, a rolling restart): the listeners stop accepting, every client gets
 * client.reconnect and has up to `drainMs` to leave (its shares meanwhile are checked and
 * forwarded as usual), the rest are closed, asynchronous share checks settle, the spool is replayed
 * if Redis takes it in the time left, and the final flush puts every accepted share in Redis
 * (confirmed by the replicas when redis.wait_replicas asks for it) or in the spool file, which the
 * next start of the same edge replays. The duplicate-share checks of the current jobs are saved
 * (edge/shares/duplicate-file.ts) and the edge id released, so the restarted edge leases the same
 * extranonce1 prefix, restores the checks and lets miners resume their extranonce1 without being
 * able to have an already accepted share credited again.
 *
 * As worker `i` of a multi-process edge (edge/supervisor), it is `<edge>/<i>` towards Redis (its own
 * edge-id lease, status record and share session) and spools under `.spool/<edge>/<i>`, while the
 * config (ports, public host) is the edge's; its listeners share the ports with SO_REUSEPORT.
 */
import { join } from "node:path";
import type { EdgeView } from "../shared/config/edge-view.ts";
import type { Logger } from "../shared/log.ts";
import { startPow, type PowRuntime } from "../shared/pow/index.ts";
import { BanBoard, DEFAULT_HEARTBEAT_MS, EdgeExtranonce1Allocator, EdgeIdLease, Forwarder, Heartbeat } from "./forward/index.ts";
import { JobCache, RedisJobFeed } from "./jobs/index.ts";
import { describeEdge, edgePorts } from "./plan.ts";
import { startEdgeStratum, type EdgeStratum } from "./server.ts";
import { workerName } from "./supervisor/naming.ts";
import { takeDuplicates, writeDuplicates } from "./shares/duplicate-file.ts";
import { EdgeShareChecker, powFromRuntime } from "./shares/index.ts";

export interface EdgeOptions {
  /** Where spool files go (default `.spool/<edge>`, `.spool/<edge>/<worker>` for a worker). */
  readonly spoolDir?: string;
  /** Per-port listen overrides and bind address (tests). */
  readonly listenPorts?: Readonly<Record<string, number>>;
  readonly hostname?: string;
  /** Per-port PPAgent listen overrides (tests; 0: the OS picks). */
  readonly agentListenPorts?: Readonly<Record<string, number>>;
  /** Per-port Stratum V2 listen overrides (tests; 0: the OS picks). */
  readonly sv2ListenPorts?: Readonly<Record<string, number>>;
  /** Pow worker threads (default: one per core). */
  readonly powWorkers?: number;
  /** This process is worker `worker` of the edge (edge/supervisor): own Redis identity, shared ports. */
  readonly worker?: number;
}

export interface RunningEdge {
  /** The edge's name towards Redis: the config name, or `<edge>/<worker>` for a worker. */
  readonly name: string;
  readonly stratum: EdgeStratum;
  readonly forwarder: Forwarder;
  readonly pow: PowRuntime;
  /** Drains (see the module note; `drainMs` 0: client.reconnect is sent and every client closed at once), then stops. */
  stop(opts?: StopOptions): Promise<void>;
}

export interface StopOptions {
  /** How long clients get to leave after client.reconnect before they are closed (default 0). */
  readonly drainMs?: number;
  /** Bound on replaying the spool before the final flush (default 2 s; what is left stays spooled). */
  readonly replayMs?: number;
}

/** The algorithms an edge's ports mine (a switcher's ports mine every coin it switches between). */
export function edgeAlgorithms(config: EdgeView, ports: readonly string[]): string[] {
  const algos = new Set<string>();
  for (const key of ports) {
    const jm = config.stratum[key]?.jobmanager ?? "";
    const coins = config.switchers[jm]?.jobmanagers ?? [jm];
    for (const c of coins) {
      const coin = config.coins[c];
      if (coin) algos.add(coin.algo);
      for (const aux of coin?.merged ?? []) {
        const a = config.aux[aux];
        if (a) algos.add(a.algo);
      }
    }
  }
  return [...algos];
}

export async function startEdge(config: EdgeView, name: string, log: Logger, opts: EdgeOptions = {}): Promise<RunningEdge> {
  const ports = edgePorts(config, name);
  for (const line of describeEdge(config, name)) log.info(line);

  // Hashing first: a failed self-test must stop the edge before it touches Redis or a socket.
  const pow = await startPow({ algorithms: edgeAlgorithms(config, ports), table: config.algorithms, workers: opts.powWorkers, warn: (m) => log.warn(m) });
  log.info(`proof of work: ${pow.registry.names.map((n) => `${n} (${pow.registry.get(n).hasher.implementation})`).join(", ")}; self-test passed`);

  // A worker's own identity keeps its lease, status record, share session and spool its own.
  const self = opts.worker === undefined ? name : workerName(name, opts.worker);
  const spoolDir = opts.spoolDir ?? `.spool/${self}`;
  const forwarder = new Forwarder({ redis: config.redis, edge: self, spoolDir, log: log.child("forward") });
  await forwarder.start();
  const lease = new EdgeIdLease({ forwarder, extranonce1Size: config.pool.extranonce_serv_size, log: log.child("edge-id") });
  await lease.acquire();
  try {
    return await serve(config, name, self, log, opts, { ports, pow, forwarder, lease, duplicatesFile: join(spoolDir, "duplicates.bin") });
  } catch (e) {
    // A start that fails past here (a port in use, most often) gives its edge id back: a
    // restarting edge would otherwise hold one more id per attempt until their TTLs pass.
    await Promise.race([lease.release().catch(() => {}), Bun.sleep(2000)]);
    await forwarder.stop().catch(() => {});
    await pow.close().catch(() => {});
    throw e;
  }
}

async function serve(
  config: EdgeView,
  name: string,
  self: string,
  log: Logger,
  opts: EdgeOptions,
  up: { ports: string[]; pow: PowRuntime; forwarder: Forwarder; lease: EdgeIdLease; duplicatesFile: string },
): Promise<RunningEdge> {
  const { ports, pow, forwarder, lease, duplicatesFile } = up;
  const allocator = new EdgeExtranonce1Allocator({ size: config.pool.extranonce_serv_size, lease });

  const cache = new JobCache({ log: log.child("jobs") });
  const jobmanagers = [...new Set(ports.map((k) => config.stratum[k]?.jobmanager ?? ""))];
  const feed = new RedisJobFeed({ redis: config.redis, cache, jobmanagers, log: log.child("jobs"), clientName: `edge:${self}` });
  await feed.start();

  const checker = new EdgeShareChecker({ jobs: cache, sink: forwarder, pow: powFromRuntime(pow), kernel: pow.shareKernel, log: log.child("shares") });
  // A clean drain of the previous run saved its duplicate checks: its miners may resume their extranonce1.
  const saved = takeDuplicates(duplicatesFile);
  if (saved && saved.edgeId === lease.id) {
    checker.restoreDuplicateTables(saved.tables);
    allocator.resumeAcrossRestart(saved.edgeId);
    log.info(`duplicate checks of ${saved.tables.length} jobs restored from the last drain: miners may resume their extranonce1`);
  }
  let stratum: EdgeStratum;
  try {
    stratum = startEdgeStratum({ config, ports, feed: cache, checker, allocator, log: log.child("stratum"), listenPorts: opts.listenPorts, hostname: opts.hostname, reusePort: opts.worker !== undefined, agent: { sink: forwarder, edge: self }, agentListenPorts: opts.agentListenPorts, sv2ListenPorts: opts.sv2ListenPorts, publicHost: config.edges[name]?.public_host });
  } catch (e) {
    await feed.stop();
    throw e;
  }
  const clientListMs = (config.edges[name]?.client_list_interval ?? 30) * 1000;
  const heartbeat = new Heartbeat({ forwarder, lease, status: stratum.status, publicHost: config.edges[name]?.public_host ?? null, log: log.child("heartbeat"), clientsEveryBeats: Math.round(clientListMs / DEFAULT_HEARTBEAT_MS) });
  await heartbeat.start();
  // Bans to the monitor, the operator's lifts back (shared/contract/edge-bans.ts).
  const banBoard = new BanBoard({ forwarder, guard: stratum.guard, edgeName: name, log: log.child("bans") });
  await banBoard.start();
  lease.onChange((id, prev) => {
    if (id !== undefined && prev === undefined) stratum.renewExtranonce1();
  });

  return {
    name: self,
    stratum,
    forwarder,
    pow,
    async stop(o: StopOptions = {}) {
      const drainMs = o.drainMs ?? 0;
      const asked = stratum.drain();
      if (drainMs > 0) log.notice(`draining: not accepting; client.reconnect sent to ${asked} clients; closing the rest in ${drainMs} ms`);
      const deadline = Date.now() + drainMs;
      while (stratum.connections > 0 && Date.now() < deadline) await Bun.sleep(20);
      const left = stratum.connections;
      stratum.stop();
      await banBoard.stop();
      // A share whose check is still running was not answered yet, but its record may still be made: wait for it.
      const checks = Date.now() + 2000;
      while (stratum.checksInFlight > 0 && Date.now() < checks) await Bun.sleep(5);
      // Before the lease goes: the next start, leasing the same id, restores these and allows resume.
      if (lease.id !== undefined) {
        try {
          writeDuplicates(duplicatesFile, { edgeId: lease.id, tables: checker.duplicateTables() });
        } catch (e) {
          log.warn(`duplicate checks not saved (${(e as Error).message}): miners get a fresh extranonce1 after the restart`);
        }
      }
      await heartbeat.stop();
      await feed.stop();
      const inRedis = await forwarder.drained(o.replayMs ?? 2000);
      await forwarder.stop();
      const spooled = forwarder.spooledRecords;
      log.notice(`drained: ${asked - left} of ${asked} clients left on client.reconnect; ${spooled === 0 && inRedis ? "every share record is in Redis" : `${spooled} share records and ${forwarder.spooledCandidates} block candidates kept in the spool for the next start`}`);
      await pow.close();
    },
  };
}
