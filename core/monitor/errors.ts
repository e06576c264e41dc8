/**
 * @module The monitor's one error path (style §5 "Error handling" 5): a MonitorError carries its
 * status and a string code and becomes a small JSON answer; anything else is logged on the core
 * and answered with a bare 500 — never a stack, a message or a secret.
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { Logger } from "../../shared/log.ts";

export type MonitorErrorCode = "not_found" | "unavailable" | "bad_request" | "forbidden" | "conflict";

export class MonitorError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: MonitorErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "MonitorError";
  }
}

export const notFound = (what: string) => new MonitorError(404, "not_found", what);

export function errorResponse(c: Context, err: Error, log: Logger): Response {
  if (err instanceof MonitorError) return c.json({ error: err.code, message: err.message }, err.status);
  // Only the class name and the route: the message may quote data, and the stack is ours.
  log.error(`monitor: ${c.req.method} ${c.req.path} failed`, { error: err.name, message: err.message });
  return c.json({ error: "internal" }, 500);
}

export function notFoundResponse(c: Context): Response {
  return c.json({ error: "not_found", message: "no such route" }, 404);
}
