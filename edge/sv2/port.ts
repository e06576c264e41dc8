/**
 * @module One SV2 listener beside a stratum v1 port (`stratum.<key>.sv2`): it serves the same
 * jobmanager with the same share check, vardiff settings, extranonce allocator and counters as the
 * v1 port (its `PortContext`), so SV2 shares become the same records and appear in the port's
 * status beside v1 clients, each marked `protocol: "sv2"`.
 *
 *   const sv2 = startSv2Port({ port: stratumPort, keys, hostname, listenPort, ... });
 *   sv2.url  // stratum2+tcp://host:port/<authority key>, what miners are given
 */
import type { Socket, TCPSocketListener } from "bun";
import type { EdgeClientV1, EdgePortStatusV1 } from "../../shared/contract/index.ts";
import type { Logger } from "../../shared/log.ts";
import { IpConnections, normalizeIp, type IpGuard } from "../listener/ip-guard.ts";
import type { PreparedJob } from "../jobs/index.ts";
import type { PortContext } from "../stratum/context.ts";
import { Sv2Connection, type Sv2ConnectionContext } from "./connection.ts";
import { HandshakeBudget } from "./handshake-budget.ts";
import type { EdgeKeys } from "./keys.ts";
import { encodeReconnect } from "./messages.ts";
import { Sv2Session, type Sv2Counters, type Sv2Wire } from "./session.ts";

/** A connection must finish the handshake and SetupConnection within this (real miners take milliseconds). */
export const SETUP_TIMEOUT_MS = 15_000;
/** PowerPool kept TCP keepalive at 120 s idle (spec §2.1). */
const TCP_KEEPALIVE_MS = 120_000;

export interface Sv2PortOptions {
  /** The v1 port this listener serves beside (its settings, seams and counters). */
  readonly port: PortContext;
  readonly keys: EdgeKeys;
  readonly hostname: string;
  /** 0 lets the OS choose (tests). */
  readonly listenPort: number;
  readonly reusePort?: boolean;
  /** Host miners use to reach the edge, for the printed URL. */
  readonly publicHost: string;
  /** The edge's bans (shared with the v1 listeners): a banned address gets no SV2 connection either. */
  readonly guard: IpGuard;
  readonly maxConnectionsPerIp: number;
  readonly maxUnauthorizedPerIp: number;
  readonly maxFrameBytes: number;
  /** Handshakes per second one address may start (four seconds' worth at once). */
  readonly handshakesPerSecondPerIp: number;
  readonly log: Logger;
}

export interface Sv2Port {
  readonly port: number;
  readonly hostname: string;
  /** `stratum2+tcp://host:port/<authority public key>` (sv2-spec §4.7). */
  readonly url: string;
  readonly counters: Readonly<Sv2Counters>;
  readonly connections: ReadonlySet<Sv2Connection>;
  /** Open channels on this listener. */
  readonly channels: number;
  /** Adds this listener's connections and channels to its v1 port's status. */
  addStatus(status: EdgePortStatusV1, withClients: boolean): void;
  /** Open channels as client-list entries (marked sv2), for the status and the edge's client-list key. */
  clients(): Iterable<EdgeClientV1>;
  sweep(now: number): void;
  renewExtranonce1(): void;
  /** Sends Reconnect (same host and port: the miner comes back, e.g. to another worker process) and closes everything. */
  stop(): void;
}

export function startSv2Port(opts: Sv2PortOptions): Sv2Port {
  const port = opts.port;
  const counters: Sv2Counters = { connections: 0, handshakes: 0, handshakeFailures: 0, handshakesDelayed: 0, badFrames: 0, protocolErrors: 0, channelsOpened: 0 };
  const budget = new HandshakeBudget(opts.handshakesPerSecondPerIp, Math.max(1, 4 * opts.handshakesPerSecondPerIp));
  const connections = new Set<Sv2Connection>();
  const perIp = new IpConnections();
  let channels = 0;
  // A connection counts against the tight unauthorised per-IP limit until it opens a channel (v1: until authorize).
  const authorized = new WeakSet<Sv2Connection>();
  const sessionCtx = {
    port,
    counters,
    onChannelsChanged: (d: number) => void (channels += d),
    onFirstChannel(wire: Sv2Wire) {
      const c = wire as Sv2Connection;
      if (authorized.has(c)) return;
      authorized.add(c);
      perIp.authorized(c.ip);
    },
  };
  const connCtx: Sv2ConnectionContext = {
    keys: opts.keys,
    counters,
    log: opts.log,
    maxRequestsPerSecond: port.cfg.limits.max_requests_per_second,
    blockedWriteTimeoutMs: port.cfg.limits.blocked_write_timeout * 1000,
    maxFrameBytes: opts.maxFrameBytes,
    handshakeDelay: (ip, now) => budget.take(ip, now),
    now: () => port.clock.now(),
    released(conn) {
      connections.delete(conn);
      perIp.release(conn.ip, authorized.has(conn));
    },
  };

  const server: TCPSocketListener<Sv2Connection> = Bun.listen<Sv2Connection>({
    hostname: opts.hostname,
    port: opts.listenPort,
    ...(opts.reusePort ? { reusePort: true } : {}),
    socket: {
      binaryType: "uint8array",
      open(socket) {
        const now = port.clock.now();
        const ip = normalizeIp(socket.remoteAddress);
        if (opts.guard.isBanned(ip, now) || perIp.acquire(ip, opts.maxConnectionsPerIp, opts.maxUnauthorizedPerIp) !== null) {
          socket.terminate();
          return;
        }
        socket.setNoDelay(true);
        socket.setKeepAlive(true, TCP_KEEPALIVE_MS);
        const conn = new Sv2Connection(socket, ip, now, connCtx);
        conn.session = new Sv2Session(sessionCtx, conn);
        socket.data = conn;
        connections.add(conn);
        counters.connections++;
      },
      data(socket, chunk) {
        (socket.data as Sv2Connection | undefined)?.data(chunk);
      },
      drain(socket) {
        (socket.data as Sv2Connection | undefined)?.drain();
      },
      close(socket: Socket<Sv2Connection>) {
        (socket.data as Sv2Connection | undefined)?.finish("client disconnected");
      },
      error(socket, error) {
        // A handler bug costs one connection, never the edge.
        opts.log.error("SV2: socket handler failed", { error, ip: socket.remoteAddress });
        (socket.data as Sv2Connection | undefined)?.close("internal error", "abort");
      },
    },
  });

  const unsubscribe = port.feed.subscribe(port.jobmanager, (job) => {
    for (const c of connections) {
      try {
        c.session?.onJob(job as PreparedJob);
      } catch (e) {
        opts.log.error("SV2: job push failed", { error: e, ip: c.ip });
      }
    }
  });

  const url = `stratum2+tcp://${opts.publicHost}:${server.port}/${opts.keys.authorityEncoded}`;

  return {
    port: server.port,
    hostname: server.hostname,
    url,
    counters,
    connections,
    get channels() {
      return channels;
    },
    addStatus(status, withClients) {
      status.clients += connections.size;
      status.authed += channels;
      let idle = 0;
      for (const c of connections) for (const ch of c.session?.channels.values() ?? []) if (ch.idle) idle++;
      if (withClients) (status.clientList ??= []).push(...this.clients());
      status.idle += idle;
      status.sv2Clients = (status.sv2Clients ?? 0) + channels;
    },
    *clients() {
      for (const c of connections) {
        const s = c.session;
        if (!s) continue;
        for (const ch of s.channels.values()) {
          yield {
            extranonce1: ch.extranonce1Hex,
            address: ch.address,
            worker: ch.worker,
            idle: ch.idle,
            difficulty: ch.difficulty,
            userAgent: s.userAgent,
            ip: c.ip,
            connectedAt: c.connectedAt,
            lastShareAt: ch.lastShareAt,
            acceptedDifficulty: ch.acceptedDifficulty,
            jobIds: 0,
            protocol: "sv2",
          };
        }
      }
    },
    sweep(now) {
      const idleMs = port.cfg.idle_worker_threshold * 1000;
      const dropMs = port.cfg.idle_worker_disconnect_threshold * 1000;
      budget.purge(now);
      for (const c of connections) {
        c.sweep(now);
        const s = c.session;
        if (c.closed || !s) continue;
        const age = now - c.connectedAt;
        if (!s.setupDone && age > SETUP_TIMEOUT_MS) {
          c.close(c.handshakeDone ? "no SetupConnection in time" : "no handshake in time", "abort");
          continue;
        }
        if (s.channels.size === 0) {
          // As v1 drops a socket that never authorizes.
          if (age > idleMs) c.close("no channel opened in time");
          continue;
        }
        s.sweep(now, idleMs);
        let newest = 0;
        for (const ch of s.channels.values()) newest = Math.max(newest, ch.lastShareAt ?? ch.openedAt);
        if (now - newest > dropMs) c.close("inactive");
      }
    },
    renewExtranonce1() {
      for (const c of connections) c.session?.renewExtranonce1();
    },
    stop() {
      unsubscribe();
      server.stop(false);
      for (const c of [...connections]) {
        if (c.session?.setupDone) c.send(encodeReconnect("", 0));
        c.close("server stopping");
      }
    },
  };
}
