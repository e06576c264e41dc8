/**
 * @module The edge's stratum side: one listener per stratum port of this edge, over the data-path
 * seams of ports.ts, and the status the heartbeat publishes. `edge/main.ts` wires it.
 *
 *   const stratum = startEdgeStratum({ config, ports: edgePorts(config, name), feed, checker, allocator, log });
 *   … heartbeat: stratum.status.ports() …
 *   stratum.stop();
 */
import type { EdgeView } from "../shared/config/edge-view.ts";
import type { EdgePortStatusV1 } from "../shared/contract/index.ts";
import type { Logger } from "../shared/log.ts";
import { AgentServer, type AgentSink } from "./agent/index.ts";
import { BanList, startListener, type StratumListener } from "./listener/index.ts";
import type { Extranonce1Allocator, JobFeed, ShareChecker, StatusProvider } from "./ports.ts";
import { realClock, type Clock } from "./stratum/context.ts";
import { sweepPeriodMs } from "./stratum/port-settings.ts";
import { StratumPort } from "./stratum/port.ts";

export interface EdgeStratumOptions {
  readonly config: EdgeView;
  /** Stratum port keys this edge serves (`edgePorts(config, edgeName)` from plan.ts). */
  readonly ports: readonly string[];
  readonly feed: JobFeed;
  readonly checker: ShareChecker;
  readonly allocator: Extranonce1Allocator;
  readonly log: Logger;
  /** Defaults to the wall clock. */
  readonly clock?: Clock;
  /** Run the port timer on an interval (default true). Tests turn it off and call `sweep()`. */
  readonly timer?: boolean;
  /** Keepalive seeds; defaults to Math.random. */
  readonly random?: () => number;
  /** Per-key listen port overrides (0: the OS picks; tests). */
  readonly listenPorts?: Readonly<Record<string, number>>;
  /** Bind address override for every port (tests: 127.0.0.1). */
  readonly hostname?: string;
  /** Listen with SO_REUSEPORT (stratum and PPAgent ports): the edge runs as several workers. */
  readonly reusePort?: boolean;
  /** Include the per-client list in status (default true; the monitor's /clients/ views need it). */
  readonly statusClients?: boolean;
  /**
   * PPAgent servers (spec §13) for ports with `agent.enabled`: where their records go and the edge
   * name they carry. Without it no agent port is opened (a warning says so).
   */
  readonly agent?: { readonly sink: AgentSink; readonly edge: string };
  /** Per-key agent listen port overrides (0: the OS picks; tests). */
  readonly agentListenPorts?: Readonly<Record<string, number>>;
}

export interface EdgeStratum {
  readonly status: StatusProvider;
  readonly ports: ReadonlyMap<string, StratumPort>;
  /** Each port's TCP listener (its refusal/ban/drop counters). */
  readonly listeners: ReadonlyMap<string, StratumListener>;
  /** PPAgent servers and their listeners, by stratum port key (ports with the agent enabled). */
  readonly agents: ReadonlyMap<string, { readonly server: AgentServer; readonly listener: StratumListener }>;
  /** Runs every port's timer once (what the interval does). */
  sweep(now?: number): void;
  /** Moves every client to a fresh extranonce1 (mining.set_extranonce, or a disconnect). */
  renewExtranonce1(): void;
  /** Stops listening and closes every connection. */
  stop(): void;
}

export function startEdgeStratum(opts: EdgeStratumOptions): EdgeStratum {
  const clock = opts.clock ?? realClock;
  const bans = new BanList();
  const ports = new Map<string, StratumPort>();
  const listeners = new Map<string, StratumListener>();
  const agents = new Map<string, { server: AgentServer; listener: StratumListener }>();
  const stopAll = () => {
    for (const p of ports.values()) p.stop();
    for (const a of agents.values()) {
      a.listener.stop(true);
      a.server.stop();
    }
  };
  try {
    for (const key of opts.ports) {
      const cfg = opts.config.stratum[key];
      if (!cfg) throw new RangeError(`startEdgeStratum: expected a configured stratum port, got "${key}"`);
      const log = opts.log.child(key);
      const port = new StratumPort(opts.config, {
        config: opts.config,
        key,
        feed: opts.feed,
        checker: opts.checker,
        allocator: opts.allocator,
        log,
        clock,
        ...(opts.random ? { random: opts.random } : {}),
      });
      ports.set(key, port);
      const listener = startListener({
        hostname: opts.hostname ?? cfg.address,
        port: opts.listenPorts?.[key] ?? cfg.listenPort,
        reusePort: opts.reusePort,
        limits: cfg.limits,
        bans,
        log,
        now: () => clock.now(),
        accept: (conn) => port.accept(conn),
      });
      port.attach(listener);
      listeners.set(key, listener);
      opts.log.info(`stratum ${key} listening on ${listener.hostname}:${listener.port} for ${cfg.jobmanager}`);
      if (cfg.agentPort !== null) {
        if (!opts.agent) {
          log.warn(`agent.enabled is set but this process has no agent sink: no PPAgent server for ${key}`);
          continue;
        }
        const agentLog = log.child("agent");
        const server = new AgentServer({ port, edge: opts.agent.edge, sink: opts.agent.sink, log: agentLog });
        const agentListener = startListener({
          hostname: opts.hostname ?? cfg.address,
          port: opts.agentListenPorts?.[key] ?? cfg.agentPort,
          reusePort: opts.reusePort,
          limits: cfg.limits,
          bans,
          log: agentLog,
          now: () => clock.now(),
          accept: (conn) => server.accept(conn, clock.now()),
        });
        port.agent = server;
        agents.set(key, { server, listener: agentListener });
        opts.log.info(`PPAgent server for ${key} listening on ${agentListener.hostname}:${agentListener.port}`);
      }
    }
  } catch (e) {
    stopAll();
    throw e;
  }

  const sweep = (now = clock.now()) => {
    bans.purge(now);
    for (const p of ports.values()) {
      try {
        p.sweep(now);
      } catch (e) {
        opts.log.error(`stratum ${p.key}: timer failed`, { error: e });
      }
    }
    for (const [key, a] of agents) {
      try {
        a.listener.sweep(now);
        a.server.sweep(now);
      } catch (e) {
        opts.log.error(`agent ${key}: timer failed`, { error: e });
      }
    }
  };
  const period = Math.min(1000, ...[...ports.values()].map((p) => sweepPeriodMs(p.cfg)));
  const timer = opts.timer === false || ports.size === 0 ? undefined : setInterval(sweep, period);
  const withClients = opts.statusClients ?? true;

  return {
    ports,
    listeners,
    agents,
    status: {
      ports(): EdgePortStatusV1[] {
        const now = clock.now();
        return [...ports.values()].map((p) => p.status(now, withClients));
      },
    },
    sweep,
    renewExtranonce1() {
      const now = clock.now();
      for (const p of ports.values()) p.renewExtranonce1(now);
    },
    stop() {
      if (timer) clearInterval(timer);
      stopAll();
    },
  };
}
