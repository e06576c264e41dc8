/**
 * @module The seam between the listener (bytes, framing, limits) and the stratum sessions
 * (protocol), as two interfaces so neither folder reaches into the other (style.md §5: the
 * listener sees bytes, the stratum layer sees requests).
 */

/** What a session may do with its connection. */
export interface Transport {
  /** Remote IP address (IPv4-mapped IPv6 unwrapped). */
  readonly ip: string;
  readonly connectedAt: number;
  readonly closed: boolean;
  /** Writes a line (or several) as given; bytes are not copied, so shared buffers stay shared. */
  send(data: string | Uint8Array): void;
  /** Closes; "abort" resets the socket without flushing (abuse, stuck clients). */
  close(reason: string, mode?: "graceful" | "abort"): void;
  /**
   * Counts junk input (unknown method and the like; "unauthorized": requests that need an
   * authorised miner) toward closing the connection, and then toward a temporary IP ban.
   */
  strike(reason: string, now: number, kind?: "junk" | "unauthorized"): void;
  /** Closes for too many invalid shares, counting toward a ban of the IP (listener/ip-guard.ts). */
  ban(reason: string, now: number): void;
  /** Many replies pending (true): read no more requests until they are answered (false). */
  hold(on: boolean): void;
  /** The miner authorised: the connection leaves the per-IP unauthorised count. */
  markAuthorized(): void;
  /** The miner had a share accepted: its IP is never banned while it stays connected. */
  markHonest(): void;
}

/** What the listener hands each connection's lines to. */
export interface LineHandler {
  /**
   * One request: `id` is the request id as JSON text (absent → `1`, spec §2.1), `method` is
   * lower-cased (methods are case-insensitive), `params` is the array sent (absent → empty).
   */
  request(id: string, method: string, params: readonly unknown[], now: number): void;
  /**
   * Optional, tried first for every line: handles it straight from its bytes (valid during the
   * call only) and returns true, or returns false having done nothing, and the line is parsed
   * as JSON for `request`/`malformed`. The stratum session answers plain mining.submit lines here.
   */
  requestLine?(bytes: Uint8Array, start: number, end: number, now: number): boolean;
  /** A line that is not a request (bad JSON, not an object, no method, params not an array): answer error 20 with `id`. */
  malformed(id: string, now: number): void;
  /** The connection is gone; called once, whoever closed it. */
  closed(reason: string): void;
}
