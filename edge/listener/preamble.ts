/**
 * @module What comes before a connection's first request on a port with `proxy_protocol.enabled`:
 * the PROXY header (proxy-protocol.ts), decided from the first bytes before the connection is
 * admitted (bans and per-IP limits then apply to the address the header names).
 *
 * - From a trusted proxy: a header gives the client's address (v2 LOCAL, v1 UNKNOWN: the proxy's
 *   own); a malformed header is refused; no header is refused when `required`, else the
 *   connection is the proxy's own (e.g. a health check speaking stratum).
 * - From any other address: a header (or anything that starts like one) is refused — it would let
 *   a client choose its own address; plain stratum is served (`required` refuses such peers at
 *   the door, listener.ts).
 */
import { parseProxyHeader } from "./proxy-protocol.ts";

export type PreambleStep =
  | { readonly kind: "wait" }
  | { readonly kind: "reject"; readonly reason: string }
  /** `ip`: the client's address from a header, or null to keep the peer's; `rest`: the bytes after the header. */
  | { readonly kind: "admit"; readonly ip: string | null; readonly rest: Uint8Array; readonly header: string | null };

/** A PROXY v2 header is at most 16 + 65535 bytes; nothing longer is buffered before admission. */
export const MAX_PREAMBLE_BYTES = 16 + 0xffff;
/** A trusted proxy sends its header at once; a connection that sends nothing decidable is closed after this. */
export const PREAMBLE_TIMEOUT_MS = 10_000;

const WAIT: PreambleStep = { kind: "wait" };

export class Preamble {
  private buf: Uint8Array | undefined;

  constructor(
    private readonly trusted: boolean,
    private readonly required: boolean,
  ) {}

  push(chunk: Uint8Array): PreambleStep {
    let b = chunk;
    if (this.buf) {
      b = new Uint8Array(this.buf.length + chunk.length);
      b.set(this.buf);
      b.set(chunk, this.buf.length);
    }
    const r = parseProxyHeader(b);
    if (r.kind === "more") {
      if (b.length > MAX_PREAMBLE_BYTES) return { kind: "reject", reason: "PROXY header too long" };
      // The chunk is the socket's buffer, reused after this call: keep a copy.
      this.buf = b === chunk ? chunk.slice() : b;
      return WAIT;
    }
    this.buf = undefined;
    if (!this.trusted) {
      if (r.kind === "none") return { kind: "admit", ip: null, rest: b, header: null };
      return { kind: "reject", reason: "PROXY header from an address not in proxy_protocol.trusted" };
    }
    switch (r.kind) {
      case "none":
        return this.required ? { kind: "reject", reason: "no PROXY header, and proxy_protocol.required is set" } : { kind: "admit", ip: null, rest: b, header: null };
      case "error":
        return { kind: "reject", reason: `malformed PROXY header (${r.reason})` };
      case "header":
        return { kind: "admit", ip: r.source?.address ?? null, rest: b.subarray(r.length), header: `v${r.version}${r.source ? "" : " LOCAL"}` };
    }
  }
}
