/**
 * @module The one table of coinserver failures. Every error names the server (config `name` or
 * address:port) and the RPC method, so a log line alone says which node misbehaved and how.
 *
 * Kinds, switched on by `code`:
 * - `RPC_ERROR`      the node answered with a JSON-RPC error object (a real answer).
 * - `RPC_TRANSPORT`  no usable answer: refused, timed out, aborted, HTTP 401/5xx without a JSON body,
 *                    or `busy` (HTTP 500 "Work queue depth exceeded": alive but its queue is full).
 * - `RPC_PROTOCOL`   an HTTP answer that is not a JSON-RPC reply (not JSON, no `result`, wrong id).
 * - `NO_LIVE_SERVER` the pool had no live coinserver within the bounded wait.
 */

export type CoinserverErrorCode = "RPC_ERROR" | "RPC_TRANSPORT" | "RPC_PROTOCOL" | "NO_LIVE_SERVER";

export abstract class CoinserverError extends Error {
  abstract readonly code: CoinserverErrorCode;
  constructor(
    /** Display name of the server, or the coin label for pool-level errors. */
    readonly server: string,
    readonly method: string,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(`${server} ${method}: ${detail}`, options);
  }
}

/** The node refused the request with a JSON-RPC error (e.g. -8 bad params, -32601 unknown method). */
export class RpcError extends CoinserverError {
  override readonly name = "RpcError";
  readonly code = "RPC_ERROR" as const;
  constructor(
    server: string,
    method: string,
    readonly rpcCode: number,
    readonly rpcMessage: string,
  ) {
    super(server, method, `RPC error ${rpcCode}: ${rpcMessage}`);
  }
}

export type TransportReason = "refused" | "timeout" | "aborted" | "http" | "network" | "busy";

/**
 * No usable answer reached us. The server is treated as down, except for `aborted` (the caller gave
 * up) and `busy` (the node said its work queue is full: it is alive, ask again later).
 */
export class RpcTransportError extends CoinserverError {
  override readonly name = "RpcTransportError";
  readonly code = "RPC_TRANSPORT" as const;
  constructor(
    server: string,
    method: string,
    readonly reason: TransportReason,
    detail: string,
    /** HTTP status when `reason` is `http`. */
    readonly status?: number,
    options?: ErrorOptions,
  ) {
    super(server, method, detail, options);
  }
}

/** The server answered over HTTP, but not with a JSON-RPC reply. */
export class RpcProtocolError extends CoinserverError {
  override readonly name = "RpcProtocolError";
  readonly code = "RPC_PROTOCOL" as const;
}

/** Pool level: no coinserver was live (or all failed) within the wait. `cause` is the last server error. */
export class NoLiveServerError extends CoinserverError {
  override readonly name = "NoLiveServerError";
  readonly code = "NO_LIVE_SERVER" as const;
}

/**
 * JSON-RPC error codes that mean "this node cannot serve yet", not "your request is wrong".
 * -28 is Bitcoin Core's RPC_IN_WARMUP (loading the block index, verifying blocks): the same node
 * answers normally a few minutes later, so fail over meanwhile.
 */
export const UNAVAILABLE_RPC_CODES: ReadonlySet<number> = new Set([-28]);

/** Whether an error means the server is unusable (mark it down, try the next one). */
export function isServerFailure(err: unknown, unavailableCodes: ReadonlySet<number> = UNAVAILABLE_RPC_CODES): boolean {
  if (err instanceof RpcTransportError) return err.reason !== "aborted" && err.reason !== "busy";
  if (err instanceof RpcProtocolError) return true;
  if (err instanceof RpcError) return unavailableCodes.has(err.rpcCode);
  return false;
}

/** A short printable excerpt of an unexpected body, for error messages. */
export function excerpt(text: string, max = 120): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return JSON.stringify(flat.length > max ? `${flat.slice(0, max)}…` : flat);
}
