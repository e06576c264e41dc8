import { describe, expect, test } from "bun:test";
import * as bjs from "bitcoinjs-lib";
import { DIFF1_SCRYPT, DIFF1_SHA256D } from "../pow/algorithms.ts";
import { bytesToBigIntLE, bytesToHex, hexToBytes } from "./bytes.ts";
import {
  bitsToDifficulty,
  bitsToTarget,
  compareLE256,
  difficultyToTarget,
  hashBelowTarget,
  hashMeetsTarget,
  targetToBits,
  targetToDifficulty,
  targetToLE32,
} from "./target.ts";
import targets from "./vectors/bitcoinjs-targets.json";

const hex64 = (n: bigint) => n.toString(16).padStart(64, "0");

describe("compact bits → target (bitcoinjs-lib fixture)", () => {
  for (const { bits, expected } of targets)
    test(`${bits}`, () => {
      const n = parseInt(bits, 16);
      if (n & 0x00800000) {
        // bitcoinjs-lib drops the sign bit; Core treats it as negative (invalid for PoW). We refuse it.
        expect(() => bitsToTarget(n)).toThrow("sign bit set");
        expect(bytesToHex(bjs.Block.calculateTarget(n))).toBe(expected);
        return;
      }
      expect(hex64(bitsToTarget(n))).toBe(expected);
      expect(hex64(bitsToTarget(n))).toBe(bytesToHex(bjs.Block.calculateTarget(n)));
    });
  test("tiny exponents shift right; overflow is an error", () => {
    expect(bitsToTarget(0x01123456)).toBe(0x12n);
    expect(bitsToTarget(0x02123456)).toBe(0x1234n);
    expect(bitsToTarget(0x03123456)).toBe(0x123456n);
    expect(bitsToTarget(0x00000000)).toBe(0n);
    expect(() => bitsToTarget(0x23000001)).toThrow("bitsToTarget: expected target < 2^256, got overflow from 0x23000001");
    expect(bitsToTarget(0x22000001)).toBe(1n << 248n);
  });
});

describe("target → compact bits (Core GetCompact)", () => {
  test("round trips real bits", () => {
    for (const b of [0x1d00ffff, 0x1b0404cb, 0x1814dd04, 0x207fffff, 0x172819a1, 0x1b014ec5, 0x1a0ffff0])
      expect(targetToBits(bitsToTarget(b))).toBe(b);
  });
  test("normalises: mantissa never has the sign bit", () => {
    expect(targetToBits(0x80n)).toBe(0x02008000);
    expect(targetToBits(0n)).toBe(0);
    expect(targetToBits(DIFF1_SCRYPT)).toBe(0x1f00ffff);
    expect(targetToBits(bitsToTarget(0x1e0ffff0))).toBe(0x1e0ffff0);
    expect(targetToBits((1n << 256n) - 1n)).toBe(0x2100ffff);
  });
});

describe("difficulty", () => {
  test("spec §16: scrypt share target at difficulty 128", () => {
    const t = difficultyToTarget(128, DIFF1_SCRYPT);
    expect(hex64(t)).toBe("000001fffe000000000000000000000000000000000000000000000000000000");
    expect(t).toBe(0x1fffen << 216n);
  });
  test("fractional difficulties are exact decimals", () => {
    expect(difficultyToTarget(0.001, DIFF1_SHA256D)).toBe(DIFF1_SHA256D * 1000n);
    expect(difficultyToTarget(512.5, DIFF1_SHA256D)).toBe((DIFF1_SHA256D * 2n) / 1025n);
    expect(difficultyToTarget(1e-7, DIFF1_SHA256D)).toBe(DIFF1_SHA256D * 10000000n);
    expect(difficultyToTarget(1.5e21, DIFF1_SHA256D)).toBe(DIFF1_SHA256D / 1500000000000000000000n);
    expect(difficultyToTarget(1, DIFF1_SCRYPT)).toBe(DIFF1_SCRYPT);
  });
  test("very easy difficulties clamp at 2^256 - 1; bad difficulties are errors", () => {
    expect(difficultyToTarget(1e-9, DIFF1_SCRYPT)).toBe((1n << 256n) - 1n);
    expect(() => difficultyToTarget(0, DIFF1_SHA256D)).toThrow("difficultyToTarget: expected a finite difficulty > 0, got number 0");
    expect(() => difficultyToTarget(NaN, DIFF1_SHA256D)).toThrow(RangeError);
    expect(() => difficultyToTarget(-1, DIFF1_SHA256D)).toThrow(RangeError);
  });
  test("target → difficulty (float)", () => {
    expect(targetToDifficulty(DIFF1_SHA256D, DIFF1_SHA256D)).toBe(1);
    expect(targetToDifficulty(difficultyToTarget(512.5, DIFF1_SCRYPT), DIFF1_SCRYPT)).toBeCloseTo(512.5, 9);
    expect(bitsToDifficulty(0x1814dd04)).toBeCloseTo(Number(DIFF1_SHA256D) / Number(0x14dd04n << 168n), 3);
    expect(bitsToDifficulty(0x1b0404cb)).toBeCloseTo(16307.420938523983, 6);
    expect(() => targetToDifficulty(0n, DIFF1_SHA256D)).toThrow(RangeError);
  });
});

describe("hash vs target on 32-byte little-endian buffers", () => {
  test("compareLE256 agrees with bigint comparison", () => {
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff;
    for (let i = 0; i < 500; i++) {
      const a = Uint8Array.from({ length: 32 }, rand);
      const b = a.slice();
      b[rand() & 31] = rand(); // often equal high bytes, differing low ones
      const x = bytesToBigIntLE(a);
      const y = bytesToBigIntLE(b);
      expect(compareLE256(a, b)).toBe(x < y ? -1 : x > y ? 1 : 0);
    }
  });
  test("share uses <, block uses <=", () => {
    const t = targetToLE32(0x1fffen << 216n);
    expect(hashBelowTarget(t, t)).toBe(false);
    expect(hashMeetsTarget(t, t)).toBe(true);
    const below = targetToLE32((0x1fffen << 216n) - 1n);
    expect(hashBelowTarget(below, t)).toBe(true);
    expect(hashBelowTarget(hexToBytes("00".repeat(31) + "01"), t)).toBe(false);
  });
});
