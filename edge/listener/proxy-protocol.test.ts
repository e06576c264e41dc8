import { describe, expect, test } from "bun:test";
import { Preamble } from "./preamble.ts";
import { canonicalIp, parseProxyHeader, TrustedProxies } from "./proxy-protocol.ts";

const text = (s: string) => new TextEncoder().encode(s);
const SIG = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a];

/** A v2 header: ver/cmd, family, the address block, then TLVs. */
function v2(verCmd: number, fam: number, block: number[], tlvs: number[] = []): Uint8Array {
  const body = [...block, ...tlvs];
  return Uint8Array.from([...SIG, verCmd, fam, body.length >> 8, body.length & 0xff, ...body]);
}
const ipv4Block = [203, 0, 113, 9, 10, 0, 0, 1, 0xc3, 0x50, 0x0d, 0x05]; // 203.0.113.9:50000 → 10.0.0.1:3333
const ipv6Block = [0x20, 0x01, 0x0d, 0xb8, ...Array(11).fill(0), 0x07, ...Array(15).fill(0), 1, 0x12, 0x34, 0x0d, 0x05];

describe("PROXY protocol v1", () => {
  test("TCP4, TCP6 and UNKNOWN", () => {
    expect(parseProxyHeader(text("PROXY TCP4 203.0.113.9 10.0.0.1 50000 3333\r\n{"))).toEqual({ kind: "header", version: 1, length: 44, source: { address: "203.0.113.9", port: 50000 } });
    expect(parseProxyHeader(text("PROXY TCP6 2001:db8:0::7 2001:db8::1 4660 3333\r\n"))).toMatchObject({ source: { address: "2001:db8::7", port: 4660 } });
    expect(parseProxyHeader(text("PROXY TCP6 ::ffff:198.51.100.4 ::1 1 2\r\n"))).toMatchObject({ source: { address: "198.51.100.4" } });
    expect(parseProxyHeader(text("PROXY UNKNOWN\r\n"))).toEqual({ kind: "header", version: 1, length: 15, source: null });
    expect(parseProxyHeader(text("PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n"))).toMatchObject({ source: null });
  });
  test("partial headers ask for more; a stratum line or TLS is not a header", () => {
    expect(parseProxyHeader(text("PRO"))).toEqual({ kind: "more" });
    expect(parseProxyHeader(text("PROXY TCP4 203.0.113.9 10.0"))).toEqual({ kind: "more" });
    expect(parseProxyHeader(text('{"id":1}\n'))).toEqual({ kind: "none" });
    expect(parseProxyHeader(Uint8Array.of(0x16, 0x03, 0x01))).toEqual({ kind: "none" });
    expect(parseProxyHeader(text("PROXX"))).toEqual({ kind: "none" });
  });
  test("malformed headers are errors with a reason", () => {
    const bad = [
      "PROXY TCP4 203.0.113.9 10.0.0.1 50000 3333\n",
      "PROXY TCP4 203.0.113.9 10.0.0.1 50000\r\n",
      "PROXY TCP4 2001:db8::1 10.0.0.1 1 2\r\n",
      "PROXY TCP4 203.0.113.256 10.0.0.1 1 2\r\n",
      "PROXY TCP4 203.0.113.9 10.0.0.1 65536 2\r\n",
      "PROXY TCP4 203.0.113.9 10.0.0.1 0050 2\r\n",
      "PROXY UDP4 203.0.113.9 10.0.0.1 1 2\r\n",
      "PROXY TCP4 203.0.113.9\t10.0.0.1 1 2\r\n",
      `PROXY TCP4 ${"1".repeat(120)}`,
    ];
    for (const b of bad) expect(parseProxyHeader(text(b)).kind).toBe("error");
  });
});

describe("PROXY protocol v2", () => {
  test("TCP over IPv4 and IPv6; TLVs are skipped by length", () => {
    const tlvs = [0x01, 0x00, 0x02, 0x68, 0x32, 0x05, 0x00, 0x03, 1, 2, 3]; // ALPN "h2", UNIQUE_ID
    const h = v2(0x21, 0x11, ipv4Block, tlvs);
    expect(parseProxyHeader(Uint8Array.from([...h, 0x7b]))).toEqual({ kind: "header", version: 2, length: h.length, source: { address: "203.0.113.9", port: 50000 } });
    expect(parseProxyHeader(v2(0x21, 0x21, ipv6Block))).toMatchObject({ source: { address: "2001:db8::7", port: 0x1234 } });
  });
  test("LOCAL (health checks), UNSPEC and unix sockets keep the peer's address", () => {
    expect(parseProxyHeader(v2(0x20, 0x00, []))).toEqual({ kind: "header", version: 2, length: 16, source: null });
    expect(parseProxyHeader(v2(0x20, 0x11, ipv4Block))).toMatchObject({ source: null });
    expect(parseProxyHeader(v2(0x21, 0x00, []))).toMatchObject({ source: null });
    expect(parseProxyHeader(v2(0x21, 0x31, Array(216).fill(0)))).toMatchObject({ source: null });
  });
  test("a header split anywhere asks for more until complete", () => {
    const h = v2(0x21, 0x11, ipv4Block, Array(300).fill(0));
    for (const cut of [1, 11, 12, 15, 16, 27, h.length - 1]) expect(parseProxyHeader(h.subarray(0, cut))).toEqual({ kind: "more" });
    expect(parseProxyHeader(h).kind).toBe("header");
  });
  test("wrong version, unknown command, datagram families and short address blocks are errors", () => {
    expect(parseProxyHeader(v2(0x11, 0x11, ipv4Block)).kind).toBe("error");
    expect(parseProxyHeader(v2(0x22, 0x11, ipv4Block)).kind).toBe("error");
    expect(parseProxyHeader(v2(0x21, 0x12, ipv4Block)).kind).toBe("error");
    expect(parseProxyHeader(v2(0x21, 0x11, ipv4Block.slice(0, 8))).kind).toBe("error");
    expect(parseProxyHeader(v2(0x21, 0x21, ipv4Block)).kind).toBe("error");
  });
});

describe("trusted proxies and the preamble", () => {
  test("CIDR blocks and single addresses, IPv4 and IPv6", () => {
    const t = new TrustedProxies(["10.0.0.0/8", "192.0.2.7", "fd00::/8"]);
    expect([t.has("10.200.0.1"), t.has("11.0.0.1"), t.has("192.0.2.7"), t.has("192.0.2.8"), t.has("fd12::1"), t.has("fe80::1"), t.has("unknown")]).toEqual([true, false, true, false, true, false, false]);
    expect(() => new TrustedProxies(["10.0.0/8"])).toThrow(RangeError);
    expect(canonicalIp("2001:0db8:0000::0001")).toBe("2001:db8::1");
  });
  test("from a trusted proxy: the header's address; no header refused when required, else the proxy's own", () => {
    const p = new Preamble({ proxy: { trusted: true, required: false }, tls: "off" });
    expect(p.push(text("PROXY TCP4 203.0.113.9 "))).toEqual({ kind: "wait" });
    const step = p.push(text('10.0.0.1 5 6\r\n{"id":1}\n'));
    expect(step).toMatchObject({ kind: "admit", ip: "203.0.113.9", header: "v1" });
    expect(new TextDecoder().decode((step as { rest: Uint8Array }).rest)).toBe('{"id":1}\n');
    expect(new Preamble({ proxy: { trusted: true, required: false }, tls: "off" }).push(text('{"id":1}\n'))).toMatchObject({ kind: "admit", ip: null });
    expect(new Preamble({ proxy: { trusted: true, required: true }, tls: "off" }).push(text('{"id":1}\n'))).toMatchObject({ kind: "reject", reason: "no PROXY header, and proxy_protocol.required is set" });
    expect(new Preamble({ proxy: { trusted: true, required: true }, tls: "off" }).push(text("PROXY TCP4 x y 1 2\r\n"))).toMatchObject({ kind: "reject" });
    expect(new Preamble({ proxy: { trusted: true, required: true }, tls: "off" }).push(v2(0x20, 0x00, []))).toMatchObject({ kind: "admit", ip: null, header: "v2 LOCAL" });
  });
  test("from anyone else a header (even a valid one) is refused, plain stratum is served", () => {
    expect(new Preamble({ proxy: { trusted: false, required: false }, tls: "off" }).push(text("PROXY TCP4 1.2.3.4 10.0.0.1 5 6\r\n"))).toMatchObject({ kind: "reject", reason: "PROXY header from an address not in proxy_protocol.trusted" });
    expect(new Preamble({ proxy: { trusted: false, required: false }, tls: "off" }).push(v2(0x21, 0x11, ipv4Block))).toMatchObject({ kind: "reject" });
    expect(new Preamble({ proxy: { trusted: false, required: false }, tls: "off" }).push(text('{"id":1}\n'))).toMatchObject({ kind: "admit", ip: null });
  });
});
