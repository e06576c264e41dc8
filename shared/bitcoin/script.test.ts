import { describe, expect, test } from "bun:test";
import * as bjs from "bitcoinjs-lib";
import { bytesToHex, hexToBytes } from "./bytes.ts";
import {
  bip34HeightPush,
  decodeScriptNum,
  encodeScriptNum,
  opReturnScript,
  p2pkhScript,
  p2shScript,
  pushData,
  pushInt,
  readBip34Height,
  witnessScript,
} from "./script.ts";

describe("BIP34 height push (spec §16 vectors)", () => {
  const vectors: [number, string][] = [
    [0, "00"],
    [1, "51"],
    [16, "60"],
    [17, "0111"],
    [127, "017f"],
    [128, "028000"],
    [255, "02ff00"],
    [256, "020001"],
    [32767, "02ff7f"],
    [32768, "03008000"],
    [1000000, "0340420f"],
    [8388607, "03ffff7f"],
    [8388608, "0400008000"],
  ];
  for (const [height, hex] of vectors)
    test(`height ${height} -> ${hex}`, () => {
      expect(bytesToHex(bip34HeightPush(height))).toBe(hex);
      expect(readBip34Height(hexToBytes(hex + "deadbeef"))).toBe(height);
    });
  test("real coinbases: mainnet 542213 and Litecoin 900000", () => {
    expect(readBip34Height(hexToBytes("03054608174d696e6564"))).toBe(542213);
    expect(readBip34Height(hexToBytes("03a0bb0de4b883"))).toBe(900000);
  });
  test("rejects bad input", () => {
    expect(() => bip34HeightPush(-1)).toThrow(RangeError);
    expect(() => readBip34Height(new Uint8Array(0))).toThrow("readBip34Height: expected a height push, got empty scriptSig");
    expect(() => readBip34Height(hexToBytes("4c01"))).toThrow(RangeError);
    expect(() => readBip34Height(hexToBytes("0280"))).toThrow(RangeError);
  });
});

describe("script numbers", () => {
  const vectors: [number, string][] = [
    [0, ""],
    [1, "01"],
    [-1, "81"],
    [127, "7f"],
    [128, "8000"],
    [-128, "8080"],
    [255, "ff00"],
    [256, "0001"],
    [-256, "0081"],
    [2147483647, "ffffff7f"],
    [-2147483647, "ffffffff"],
    [2147483648, "0000008000"],
  ];
  for (const [n, hex] of vectors)
    test(`${n} <-> "${hex}" (and bitcoinjs-lib agrees)`, () => {
      expect(bytesToHex(encodeScriptNum(n))).toBe(hex);
      expect(decodeScriptNum(hexToBytes(hex))).toBe(BigInt(n));
      expect(bytesToHex(bjs.script.number.encode(n))).toBe(hex);
    });
  test("rejects non-minimal encodings", () => {
    expect(() => decodeScriptNum(hexToBytes("0100"))).toThrow(RangeError);
    expect(() => decodeScriptNum(hexToBytes("80"))).toThrow(RangeError);
    expect(decodeScriptNum(hexToBytes("ff00"))).toBe(255n);
  });
});

describe("pushes", () => {
  test("pushData uses the smallest length opcode (same bytes as bitcoinjs-lib's compile)", () => {
    for (const n of [0, 1, 75, 76, 255, 256, 520]) {
      const data = new Uint8Array(n).fill(0xab);
      const ours = pushData(data);
      expect(ours.length).toBe(n + (n < 76 ? 1 : n <= 255 ? 2 : 3));
      if (n > 1) expect(bytesToHex(ours)).toBe(bytesToHex(bjs.script.compile([data])));
    }
  });
  test("pushInt", () => {
    expect(bytesToHex(pushInt(0))).toBe("00");
    expect(bytesToHex(pushInt(-1))).toBe("4f");
    expect(bytesToHex(pushInt(16))).toBe("60");
    expect(bytesToHex(pushInt(17))).toBe("0111");
    expect(bytesToHex(pushInt(-2))).toBe("0182");
  });
});

describe("output scripts", () => {
  const h20 = hexToBytes("11".repeat(20));
  test("templates", () => {
    expect(bytesToHex(p2pkhScript(h20))).toBe(`76a914${"11".repeat(20)}88ac`);
    expect(bytesToHex(p2shScript(h20))).toBe(`a914${"11".repeat(20)}87`);
    expect(bytesToHex(witnessScript(0, h20))).toBe(`0014${"11".repeat(20)}`);
    expect(bytesToHex(witnessScript(1, new Uint8Array(32)))).toBe(`5120${"00".repeat(32)}`);
    expect(bytesToHex(witnessScript(16, hexToBytes("751e")))).toBe("6002751e");
    expect(bytesToHex(opReturnScript(hexToBytes("aa21a9ed")))).toBe("6a04aa21a9ed");
  });
  test("errors", () => {
    expect(() => p2pkhScript(new Uint8Array(19))).toThrow("p2pkhScript: expected 20 bytes, got 19");
    expect(() => witnessScript(0, new Uint8Array(21))).toThrow("witnessScript: expected v0 program of 20 or 32 bytes, got 21");
    expect(() => witnessScript(17, h20)).toThrow(RangeError);
  });
});
