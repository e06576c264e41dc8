/**
 * @module Compact bits ↔ target ↔ difficulty (bigint), and the per-share "hash < target" check.
 *
 * A PoW hash is compared as a little-endian 256-bit integer (bytes.ts). Per share the edge compares
 * 32-byte little-endian buffers from the most significant byte down (`compareLE256`), against a target
 * converted once per difficulty with `targetToLE32`: no bigint per share.
 *
 * diff1 is per algorithm (shared/pow/algorithms.ts): DIFF1_SHA256D = 0xFFFF·2^208 (sha256d, x11),
 * DIFF1_SCRYPT = 0xFFFF·2^224 (scrypt family).
 */
import { DIFF1_SHA256D } from "../pow/algorithms.ts";
import { assertBytes, assertInt, bigIntToBytesLE, bytesToBigIntLE, describe } from "./bytes.ts";

const MAX_256 = (1n << 256n) - 1n;

/**
 * Compact bits → target: mantissa × 256^(exponent − 3) (Core's arith_uint256::SetCompact).
 * A set sign bit (0x00800000) with a non-zero mantissa, or a target above 2^256 − 1, is a RangeError.
 */
export function bitsToTarget(bits: number): bigint {
  assertInt(bits, "bitsToTarget", 0, 0xffffffff);
  const exponent = bits >>> 24;
  const mantissa = bits & 0x007fffff;
  if (mantissa !== 0 && bits & 0x00800000)
    throw new RangeError(`bitsToTarget: expected non-negative compact target, got 0x${bits.toString(16).padStart(8, "0")} (sign bit set)`);
  const target = exponent <= 3 ? BigInt(mantissa >>> (8 * (3 - exponent))) : BigInt(mantissa) << BigInt(8 * (exponent - 3));
  if (target > MAX_256)
    throw new RangeError(`bitsToTarget: expected target < 2^256, got overflow from 0x${bits.toString(16).padStart(8, "0")}`);
  return target;
}

/** Target → compact bits, rounding down like Core's GetCompact (mantissa's top bit is never the sign). */
export function targetToBits(target: bigint): number {
  if (typeof target !== "bigint" || target < 0n || target > MAX_256)
    throw new RangeError(`targetToBits: expected 0 <= target < 2^256, got ${describe(target)}`);
  let size = 0;
  for (let t = target; t > 0n; t >>= 8n) size++;
  let mantissa = size <= 3 ? Number(target << BigInt(8 * (3 - size))) : Number(target >> BigInt(8 * (size - 3)));
  if (mantissa & 0x00800000) {
    mantissa >>>= 8;
    size++;
  }
  return ((size << 24) | mantissa) >>> 0;
}

/**
 * A difficulty as an exact fraction num/den, read from the shortest decimal that prints it
 * (String(x)): 0.001 means exactly 1/1000 and 512.5 means 1025/2, not their binary approximations.
 */
function difficultyFraction(difficulty: number): [bigint, bigint] {
  if (typeof difficulty !== "number" || !Number.isFinite(difficulty) || difficulty <= 0)
    throw new RangeError(`difficultyToTarget: expected a finite difficulty > 0, got ${describe(difficulty)}`);
  const m = /^(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/.exec(String(difficulty));
  if (!m) throw new RangeError(`difficultyToTarget: expected a decimal number, got ${String(difficulty)}`);
  const frac = m[2] ?? "";
  const exp = Number(m[3] ?? "0") - frac.length;
  const digits = BigInt(m[1]! + frac);
  return exp >= 0 ? [digits * 10n ** BigInt(exp), 1n] : [digits, 10n ** BigInt(-exp)];
}

/** Share target = floor(diff1 / difficulty), exact for fractional difficulties (e.g. 0.001, 512.5). */
export function difficultyToTarget(difficulty: number, diff1: bigint): bigint {
  if (typeof diff1 !== "bigint" || diff1 <= 0n) throw new RangeError(`difficultyToTarget: expected diff1 > 0n, got ${describe(diff1)}`);
  const [num, den] = difficultyFraction(difficulty);
  const target = (diff1 * den) / num;
  return target > MAX_256 ? MAX_256 : target;
}

/** Difficulty of a target as a float: diff1 / target (for display, stats and vardiff). */
export function targetToDifficulty(target: bigint, diff1: bigint): number {
  if (typeof target !== "bigint" || target <= 0n) throw new RangeError(`targetToDifficulty: expected target > 0n, got ${describe(target)}`);
  // 64 extra bits keep the float's 53-bit mantissa exact for any realistic ratio.
  return Number((diff1 << 64n) / target) / 2 ** 64;
}

/** Network difficulty from compact bits (diff1 defaults to Bitcoin's). */
export function bitsToDifficulty(bits: number, diff1: bigint = DIFF1_SHA256D): number {
  return targetToDifficulty(bitsToTarget(bits), diff1);
}

/** Target → 32 little-endian bytes, the form `compareLE256` takes. Do this once per difficulty, not per share. */
export function targetToLE32(target: bigint): Uint8Array {
  return bigIntToBytesLE(target, 32);
}

/** A 32-byte hash (internal order) as the little-endian integer the pool compares. */
export function hashToBigInt(hash: Uint8Array): bigint {
  assertBytes(hash, "hashToBigInt", 32);
  return bytesToBigIntLE(hash);
}

/** Compare two 32-byte little-endian integers, most significant byte first: −1, 0 or 1. Allocation-free. */
export function compareLE256(a: Uint8Array, b: Uint8Array): number {
  for (let i = 31; i >= 0; i--) {
    const x = a[i]!;
    const y = b[i]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** Share check: hash < target (PowerPool rejects hash ≥ target as low difficulty). */
export function hashBelowTarget(hash: Uint8Array, targetLE: Uint8Array): boolean {
  return compareLE256(hash, targetLE) < 0;
}

/** Block check: hash ≤ target (Core's CheckProofOfWork). */
export function hashMeetsTarget(hash: Uint8Array, targetLE: Uint8Array): boolean {
  return compareLE256(hash, targetLE) <= 0;
}
