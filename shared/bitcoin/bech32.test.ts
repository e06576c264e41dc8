import { describe, expect, test } from "bun:test";
import * as bjs from "bitcoinjs-lib";
import { bech32Decode, bech32Encode, decodeSegwitAddress, encodeSegwitAddress } from "./bech32.ts";
import { bytesToHex, concatBytes, hexToBytes } from "./bytes.ts";
import { witnessScript } from "./script.ts";
import bip350 from "./vectors/bip350.json";

describe("BIP350 Bech32m strings", () => {
  bip350.validBech32m.forEach((s, i) =>
    test(`valid ${i}: ${s}`, () => {
      const d = bech32Decode(s);
      expect(d.variant).toBe("bech32m");
      expect(bech32Encode(d.hrp, d.words, "bech32m")).toBe(s.toLowerCase());
    }),
  );
  bip350.invalidBech32m.forEach(([s, why], i) =>
    test(`invalid ${i}: ${why}`, () => {
      let variant: string | null = null;
      try {
        variant = bech32Decode(s!).variant;
      } catch (e) {
        expect(e).toBeInstanceOf(RangeError);
      }
      expect(variant === "bech32m").toBe(false);
    }),
  );
});

describe("BIP173/BIP350 segwit addresses", () => {
  bip350.validAddresses.forEach(([address, scriptHex], i) =>
    test(`valid ${i}: ${address}`, () => {
      const { hrp, version, program } = decodeSegwitAddress(address!);
      expect(bytesToHex(witnessScript(version, program))).toBe(scriptHex!);
      expect(encodeSegwitAddress(hrp, version, program)).toBe(address!.toLowerCase());
    }),
  );
  bip350.invalidAddresses.forEach(([address, why], i) =>
    test(`invalid ${i}: ${why}`, () => {
      expect(() => {
        const d = decodeSegwitAddress(address!);
        if (d.hrp !== "bc" && d.hrp !== "tb") throw new RangeError(`hrp ${d.hrp}`);
      }).toThrow(RangeError);
    }),
  );
  test("the errors say which rule failed", () => {
    expect(() => decodeSegwitAddress("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd")).toThrow(
      "decodeSegwitAddress: expected bech32m checksum for witness v1 (BIP350), got bech32",
    );
    expect(() => decodeSegwitAddress("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh")).toThrow(
      "expected bech32 checksum for witness v0 (BIP350), got bech32m",
    );
    expect(() => decodeSegwitAddress("BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P")).toThrow("bad witness program length: expected 20 or 32 bytes for v0, got 16");
    expect(() => decodeSegwitAddress("bc1pw5dgrnzv")).toThrow("bad witness program length: expected 2-40 bytes, got 1");
    expect(() => decodeSegwitAddress("tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq47Zagq")).toThrow("mixed case");
    expect(() => decodeSegwitAddress("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5")).toThrow("bad checksum");
  });
  test("bitcoinjs-lib encodes the same strings", () => {
    const prog = hexToBytes("751e76e8199196d454941c45d1b3a323f1433bd6");
    expect(encodeSegwitAddress("bc", 0, prog)).toBe(bjs.address.toBech32(prog, 0, "bc"));
    const prog32 = concatBytes(prog, prog.subarray(0, 12));
    for (const hrp of ["bc", "tb", "bcrt", "rb", "ltc", "tltc"]) expect(encodeSegwitAddress(hrp, 1, prog32)).toBe(bjs.address.toBech32(prog32, 1, hrp));
  });
});
