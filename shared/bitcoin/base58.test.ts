import { describe, expect, test } from "bun:test";
import * as bjs from "bitcoinjs-lib";
import { base58CheckDecode, base58CheckEncode, base58Decode, base58Encode } from "./base58.ts";
import { bytesToHex, hexToBytes } from "./bytes.ts";
import vectors from "./vectors/core-base58_encode_decode.json";

describe("base58 (Bitcoin Core base58_encode_decode.json)", () => {
  vectors.forEach(([hex, text], i) =>
    test(`vector ${i}: "${text}"`, () => {
      expect(base58Encode(hexToBytes(hex!))).toBe(text!);
      expect(bytesToHex(base58Decode(text!))).toBe(hex!);
    }),
  );
  test("invalid characters", () => {
    expect(() => base58Decode("1O1")).toThrow('base58Decode: expected base58 character, got "O" at 1');
    expect(() => base58Decode("abc0")).toThrow(RangeError);
  });
});

describe("base58check", () => {
  test("agrees with bitcoinjs-lib on addresses", () => {
    const hash = hexToBytes("751e76e8199196d454941c45d1b3a323f1433bd6");
    for (const version of [0x00, 0x05, 0x6f, 0xc4, 0x30, 0x32, 0x3c, 0x26]) {
      const ours = base58CheckEncode(Uint8Array.of(version, ...hash));
      expect(ours).toBe(bjs.address.toBase58Check(hash, version));
      expect(bytesToHex(base58CheckDecode(ours))).toBe(version.toString(16).padStart(2, "0") + bytesToHex(hash));
    }
  });
  test("bad checksum names both checksums", () => {
    expect(() => base58CheckDecode("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3")).toThrow(/^base58CheckDecode: bad checksum: expected [0-9a-f]{8}, got [0-9a-f]{8}$/);
  });
});
