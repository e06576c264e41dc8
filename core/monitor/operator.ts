/**
 * @module The access rule of the operator's POST routes (ban lifts, quarantine decisions): like
 * the rest of the monitor they are for the operator on the core's host, so a caller that is not
 * on loopback is refused even when `monitor.address` is opened wider, and the body must be JSON
 * (a page elsewhere cannot send one without a CORS preflight, which the monitor never grants).
 */
import type { Context } from "hono";
import { getConnInfo } from "hono/bun";
import { MonitorError } from "./errors.ts";

/** The request's JSON object body, after the loopback and content-type checks; `what` names the action in the 403 ("ban lifts"). */
export async function operatorJson(c: Context, what: string): Promise<Record<string, unknown>> {
  if (!fromLoopback(c)) throw new MonitorError(403, "forbidden", `${what} are accepted from loopback only`);
  if (!(c.req.header("content-type") ?? "").startsWith("application/json")) throw new MonitorError(400, "bad_request", "expected a JSON body (content-type application/json)");
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    throw new MonitorError(400, "bad_request", "expected a JSON body");
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) throw new MonitorError(400, "bad_request", "expected a JSON object");
  return body as Record<string, unknown>;
}

/** True for a loopback caller, or an in-memory request (tests) that has no socket at all. */
export function fromLoopback(c: Context): boolean {
  let address: string | undefined;
  try {
    address = getConnInfo(c).remote.address;
  } catch {
    return true;
  }
  if (address === undefined) return true;
  return address === "::1" || address.startsWith("127.") || address.startsWith("::ffff:127.");
}
