/**
 * @module The PROXY protocol header a load balancer (HAProxy `send-proxy`/`send-proxy-v2`, cloud
 * load balancers) puts before the client's bytes, versions 1 (text) and 2 (binary), as specified
 * in HAProxy's doc/proxy-protocol.txt. Written by hand: it is ~100 lines of byte checks, and the
 * npm parsers seen either take only v1 or buffer whole streams.
 *
 * `parseProxyHeader` looks at the bytes received so far and says: not a header at all ("none"),
 * maybe one but more bytes are needed ("more"), a malformed one ("error", with the reason), or a
 * header of `length` bytes with the client's address (null for v2 LOCAL — a health check of the
 * proxy itself — and for v1 UNKNOWN / v2 UNSPEC or unix sockets: the peer's address is used then).
 * v2 TLVs are skipped by their total length, never parsed.
 */
import { BlockList, isIP } from "node:net";

/** v1: "PROXY " … "\r\n", at most 107 bytes in all (spec 2.1). */
const V1_PREFIX = new TextEncoder().encode("PROXY ");
const V1_MAX = 107;
/** v2: the 12-byte signature, then ver/cmd, family, 16-bit length (spec 2.2). */
const V2_SIG = Uint8Array.of(0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a);
const V2_FIXED = 16;

export interface ProxySource {
  readonly address: string;
  readonly port: number;
}

export type ProxyParse =
  | { readonly kind: "none" }
  | { readonly kind: "more" }
  | { readonly kind: "error"; readonly reason: string }
  | { readonly kind: "header"; readonly version: 1 | 2; readonly length: number; readonly source: ProxySource | null };

const NONE: ProxyParse = { kind: "none" };
const MORE: ProxyParse = { kind: "more" };
const error = (reason: string): ProxyParse => ({ kind: "error", reason });

/** True while `b` is a prefix of `sig` (or starts with all of it). */
function startsLike(b: Uint8Array, sig: Uint8Array): boolean {
  const n = Math.min(b.length, sig.length);
  for (let i = 0; i < n; i++) if (b[i] !== sig[i]) return false;
  return true;
}

export function parseProxyHeader(b: Uint8Array): ProxyParse {
  if (b.length === 0) return MORE;
  if (startsLike(b, V2_SIG)) return b.length < V2_SIG.length ? MORE : parseV2(b);
  if (startsLike(b, V1_PREFIX)) return b.length < V1_PREFIX.length ? MORE : parseV1(b);
  return NONE;
}

function parseV1(b: Uint8Array): ProxyParse {
  const end = b.indexOf(0x0a);
  if (end < 0) return b.length >= V1_MAX ? error(`v1 header longer than ${V1_MAX} bytes`) : MORE;
  if (end + 1 > V1_MAX) return error(`v1 header longer than ${V1_MAX} bytes`);
  if (b[end - 1] !== 0x0d) return error("v1 header not ended by CRLF");
  for (let i = 0; i < end - 1; i++) if (b[i]! < 0x20 || b[i]! > 0x7e) return error("v1 header is not printable ASCII");
  const fields = new TextDecoder().decode(b.subarray(0, end - 1)).split(" ");
  const length = end + 1;
  if (fields[1] === "UNKNOWN") return { kind: "header", version: 1, length, source: null };
  if (fields.length !== 6) return error(`v1 header: expected 6 fields, got ${fields.length}`);
  const [, proto, src, dst, sport, dport] = fields as [string, string, string, string, string, string];
  const family = proto === "TCP4" ? 4 : proto === "TCP6" ? 6 : 0;
  if (family === 0) return error(`v1 header: expected TCP4, TCP6 or UNKNOWN, got ${JSON.stringify(proto.slice(0, 8))}`);
  if (isIP(src) !== family || isIP(dst) !== family) return error(`v1 header: addresses are not ${proto}`);
  const port = v1Port(sport);
  if (port < 0 || v1Port(dport) < 0) return error("v1 header: a port is not 0-65535");
  return { kind: "header", version: 1, length, source: { address: canonicalIp(src), port } };
}

function v1Port(s: string): number {
  if (!/^(0|[1-9][0-9]{0,4})$/.test(s)) return -1;
  const n = Number(s);
  return n <= 65535 ? n : -1;
}

function parseV2(b: Uint8Array): ProxyParse {
  if (b.length < V2_FIXED) return MORE;
  const verCmd = b[12]!;
  if (verCmd >> 4 !== 2) return error(`v2 header: expected version 2, got ${verCmd >> 4}`);
  const cmd = verCmd & 0x0f;
  if (cmd > 1) return error(`v2 header: unknown command ${cmd}`);
  const length = V2_FIXED + ((b[14]! << 8) | b[15]!);
  if (b.length < length) return MORE;
  // LOCAL: the proxy speaking for itself (health checks); the address block is ignored.
  if (cmd === 0) return { kind: "header", version: 2, length, source: null };
  const fam = b[13]!;
  const body = b.subarray(V2_FIXED, length);
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  switch (fam) {
    case 0x11: // TCP over IPv4: src, dst (4 bytes each), sport, dport
      if (body.length < 12) return error("v2 header: IPv4 address block shorter than 12 bytes");
      return { kind: "header", version: 2, length, source: { address: `${body[0]}.${body[1]}.${body[2]}.${body[3]}`, port: view.getUint16(8) } };
    case 0x21: // TCP over IPv6: src, dst (16 bytes each), sport, dport
      if (body.length < 36) return error("v2 header: IPv6 address block shorter than 36 bytes");
      return { kind: "header", version: 2, length, source: { address: canonicalIp(ipv6(body.subarray(0, 16))), port: view.getUint16(32) } };
    case 0x00: // UNSPEC
    case 0x31: // unix stream
      return { kind: "header", version: 2, length, source: null };
    default:
      return error(`v2 header: family/protocol 0x${fam.toString(16).padStart(2, "0")} is not a TCP stream`);
  }
}

/** An IPv6 address as text: `::ffff:a.b.c.d` for IPv4-mapped ones, else RFC 5952's compressed form (canonicalIp). */
function ipv6(b: Uint8Array): string {
  const mapped = b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
  if (mapped) return `::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i]! << 8) | b[i + 1]!).toString(16));
  return canonicalIp(groups.join(":"));
}

/**
 * One spelling per address, as the socket layer reports them, so bans and per-IP counts match:
 * IPv4-mapped IPv6 as IPv4, other IPv6 compressed (the URL parser's canonical form).
 */
export function canonicalIp(address: string): string {
  if (address.startsWith("::ffff:") && address.includes(".")) return address.slice(7);
  if (isIP(address) !== 6) return address;
  return new URL(`http://[${address}]/`).hostname.slice(1, -1);
}

/** Trusted proxies: CIDR blocks (`10.0.0.0/8`, `fd00::/8`) or single addresses. */
export class TrustedProxies {
  private readonly list = new BlockList();
  readonly size: number;

  constructor(cidrs: readonly string[]) {
    for (const c of cidrs) {
      const [address = "", bits] = c.split("/");
      const family = isIP(address);
      if (family === 0) throw new RangeError(`proxy_protocol.trusted: expected an address or CIDR, got ${JSON.stringify(c)}`);
      const prefix = bits === undefined ? (family === 4 ? 32 : 128) : Number(bits);
      this.list.addSubnet(address, prefix, family === 4 ? "ipv4" : "ipv6");
    }
    this.size = cidrs.length;
  }

  has(ip: string): boolean {
    const family = isIP(ip);
    return family !== 0 && this.list.check(ip, family === 4 ? "ipv4" : "ipv6");
  }
}
