/** @module Small response helpers shared by the route groups. */
import type { Context } from "hono";
import { toJson } from "./format.ts";
import { externalUrl } from "./urls.ts";

/** JSON as Flask sent it (compact, keys in insertion order), bigints kept exact (format.ts). */
export function jsonBody(c: Context, value: unknown): Response {
  return c.body(toJson(value), 200, { "content-type": "application/json" });
}

/** Flask's strict-slash rule: the slash-less form of a slash route is a 301 to the slashed one. */
export function slashRedirect(c: Context, path: string): Response {
  return c.redirect(externalUrl(c, path), 301);
}
