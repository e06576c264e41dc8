import { describe, expect, test } from "bun:test";
import {
  bigIntToBytesLE,
  bytesToBigIntLE,
  bytesToHex,
  bytesToRpcHex,
  hexToBytes,
  hexToBytesInto,
  readI32LE,
  readU32LE,
  readU64LE,
  rpcHexToBytes,
  stratumPrevhashHex,
  stratumPrevhashToBytes,
  u32FromHex,
  u32ToHex,
  writeU32LE,
  writeU64LE,
} from "./bytes.ts";

describe("hex", () => {
  test("round trip, either case in, lowercase out", () => {
    expect(bytesToHex(hexToBytes("00ff10AbCd"))).toBe("00ff10abcd");
    expect(bytesToHex(new Uint8Array(0))).toBe("");
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(hexToBytes(bytesToHex(all))).toEqual(all);
    expect(bytesToHex(all)).toBe(Buffer.from(all).toString("hex"));
  });
  test("errors name the place, expected and got", () => {
    expect(() => hexToBytes("abc")).toThrow("hexToBytes: expected even-length hex, got length 3");
    expect(() => hexToBytes("zz")).toThrow(RangeError);
    expect(() => hexToBytes(5 as unknown as string)).toThrow(TypeError);
  });
  test("hexToBytesInto writes at an offset and bounds-checks", () => {
    const buf = new Uint8Array(6);
    expect(hexToBytesInto("00000001", buf, 2)).toBe(6);
    expect(bytesToHex(buf)).toBe("000000000001");
    expect(() => hexToBytesInto("0102", buf, 5)).toThrow(RangeError);
  });
});

describe("byte orders", () => {
  test("RPC display hex is internal order reversed", () => {
    const genesis = "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f";
    const internal = rpcHexToBytes(genesis);
    expect(bytesToHex(internal)).toBe("6fe28c0ab6f1b372c1a6a246ae63f74f931e8365e15a089c68d6190000000000");
    expect(bytesToRpcHex(internal)).toBe(genesis);
  });
  test("spec §16: stratum prevhash = display groups of 4 bytes in reverse order", () => {
    const gbt = "00000000000000000007a1b2c3d4e5f60718293a4b5c6d7e8f90112233445566";
    const notify = "334455668f9011224b5c6d7e0718293ac3d4e5f60007a1b20000000000000000";
    expect(stratumPrevhashHex(gbt)).toBe(notify);
    expect(stratumPrevhashToBytes(notify)).toEqual(rpcHexToBytes(gbt));
  });
  test("stratum u32 fields are big-endian hex", () => {
    expect(u32FromHex("20000000")).toBe(0x20000000);
    expect(u32FromHex("FFFFFFFF")).toBe(0xffffffff);
    expect(u32ToHex(0x20000000)).toBe("20000000");
    expect(u32ToHex(-1)).toBe("ffffffff");
    expect(u32ToHex(0x1a0ffff0)).toBe("1a0ffff0");
    expect(() => u32FromHex("1234567")).toThrow("u32FromHex: expected 8 hex digits");
    expect(() => u32FromHex("1234567g")).toThrow(RangeError);
  });
  test("little-endian integers", () => {
    const b = new Uint8Array(8);
    writeU32LE(b, 0, 0xdeadbeef);
    expect(bytesToHex(b.subarray(0, 4))).toBe("efbeadde");
    expect(readU32LE(b, 0)).toBe(0xdeadbeef);
    expect(readI32LE(b, 0)).toBe(0xdeadbeef | 0);
    writeU64LE(b, 0, 2500000000n);
    expect(bytesToHex(b)).toBe("00f9029500000000");
    expect(readU64LE(b, 0)).toBe(2500000000n);
    writeU64LE(b, 0, 0x7fffffffffffffffn);
    expect(readU64LE(b, 0)).toBe(0x7fffffffffffffffn);
  });
  test("bigint <-> little-endian bytes", () => {
    expect(bytesToBigIntLE(hexToBytes("0100"))).toBe(1n);
    expect(bytesToHex(bigIntToBytesLE(0x1234n, 4))).toBe("34120000");
    expect(() => bigIntToBytesLE(1n << 32n, 4)).toThrow(RangeError);
  });
});
