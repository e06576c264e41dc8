/**
 * @module The edge's stratum side: one listener per stratum port of this edge, over the data-path
 * seams of ports.ts, and the status the heartbeat publishes. `edge/main.ts` wires it.
 *
 *   const stratum = startEdgeStratum({ config, ports: edgePorts(config, name), feed, checker, allocator, log });
 *   … heartbeat: stratum.status.ports() …
 *   stratum.stop();
 */
import type { SecureContext } from "node:tls";
import type { EdgeView } from "../shared/config/edge-view.ts";
import type { EdgePortStatusV1 } from "../shared/contract/index.ts";
import type { Logger } from "../shared/log.ts";
import { AgentServer, type AgentSink } from "./agent/index.ts";
import { IpGuard, PortCertificate, startListener, TrustedProxies, type StratumListener } from "./listener/index.ts";
import type { Extranonce1Allocator, JobFeed, ShareChecker, StatusProvider } from "./ports.ts";
import { realClock, type Clock } from "./stratum/context.ts";
import { sweepPeriodMs } from "./stratum/port-settings.ts";
import { StratumPort } from "./stratum/port.ts";
import { startSv2Listeners, type Sv2Port } from "./sv2/index.ts";

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
  /** Per-key Stratum V2 listen port overrides (0: the OS picks; tests). */
  readonly sv2ListenPorts?: Readonly<Record<string, number>>;
  /** The edge's public host, for the printed stratum2+tcp:// URLs. */
  readonly publicHost?: string;
}

export interface EdgeStratum {
  readonly status: StatusProvider;
  readonly ports: ReadonlyMap<string, StratumPort>;
  /** Each port's TCP listener (its refusal/ban/drop counters). */
  readonly listeners: ReadonlyMap<string, StratumListener>;
  /** Bans and offences, shared by every port of this edge (lifted through edge/forward/bans.ts). */
  readonly guard: IpGuard;
  /** TLS certificates by stratum port key (ports with `tls.mode` tls or auto). */
  readonly certificates: ReadonlyMap<string, PortCertificate>;
  /** Reloads every port's TLS certificate (SIGHUP); a bad one is refused and the old one kept. */
  reloadTls(why: string): void;
  /** PPAgent servers and their listeners, by stratum port key (ports with the agent enabled). */
  readonly agents: ReadonlyMap<string, { readonly server: AgentServer; readonly listener: StratumListener }>;
  /** Stratum V2 listeners, by stratum port key (ports with sv2.enabled). */
  readonly sv2: ReadonlyMap<string, Sv2Port>;
  /** Runs every port's timer once (what the interval does). */
  sweep(now?: number): void;
  /** Moves every client to a fresh extranonce1 (mining.set_extranonce, or a disconnect). */
  renewExtranonce1(): void;
  /** Stops accepting (stratum and PPAgent) and asks every client to reconnect; returns how many were asked. */
  drain(): number;
  /** Open stratum connections. */
  readonly connections: number;
  /** Asynchronous share checks not settled yet. */
  readonly checksInFlight: number;
  /** Stops listening and closes every connection. */
  stop(): void;
}

export function startEdgeStratum(opts: EdgeStratumOptions): EdgeStratum {
  const clock = opts.clock ?? realClock;
  const guard = new IpGuard();
  const certificates = new Map<string, PortCertificate>();
  const ports = new Map<string, StratumPort>();
  const listeners = new Map<string, StratumListener>();
  const agents = new Map<string, { server: AgentServer; listener: StratumListener }>();
  let sv2 = new Map<string, Sv2Port>();
  const stopAll = () => {
    for (const p of sv2.values()) p.stop();
    for (const c of certificates.values()) c.close();
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
      let tls: { mode: "tls" | "auto"; context: () => SecureContext } | undefined;
      if (cfg.tls.mode !== "off" && cfg.tls.cert !== null && cfg.tls.key !== null) {
        // A certificate that does not load stops the edge here, with the reason.
        const cert = new PortCertificate(cfg.tls.cert, cfg.tls.key, log.child("tls"));
        certificates.set(key, cert);
        tls = { mode: cfg.tls.mode, context: () => cert.context };
      }
      const pp = cfg.proxy_protocol;
      const proxy = pp.enabled ? { trusted: new TrustedProxies(pp.trusted), required: pp.required } : undefined;
      const listener = startListener({
        hostname: opts.hostname ?? cfg.address,
        port: opts.listenPorts?.[key] ?? cfg.listenPort,
        reusePort: opts.reusePort,
        limits: cfg.limits,
        portKey: key,
        guard,
        ...(proxy ? { proxy } : {}),
        ...(tls ? { tls } : {}),
        log,
        now: () => clock.now(),
        accept: (conn) => port.accept(conn),
      });
      port.attach(listener);
      listeners.set(key, listener);
      opts.log.info(`stratum ${key} listening on ${listener.hostname}:${listener.port} for ${cfg.jobmanager}${tls ? (tls.mode === "tls" ? " (TLS)" : " (TLS and plain)") : ""}${proxy ? `, PROXY protocol from ${pp.trusted.join(", ") || "no trusted proxy"}${pp.required ? " (required)" : ""}` : ""}`);
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
          portKey: key,
          guard,
          ...(proxy ? { proxy } : {}),
          log: agentLog,
          now: () => clock.now(),
          accept: (conn) => server.accept(conn, clock.now()),
        });
        port.agent = server;
        agents.set(key, { server, listener: agentListener });
        opts.log.info(`PPAgent server for ${key} listening on ${agentListener.hostname}:${agentListener.port}`);
      }
    }
    sv2 = startSv2Listeners({ config: opts.config, ports, guard, log: opts.log, hostname: opts.hostname, listenPorts: opts.sv2ListenPorts, reusePort: opts.reusePort, publicHost: opts.publicHost });
  } catch (e) {
    stopAll();
    throw e;
  }

  const maxBanMs = Math.max(0, ...[...ports.values()].map((p) => p.cfg.limits.ban_seconds * 1000));
  const sweep = (now = clock.now()) => {
    guard.purge(now, maxBanMs);
    for (const p of ports.values()) {
      try {
        p.sweep(now);
      } catch (e) {
        opts.log.error(`stratum ${p.key}: timer failed`, { error: e });
      }
    }
    for (const [key, p] of sv2) {
      try {
        p.sweep(now);
      } catch (e) {
        opts.log.error(`SV2 ${key}: timer failed`, { error: e });
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
    guard,
    certificates,
    reloadTls(why) {
      for (const c of certificates.values()) c.reload(why);
    },
    agents,
    sv2,
    status: {
      ports(clients = withClients): EdgePortStatusV1[] {
        const now = clock.now();
        return [...ports.values()].map((p) => {
          const st = p.status(now, clients);
          sv2.get(p.key)?.addStatus(st, clients);
          return st;
        });
      },
      clientLists() {
        const now = clock.now();
        return [...ports.values()].map((p) => {
          const v2 = sv2.get(p.key);
          return { key: p.key, clients: v2 ? [...p.clients(now), ...v2.clients()] : p.clients(now) };
        });
      },
    },
    sweep,
    renewExtranonce1() {
      const now = clock.now();
      for (const p of ports.values()) p.renewExtranonce1(now);
      for (const p of sv2.values()) p.renewExtranonce1();
    },
    drain() {
      for (const a of agents.values()) a.listener.stop(false);
      let asked = 0;
      // SV2 miners get Reconnect (the SV2 equivalent of client.reconnect) and their connections close.
      for (const p of sv2.values()) {
        asked += p.connections.size;
        p.stop();
      }
      for (const p of ports.values()) asked += p.drain();
      return asked;
    },
    get connections() {
      let n = 0;
      for (const p of ports.values()) n += p.sessions.size;
      return n;
    },
    get checksInFlight() {
      let n = 0;
      for (const p of ports.values()) n += p.checksInFlight;
      return n;
    },
    stop() {
      if (timer) clearInterval(timer);
      stopAll();
    },
  };
}
