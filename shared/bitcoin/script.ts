/**
 * @module Script numbers, data pushes, the BIP34 height push, and the standard output scripts.
 */
import { assertBytes, assertInt, concatBytes, describe } from "./bytes.ts";

export const OP_0 = 0x00;
export const OP_PUSHDATA1 = 0x4c;
export const OP_PUSHDATA2 = 0x4d;
export const OP_PUSHDATA4 = 0x4e;
export const OP_1NEGATE = 0x4f;
export const OP_1 = 0x51;
export const OP_16 = 0x60;
export const OP_RETURN = 0x6a;
export const OP_DUP = 0x76;
export const OP_EQUAL = 0x87;
export const OP_EQUALVERIFY = 0x88;
export const OP_HASH160 = 0xa9;
export const OP_CHECKSIG = 0xac;

/**
 * Minimal script-number encoding (CScriptNum::serialize): little-endian magnitude, with the sign in
 * the top bit of the last byte; an extra 0x00 (or 0x80 if negative) byte when that bit is taken. 0 → [].
 */
export function encodeScriptNum(value: number | bigint): Uint8Array {
  if (typeof value === "number") {
    assertInt(value, "encodeScriptNum", Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    value = BigInt(value);
  } else if (typeof value !== "bigint") throw new TypeError(`encodeScriptNum: expected integer, got ${describe(value)}`);
  if (value === 0n) return new Uint8Array(0);
  const negative = value < 0n;
  let abs = negative ? -value : value;
  const out: number[] = [];
  while (abs > 0n) {
    out.push(Number(abs & 0xffn));
    abs >>= 8n;
  }
  if (out[out.length - 1]! & 0x80) out.push(negative ? 0x80 : 0x00);
  else if (negative) out[out.length - 1]! |= 0x80;
  return Uint8Array.from(out);
}

/** Inverse of `encodeScriptNum`; rejects non-minimal encodings (BIP62 rule 4) and more than `maxBytes`. */
export function decodeScriptNum(bytes: Uint8Array, maxBytes = 8): bigint {
  assertBytes(bytes, "decodeScriptNum");
  if (bytes.length > maxBytes) throw new RangeError(`decodeScriptNum: expected <= ${maxBytes} bytes, got ${bytes.length}`);
  if (bytes.length === 0) return 0n;
  const last = bytes[bytes.length - 1]!;
  if ((last & 0x7f) === 0 && (bytes.length === 1 || (bytes[bytes.length - 2]! & 0x80) === 0))
    throw new RangeError(`decodeScriptNum: expected minimal encoding, got ${bytes.length} bytes ending 0x${last.toString(16)}`);
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(i === bytes.length - 1 ? bytes[i]! & 0x7f : bytes[i]!);
  return last & 0x80 ? -v : v;
}

/**
 * A push of `data` with the smallest length opcode: a direct push for ≤ 75 bytes, then OP_PUSHDATA1/2/4.
 * (It never turns 1-byte data into OP_1..OP_16; use `pushInt` for numbers.)
 */
export function pushData(data: Uint8Array): Uint8Array {
  assertBytes(data, "pushData");
  const n = data.length;
  const head =
    n < OP_PUSHDATA1
      ? [n]
      : n <= 0xff
        ? [OP_PUSHDATA1, n]
        : n <= 0xffff
          ? [OP_PUSHDATA2, n & 0xff, n >>> 8]
          : [OP_PUSHDATA4, n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
  return concatBytes(Uint8Array.from(head), data);
}

/** Minimal push of a number (CScript << int64): OP_0, OP_1NEGATE, OP_1..OP_16, else a script-number push. */
export function pushInt(value: number): Uint8Array {
  assertInt(value, "pushInt", Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  if (value === 0) return Uint8Array.of(OP_0);
  if (value === -1) return Uint8Array.of(OP_1NEGATE);
  if (value >= 1 && value <= 16) return Uint8Array.of(OP_1 + value - 1);
  return pushData(encodeScriptNum(value));
}

/**
 * BIP34: the coinbase scriptSig starts with the block height as a minimal push (0 → 00, 1–16 → OP_1..OP_16,
 * else length + script number, e.g. 17 → 0111, 128 → 028000, 1000000 → 0340420f).
 */
export function bip34HeightPush(height: number): Uint8Array {
  assertInt(height, "bip34HeightPush", 0, 0x7fffffff);
  return pushInt(height);
}

/** The height at the start of a coinbase scriptSig (inverse of `bip34HeightPush`). */
export function readBip34Height(scriptSig: Uint8Array): number {
  assertBytes(scriptSig, "readBip34Height");
  const op = scriptSig[0];
  if (op === undefined) throw new RangeError("readBip34Height: expected a height push, got empty scriptSig");
  if (op === OP_0) return 0;
  if (op >= OP_1 && op <= OP_16) return op - OP_1 + 1;
  if (op < 1 || op > 5) throw new RangeError(`readBip34Height: expected push of 1-5 bytes, got opcode 0x${op.toString(16)}`);
  if (scriptSig.length < 1 + op) throw new RangeError(`readBip34Height: expected ${op} pushed bytes, got ${scriptSig.length - 1}`);
  const n = decodeScriptNum(scriptSig.subarray(1, 1 + op), 5);
  if (n < 0n) throw new RangeError(`readBip34Height: expected non-negative height, got ${n}`);
  return Number(n);
}

/** P2PKH: OP_DUP OP_HASH160 <20> OP_EQUALVERIFY OP_CHECKSIG. */
export function p2pkhScript(hash160: Uint8Array): Uint8Array {
  assertBytes(hash160, "p2pkhScript", 20);
  return concatBytes(Uint8Array.of(OP_DUP, OP_HASH160, 20), hash160, Uint8Array.of(OP_EQUALVERIFY, OP_CHECKSIG));
}

/** P2SH (BIP16): OP_HASH160 <20> OP_EQUAL. */
export function p2shScript(hash160: Uint8Array): Uint8Array {
  assertBytes(hash160, "p2shScript", 20);
  return concatBytes(Uint8Array.of(OP_HASH160, 20), hash160, Uint8Array.of(OP_EQUAL));
}

/**
 * Segwit output (BIP141): OP_n <program>. v0 needs a 20-byte (P2WPKH) or 32-byte (P2WSH) program,
 * v1 with 32 bytes is P2TR (BIP341); any version 0–16 takes 2–40 bytes.
 */
export function witnessScript(version: number, program: Uint8Array): Uint8Array {
  assertInt(version, "witnessScript: version", 0, 16);
  assertBytes(program, "witnessScript: program");
  if (program.length < 2 || program.length > 40)
    throw new RangeError(`witnessScript: expected program of 2-40 bytes, got ${program.length}`);
  if (version === 0 && program.length !== 20 && program.length !== 32)
    throw new RangeError(`witnessScript: expected v0 program of 20 or 32 bytes, got ${program.length}`);
  return concatBytes(Uint8Array.of(version === 0 ? OP_0 : OP_1 + version - 1, program.length), program);
}

/** OP_RETURN <data>. */
export function opReturnScript(data: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(OP_RETURN), pushData(data));
}
