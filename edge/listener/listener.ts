/**
 * @module One stratum port's TCP listener (Bun.listen): admission (bans, per-IP limit), TCP
 * options, and routing socket events to each connection's `Connection` in `socket.data`.
 * One handler object serves every socket (Bun's model); per-connection state lives in `data`.
 */
import type { Socket, TCPSocketListener } from "bun";
import type { Logger } from "../../shared/log.ts";
import type { LineHandler } from "../stratum/transport.ts";
import { Connection, type ConnectionLimits, type ListenerCounters } from "./connection.ts";
import { IpConnections, normalizeIp, type IpGuard } from "./ip-guard.ts";
import type { SecureContext } from "node:tls";
import type { TrustedProxies } from "./proxy-protocol.ts";

export interface ListenerLimits extends ConnectionLimits {
  /** Every connection from one address (authorised miners count only here). */
  readonly max_connections_per_ip: number;
  /** Connections from one address whose miner has not authorised (yet). */
  readonly max_unauthorized_per_ip: number;
}

export interface ListenerOptions {
  readonly hostname: string;
  /** 0 lets the OS choose (tests). */
  readonly port: number;
  /** SO_REUSEPORT: several worker processes listen on one port and the kernel spreads connections. */
  readonly reusePort?: boolean;
  readonly limits: ListenerLimits;
  /** The stratum port key, for ban records and logs. */
  readonly portKey: string;
  /** Bans and offences, shared by every port of the edge. */
  readonly guard: IpGuard;
  /** PROXY protocol (`proxy_protocol.enabled`): whose headers are believed, and whether one is required. */
  readonly proxy?: { readonly trusted: TrustedProxies; readonly required: boolean };
  /** TLS (`tls.mode`): TLS only, or TLS and plain text by the first byte; `context` is the certificate in use now. */
  readonly tls?: { readonly mode: "tls" | "auto"; context(): SecureContext };
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
    refusedUnauthorized: 0,
    proxyRejected: 0,
    tlsConnections: 0,
    tlsErrors: 0,
    bans: 0,
    offences: 0,
    junk: 0,
    rateLimited: 0,
    backpressured: 0,
    oversizedLines: 0,
    blockedDrops: 0,
    resetBeforeSetup: 0,
  };
  const perIp = new IpConnections();
  const connections = new Set<Connection>();
  const ctx = {
    limits: opts.limits,
    portKey: opts.portKey,
    guard: opts.guard,
    counters,
    log: opts.log,
    now: opts.now,
    released(conn: Connection) {
      connections.delete(conn);
      if (!conn.admitted) return;
      perIp.release(conn.ip, conn.isAuthorized);
      counters.disconnects++;
    },
    authorized(conn: Connection) {
      perIp.authorized(conn.ip);
    },
    ...(opts.tls ? { tlsContext: opts.tls.context } : {}),
    admit(conn: Connection): boolean {
      const ip = conn.ip;
      if (opts.guard.isBanned(ip, opts.now())) {
        counters.refusedBanned++;
        conn.close("banned", "abort");
        return false;
      }
      const refused = perIp.acquire(ip, opts.limits.max_connections_per_ip, opts.limits.max_unauthorized_per_ip);
      if (refused !== null) {
        if (refused === "total") counters.refusedPerIp++;
        else counters.refusedUnauthorized++;
        // Debug, not notice: a connect storm from one address must not become a log storm.
        if (opts.log.enabled("debug"))
          opts.log.debug(
            refused === "total"
              ? `refusing ${ip}: already ${opts.limits.max_connections_per_ip} connections from it`
              : `refusing ${ip}: already ${opts.limits.max_unauthorized_per_ip} connections from it that have not authorised`,
          );
        conn.close("per-IP limit", "abort");
        return false;
      }
      conn.admitted = true;
      counters.connects++;
      try {
        conn.handler = opts.accept(conn);
      } catch (e) {
        opts.log.error("stratum: accepting a connection failed", { error: e });
        conn.close("internal error", "abort");
        return false;
      }
      return true;
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
        // A client that reset its connection before it was opened has no address left: nothing to serve.
        if (!socket.remoteAddress) {
          counters.resetBeforeSetup++;
          socket.terminate();
          return;
        }
        const peer = normalizeIp(socket.remoteAddress);
        const proxy = opts.proxy;
        const trusted = proxy !== undefined && proxy.trusted.has(peer);
        // A banned client is refused before anything is allocated (behind a proxy: once its header names it).
        if (!trusted && opts.guard.isBanned(peer, now)) {
          counters.refusedBanned++;
          socket.terminate();
          return;
        }
        if (proxy?.required && !trusted) {
          counters.proxyRejected++;
          opts.log.notice(`closing a connection from ${peer}: not a trusted proxy, and proxy_protocol.required is set`);
          socket.terminate();
          return;
        }
        socket.setNoDelay(true);
        socket.setKeepAlive(true, TCP_KEEPALIVE_MS);
        const conn = new Connection(socket, peer, now, ctx);
        socket.data = conn;
        connections.add(conn);
        // With PROXY protocol or TLS on, the first bytes decide the client's address and whether it
        // speaks TLS (preamble.ts) before admission.
        if (proxy || opts.tls) conn.awaitPreamble({ ...(proxy ? { proxy: { trusted, required: proxy.required } } : {}), tls: opts.tls?.mode ?? "off" });
        else ctx.admit(conn);
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
