import { describe, expect, test } from "bun:test";
import { bytesToHex, hexToBytes } from "./bytes.ts";
import { encodeVarInt, readVarInt, varIntSize } from "./varint.ts";

describe("CompactSize", () => {
  const cases: [number, string][] = [
    [0, "00"],
    [0xfc, "fc"],
    [0xfd, "fdfd00"],
    [0xffff, "fdffff"],
    [0x10000, "fe00000100"],
    [0xffffffff, "feffffffff"],
    [0x100000000, "ff0000000001000000"],
    [Number.MAX_SAFE_INTEGER, "ffffffffffffff1f00"],
  ];
  for (const [n, hex] of cases)
    test(`${n} <-> ${hex}`, () => {
      expect(bytesToHex(encodeVarInt(n))).toBe(hex);
      expect(varIntSize(n)).toBe(hex.length / 2);
      expect(readVarInt(hexToBytes(hex), 0)).toEqual([n, hex.length / 2]);
    });
  test("rejects non-minimal encodings (as Core's ReadCompactSize)", () => {
    expect(() => readVarInt(hexToBytes("fdfc00"), 0)).toThrow("readVarInt: expected minimal encoding, got 252 in 3 bytes");
    expect(() => readVarInt(hexToBytes("feffff0000"), 0)).toThrow(RangeError);
    expect(() => readVarInt(hexToBytes("ffffffffff00000000"), 0)).toThrow(RangeError);
  });
  test("rejects truncation, negatives and non-integers", () => {
    expect(() => readVarInt(hexToBytes("fd00"), 0)).toThrow("readVarInt: expected 2 more bytes at offset 1, got 1");
    expect(() => readVarInt(new Uint8Array(0), 0)).toThrow(RangeError);
    expect(() => encodeVarInt(-1)).toThrow(RangeError);
    expect(() => encodeVarInt(1.5)).toThrow(TypeError);
  });
});
