/**
 * @module Absolute URLs as PowerPool's Flask `url_for(_external=True)` made them, honouring a
 * reverse proxy's `X-Script-Name` (mount prefix) and `X-Scheme` (spec §9). The headers are checked
 * before use: a prefix is a plain path and the scheme is http or https, otherwise they are ignored.
 */
import type { Context } from "hono";

const SCRIPT_NAME = /^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/;
const HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

export function externalUrl(c: Context, path: string): string {
  const url = new URL(c.req.url);
  const scheme = c.req.header("x-scheme")?.toLowerCase();
  const proto = scheme === "http" || scheme === "https" ? scheme : url.protocol.replace(/:$/, "");
  const hostHeader = c.req.header("host");
  const host = hostHeader && HOST.test(hostHeader) ? hostHeader : url.host;
  return `${proto}://${host}${mountPrefix(c)}${path}`;
}

/** The proxy's mount prefix without a trailing slash ("" when none). */
export function mountPrefix(c: Context): string {
  const raw = c.req.header("x-script-name");
  return raw && SCRIPT_NAME.test(raw) ? raw.replace(/\/+$/, "") : "";
}

/** A path segment as url_for quotes it. */
export const seg = (s: string) => encodeURIComponent(s);
