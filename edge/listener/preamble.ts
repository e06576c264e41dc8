/**
 * @module What comes before a connection's first request on a port with `proxy_protocol.enabled`
 * or TLS: the PROXY header (proxy-protocol.ts), then whether the client speaks TLS (a first byte
 * of 0x16 is a TLS handshake record), decided from the first bytes before the connection is
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

/** off: plain only; tls: TLS only; auto: either, by the first byte. */
export type TlsMode = "off" | "tls" | "auto";

export type PreambleStep =
  | { readonly kind: "wait" }
  /** `reply`: plain text to send before closing (plain text on a TLS-only port). */
  | { readonly kind: "reject"; readonly reason: string; readonly reply?: string }
  /** `ip`: the client's address from a header, or null to keep the peer's; `rest`: the bytes after the header; `tls`: they are TLS. */
  | { readonly kind: "admit"; readonly ip: string | null; readonly rest: Uint8Array; readonly header: string | null; readonly tls: boolean };

/** The first byte of a TLS handshake record (ClientHello). */
const TLS_HANDSHAKE = 0x16;
/** What a stratum client that sent plain text to a TLS-only port reads (a reply it can show). */
export const TLS_REQUIRED_REPLY = '{"id":null,"result":null,"error":[20,"this port speaks TLS only: connect with stratum+ssl://",null]}\n';

/** A PROXY v2 header is at most 16 + 65535 bytes; nothing longer is buffered before admission. */
export const MAX_PREAMBLE_BYTES = 16 + 0xffff;
/** A trusted proxy sends its header at once; a connection that sends nothing decidable is closed after this. */
export const PREAMBLE_TIMEOUT_MS = 10_000;

const WAIT: PreambleStep = { kind: "wait" };

export interface PreambleOptions {
  /** PROXY protocol on this port: whether the peer is a trusted proxy, and whether a header is required. */
  readonly proxy?: { readonly trusted: boolean; readonly required: boolean };
  readonly tls: TlsMode;
}

export class Preamble {
  private buf: Uint8Array | undefined;
  /** Decided by a PROXY header, waiting for the first byte after it (TLS sniffing). */
  private decided: { ip: string | null; header: string | null } | undefined;

  constructor(private readonly o: PreambleOptions) {}

  push(chunk: Uint8Array): PreambleStep {
    let b = chunk;
    if (this.buf) {
      b = new Uint8Array(this.buf.length + chunk.length);
      b.set(this.buf);
      b.set(chunk, this.buf.length);
      this.buf = undefined;
    }
    if (this.decided || !this.o.proxy) return this.sniff(b, this.decided?.ip ?? null, this.decided?.header ?? null);
    const step = this.proxyStep(b, chunk, this.o.proxy.trusted, this.o.proxy.required);
    if (step.kind !== "admit") return step;
    return this.sniff(step.rest, step.ip, step.header);
  }

  /** The TLS decision on the bytes after any PROXY header. */
  private sniff(rest: Uint8Array, ip: string | null, header: string | null): PreambleStep {
    if (this.o.tls === "off") return { kind: "admit", ip, rest, header, tls: false };
    if (rest.length === 0) {
      this.decided = { ip, header };
      return WAIT;
    }
    const tls = rest[0] === TLS_HANDSHAKE;
    if (!tls && this.o.tls === "tls") return { kind: "reject", reason: "plain text on a TLS-only port", reply: TLS_REQUIRED_REPLY };
    return { kind: "admit", ip, rest, header, tls };
  }

  private proxyStep(b: Uint8Array, chunk: Uint8Array, trusted: boolean, required: boolean): PreambleStep {
    const r = parseProxyHeader(b);
    if (r.kind === "more") {
      if (b.length > MAX_PREAMBLE_BYTES) return { kind: "reject", reason: "PROXY header too long" };
      // The chunk is the socket's buffer, reused after this call: keep a copy.
      this.buf = b === chunk ? chunk.slice() : b;
      return WAIT;
    }
    if (!trusted) {
      if (r.kind === "none") return { kind: "admit", ip: null, rest: b, header: null, tls: false };
      return { kind: "reject", reason: "PROXY header from an address not in proxy_protocol.trusted" };
    }
    switch (r.kind) {
      case "none":
        return required ? { kind: "reject", reason: "no PROXY header, and proxy_protocol.required is set" } : { kind: "admit", ip: null, rest: b, header: null, tls: false };
      case "error":
        return { kind: "reject", reason: `malformed PROXY header (${r.reason})` };
      case "header":
        return { kind: "admit", ip: r.source?.address ?? null, rest: b.subarray(r.length), header: `v${r.version}${r.source ? "" : " LOCAL"}`, tls: false };
    }
  }
}
