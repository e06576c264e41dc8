/**
 * @module One edge: wires the data path (forwarder, edge-id lease, job feed, PoW, share checks)
 * under the stratum listeners. `edge/main.ts` runs it; end-to-end tests start it in-process.
 *
 * Start order follows the data path backwards — Redis link, identity, jobs, hashing — so a miner
 * can only connect once everything a share needs is up. Stop runs in reverse, and the forwarder
 * stops last but one so every share already answered reaches Redis or the spool.
 *
 * As worker `i` of a multi-process edge (edge/supervisor), it is `<edge>/<i>` towards Redis (its own
 * edge-id lease, status record and share session) and spools under `.spool/<edge>/<i>`, while the
 * config (ports, public host) is the edge's; its listeners share the ports with SO_REUSEPORT.
 */
import type { EdgeView } from "../shared/config/edge-view.ts";
import type { Logger } from "../shared/log.ts";
import { startPow, type PowRuntime } from "../shared/pow/index.ts";
import { EdgeExtranonce1Allocator, EdgeIdLease, Forwarder, Heartbeat } from "./forward/index.ts";
import { JobCache, RedisJobFeed } from "./jobs/index.ts";
import { describeEdge, edgePorts } from "./plan.ts";
import { startEdgeStratum, type EdgeStratum } from "./server.ts";
import { workerName } from "./supervisor/naming.ts";
import { EdgeShareChecker, powFromRuntime } from "./shares/index.ts";

export interface EdgeOptions {
  /** Where spool files go (default `.spool/<edge>`, `.spool/<edge>/<worker>` for a worker). */
  readonly spoolDir?: string;
  /** Per-port listen overrides and bind address (tests). */
  readonly listenPorts?: Readonly<Record<string, number>>;
  readonly hostname?: string;
  /** Per-port PPAgent listen overrides (tests; 0: the OS picks). */
  readonly agentListenPorts?: Readonly<Record<string, number>>;
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
  stop(): Promise<void>;
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
  const forwarder = new Forwarder({ redis: config.redis, edge: self, spoolDir: opts.spoolDir ?? `.spool/${self}`, log: log.child("forward") });
  await forwarder.start();
  const lease = new EdgeIdLease({ forwarder, extranonce1Size: config.pool.extranonce_serv_size, log: log.child("edge-id") });
  await lease.acquire();
  try {
    return await serve(config, name, self, log, opts, { ports, pow, forwarder, lease });
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
  up: { ports: string[]; pow: PowRuntime; forwarder: Forwarder; lease: EdgeIdLease },
): Promise<RunningEdge> {
  const { ports, pow, forwarder, lease } = up;
  const allocator = new EdgeExtranonce1Allocator({ size: config.pool.extranonce_serv_size, lease });

  const cache = new JobCache({ log: log.child("jobs") });
  const jobmanagers = [...new Set(ports.map((k) => config.stratum[k]?.jobmanager ?? ""))];
  const feed = new RedisJobFeed({ redis: config.redis, cache, jobmanagers, log: log.child("jobs"), clientName: `edge:${self}` });
  await feed.start();

  const checker = new EdgeShareChecker({ jobs: cache, sink: forwarder, pow: powFromRuntime(pow), kernel: pow.shareKernel, log: log.child("shares") });
  let stratum: EdgeStratum;
  try {
    stratum = startEdgeStratum({ config, ports, feed: cache, checker, allocator, log: log.child("stratum"), listenPorts: opts.listenPorts, hostname: opts.hostname, reusePort: opts.worker !== undefined, agent: { sink: forwarder, edge: self }, agentListenPorts: opts.agentListenPorts });
  } catch (e) {
    await feed.stop();
    throw e;
  }
  const heartbeat = new Heartbeat({ forwarder, lease, status: stratum.status, publicHost: config.edges[name]?.public_host ?? null, log: log.child("heartbeat") });
  await heartbeat.start();
  lease.onChange((id, prev) => {
    if (id !== undefined && prev === undefined) stratum.renewExtranonce1();
  });

  return {
    name: self,
    stratum,
    forwarder,
    pow,
    async stop() {
      stratum.stop();
      await heartbeat.stop();
      await feed.stop();
      await forwarder.stop();
      await pow.close();
    },
  };
}
