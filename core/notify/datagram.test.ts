import { describe, expect, test } from "bun:test";
import { describeDatagram, encodeDatagram, MAX_DATAGRAM_BYTES, parseDatagram, type ParseResult } from "./datagram.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const parse = (s: string | Uint8Array) => parseDatagram(typeof s === "string" ? enc(s) : s);
const ok = (r: ParseResult) => {
  if (!r.ok) throw new Error(`expected ok, got ${r.reason}: ${r.detail}`);
  return { ...r.datagram, kwargs: Object.fromEntries(r.datagram.kwargs) };
};

describe("parseDatagram", () => {
  test("PowerPool's canonical lines (spec §11)", () => {
    expect(ok(parse("LTC getblocktemplate signal=1 __spawn=1"))).toEqual({ component: "LTC", method: "getblocktemplate", args: [], kwargs: { signal: "1", __spawn: "1" } });
    expect(ok(parse("DOGE _check_new_jobs signal=1 _single_exec=True __spawn=1"))).toEqual({
      component: "DOGE",
      method: "_check_new_jobs",
      args: [],
      kwargs: { signal: "1", _single_exec: "True", __spawn: "1" },
    });
  });

  test("a trailing newline (echo | nc), CRLF and stray spaces are tolerated", () => {
    for (const line of ["LTC getblocktemplate signal=1\n", "LTC getblocktemplate signal=1\r\n", " LTC  getblocktemplate signal=1 \n"]) {
      expect(ok(parse(line))).toEqual({ component: "LTC", method: "getblocktemplate", args: [], kwargs: { signal: "1" } });
    }
  });

  test("positional words and = inside values", () => {
    expect(ok(parse("LTC refresh abc secret=a=b"))).toEqual({ component: "LTC", method: "refresh", args: ["abc"], kwargs: { secret: "a=b" } });
  });

  test("malformed, non-ASCII and oversized datagrams are rejected with a reason", () => {
    const reason = (s: string | Uint8Array) => {
      const r = parse(s);
      return r.ok ? "ok" : r.reason;
    };
    expect(reason("")).toBe("malformed");
    expect(reason("\n")).toBe("malformed");
    expect(reason("LTC")).toBe("malformed");
    expect(reason("LTC =1")).toBe("malformed");
    expect(reason("a=b refresh")).toBe("malformed");
    expect(reason("LTC refresh secret=a secret=b")).toBe("malformed");
    expect(reason("LTC\tgetblocktemplate")).toBe("not_ascii");
    expect(reason("LTC getblocktemplate\n\n")).toBe("not_ascii");
    expect(reason("LTC getblocktemplate\0")).toBe("not_ascii");
    expect(reason("LTC getblocktemplaté")).toBe("not_ascii");
    expect(reason(new Uint8Array([0xff, 0xfe]))).toBe("not_ascii");
    expect(reason(`LTC refresh x=${"a".repeat(MAX_DATAGRAM_BYTES)}`)).toBe("oversized");
    expect(reason(`LTC refresh x=${"a".repeat(MAX_DATAGRAM_BYTES - 16)}`)).toBe("ok");
  });
});

describe("encodeDatagram / describeDatagram", () => {
  test("encode is the inverse of parse", () => {
    const line = "DOGE _check_new_jobs extra signal=1 _single_exec=True";
    const r = parse(line);
    if (!r.ok) throw new Error("parse failed");
    expect(encodeDatagram(r.datagram)).toBe(line);
    expect(() => encodeDatagram({ component: "L C", method: "refresh", args: [], kwargs: new Map() })).toThrow("encodeDatagram: expected non-empty printable ASCII words");
  });

  test("log form masks secrets, escapes control bytes and is cut short", () => {
    expect(describeDatagram(enc("LTC refresh secret=hunter22 x=1\n"))).toBe("LTC refresh secret=*** x=1\\x0a");
    expect(describeDatagram(enc("x".repeat(200)))).toBe(`${"x".repeat(80)}…`);
  });
});
