/**
 * @module One stratum port's TCP listener (Bun.listen): admission (bans, per-IP limit), TCP
 * options, and routing socket events to each connection's `Connection` in `socket.data`.
 * One handler object serves every socket (Bun's model); per-connection state lives in `data`.
 */
import type { Socket, TCPSocketListener } from "bun";
import type { Logger } from "../../shared/log.ts";
import type { LineHandler } from "../stratum/transport.ts";
import { Connection, type ConnectionLimits, type ListenerCounters } from "./connection.ts";
import { IpConnections, normalizeIp, type BanList } from "./ip-guard.ts";

export interface ListenerLimits extends ConnectionLimits {
  readonly max_connections_per_ip: number;
}

export interface ListenerOptions {
  readonly hostname: string;
  /** 0 lets the OS choose (tests). */
  readonly port: number;
  /** SO_REUSEPORT: several worker processes listen on one port and the kernel spreads connections. */
  readonly reusePort?: boolean;
  readonly limits: ListenerLimits;
  /** Shared by every port of the edge. */
  readonly bans: BanList;
  readonly log: Logger;
  now(): number;
  /** Creates the protocol side of an admitted connection. */
  accept(conn: Connection): LineHandler;
}

export interface StratumListener {
  readonly port: number;
  readonly hostname: string;
  readonly counters: Readonly<ListenerCounters>;
  readonly connections: ReadonlySet<Connection>;
  /** Drops clients blocked on writes too long. */
  sweep(now: number): void;
  /** Stops accepting; `closeActive` also closes every connection. */
  stop(closeActive: boolean): void;
}

/** PowerPool kept TCP keepalive at 120 s idle (spec §2.1). */
const TCP_KEEPALIVE_MS = 120_000;

export function startListener(opts: ListenerOptions): StratumListener {
  const counters: ListenerCounters = {
    connects: 0,
    disconnects: 0,
    refusedBanned: 0,
    refusedPerIp: 0,
    bans: 0,
    junk: 0,
    rateLimited: 0,
    oversizedLines: 0,
    blockedDrops: 0,
    resetBeforeSetup: 0,
  };
  const perIp = new IpConnections();
  const connections = new Set<Connection>();
  const ctx = {
    limits: opts.limits,
    bans: opts.bans,
    counters,
    log: opts.log,
    now: opts.now,
    released(conn: Connection) {
      connections.delete(conn);
      perIp.release(conn.ip);
      counters.disconnects++;
    },
  };

  const server: TCPSocketListener<Connection> = Bun.listen<Connection>({
    hostname: opts.hostname,
    port: opts.port,
    ...(opts.reusePort ? { reusePort: true } : {}),
    socket: {
      binaryType: "uint8array",
      open(socket) {
        const now = opts.now();
        // Bun's type says string, but a peer that reset the connection before open ran leaves it undefined.
        const remote = socket.remoteAddress as string | undefined;
        if (!remote) {
          counters.resetBeforeSetup++;
          socket.terminate();
          return;
        }
        const ip = normalizeIp(remote);
        if (opts.bans.isBanned(ip, now)) {
          counters.refusedBanned++;
          socket.terminate();
          return;
        }
        if (!perIp.acquire(ip, opts.limits.max_connections_per_ip)) {
          counters.refusedPerIp++;
          // Debug, not notice: a connect storm from one address must not become a log storm.
          if (opts.log.enabled("debug")) opts.log.debug(`refusing ${ip}: already ${opts.limits.max_connections_per_ip} connections from it`);
          socket.terminate();
          return;
        }
        socket.setNoDelay(true);
        socket.setKeepAlive(true, TCP_KEEPALIVE_MS);
        const conn = new Connection(socket, ip, now, ctx);
        socket.data = conn;
        connections.add(conn);
        counters.connects++;
        try {
          conn.handler = opts.accept(conn);
        } catch (e) {
          opts.log.error("stratum: accepting a connection failed", { error: e });
          conn.close("internal error", "abort");
        }
      },
      data(socket, chunk) {
        (socket.data as Connection | undefined)?.data(chunk);
      },
      drain(socket) {
        (socket.data as Connection | undefined)?.drain();
      },
      close(socket: Socket<Connection>) {
        (socket.data as Connection | undefined)?.finish("client disconnected");
      },
      error(socket, error) {
        const conn = socket.data as Connection | undefined;
        if (!conn) {
          // Never set up (refused, or reset during open): one connection's trouble, not the edge's.
          if (opts.log.enabled("debug")) opts.log.debug("stratum: error on a connection that was not set up", { error });
          return;
        }
        // A handler bug must cost one connection, never the edge.
        opts.log.error("stratum: socket handler failed", { error, ip: conn.ip });
        conn.close("internal error", "abort");
      },
    },
  });

  return {
    port: server.port,
    hostname: server.hostname,
    counters,
    connections,
    sweep(now) {
      for (const conn of connections) conn.sweep(now);
    },
    stop(closeActive) {
      server.stop(false);
      if (closeActive) for (const conn of [...connections]) conn.close("server stopping");
    },
  };
}
