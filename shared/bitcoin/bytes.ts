/**
 * @module Bytes, hex and every byte-order convention, written down once.
 *
 * Inside the pool, bytes are `Uint8Array`. Hex appears only at the RPC and stratum boundary, in
 * names ending `Hex`. All byte-order flips live in this file; nothing else reverses bytes.
 *
 * | what | in memory (`Uint8Array`) | at the boundary |
 * | --- | --- | --- |
 * | hashes (txid, wtxid, block hash, merkle root, branch entries) | **internal** order: the bytes sha256d outputs and the bytes serialized on the wire | RPC/explorers show them **reversed** ("display" order): `…RpcHex` below |
 * | GBT `previousblockhash` | internal | RPC: display hex → `rpcHexToBytes` |
 * | stratum `mining.notify` prevhash | internal | internal bytes with each 4-byte word reversed, i.e. the display hex's eight 4-byte groups in reverse order: `stratumPrevhashHex` / `stratumPrevhashToBytes` |
 * | stratum merkle branch entries, coinb1/coinb2, extranonce1/2 | internal / raw | plain hex of the same bytes, no flip |
 * | header version, nbits, ntime, nonce | uint32 (version int32), written LE in the header | stratum: 8 hex digits, big-endian number (`u32FromHex`, `u32ToHex`); GBT `bits` is the same BE hex |
 * | PoW hash vs target | 32 bytes internal order, read as a **little-endian** 256-bit integer | GBT `target` and display hashes are big-endian hex |
 * | tx output value | bigint satoshis, written as int64 LE | |
 *
 * Errors follow "where: expected X, got Y" (TypeError for a wrong type, RangeError for a bad value).
 */

const HEX_CHARS = "0123456789abcdef";
/** Byte → two lowercase hex digits, built once so encoding is a table lookup. */
const BYTE_TO_HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => HEX_CHARS[i >> 4]! + HEX_CHARS[i & 15]!);

/** Check that `value` is a Uint8Array (optionally of exact `length`). Mirrors noble's `abytes`. */
export function assertBytes(value: unknown, where: string, length?: number): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${where}: expected Uint8Array, got ${describe(value)}`);
  if (length !== undefined && value.length !== length)
    throw new RangeError(`${where}: expected ${length} bytes, got ${value.length}`);
}

/** Check that `value` is an integer in [min, max]. */
export function assertInt(value: unknown, where: string, min: number, max: number): asserts value is number {
  if (typeof value !== "number" || !Number.isInteger(value))
    throw new TypeError(`${where}: expected integer, got ${describe(value)}`);
  if (value < min || value > max) throw new RangeError(`${where}: expected integer in [${min}, ${max}], got ${value}`);
}

/** Short description of a value for error messages. */
export function describe(value: unknown): string {
  if (value instanceof Uint8Array) return `Uint8Array(${value.length})`;
  if (typeof value === "string") return value.length > 40 ? `string "${value.slice(0, 40)}…"` : `string "${value}"`;
  if (value === null) return "null";
  if (Array.isArray(value)) return `array(${value.length})`;
  return `${typeof value} ${String(value)}`;
}

/** Value of one hex digit's char code (either case), or -1. */
export function hexNibble(code: number): number {
  if (code >= 48 && code <= 57) return code - 48; // 0-9
  if (code >= 97 && code <= 102) return code - 87; // a-f
  if (code >= 65 && code <= 70) return code - 55; // A-F
  return -1;
}

/** Bytes → lowercase hex. */
export function bytesToHex(bytes: Uint8Array): string {
  assertBytes(bytes, "bytesToHex");
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += BYTE_TO_HEX[bytes[i]!]!;
  return out;
}

/** Hex (either case, even length) → new bytes. */
export function hexToBytes(hex: string): Uint8Array {
  if (typeof hex !== "string") throw new TypeError(`hexToBytes: expected hex string, got ${describe(hex)}`);
  if (hex.length % 2 !== 0) throw new RangeError(`hexToBytes: expected even-length hex, got length ${hex.length}`);
  const out = new Uint8Array(hex.length / 2);
  hexToBytesInto(hex, out, 0);
  return out;
}

/**
 * Decode hex into `out` at `offset` without allocating; returns the offset after the last byte.
 * Hot path: extranonce2 of every share is written into the job's coinbase buffer this way.
 */
export function hexToBytesInto(hex: string, out: Uint8Array, offset: number): number {
  const n = hex.length >> 1;
  if (hex.length !== n * 2) throw new RangeError(`hexToBytesInto: expected even-length hex, got length ${hex.length}`);
  if (offset < 0 || offset + n > out.length)
    throw new RangeError(`hexToBytesInto: expected ${n} bytes to fit at offset ${offset}, got buffer of ${out.length}`);
  for (let i = 0; i < n; i++) {
    const hi = hexNibble(hex.charCodeAt(2 * i));
    const lo = hexNibble(hex.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) throw new RangeError(`hexToBytesInto: expected hex digits, got "${hex.slice(2 * i, 2 * i + 2)}" at ${2 * i}`);
    out[offset + i] = (hi << 4) | lo;
  }
  return offset + n;
}

/** New array with the bytes in reverse order. */
export function reverseBytes(bytes: Uint8Array): Uint8Array {
  assertBytes(bytes, "reverseBytes");
  return bytes.slice().reverse();
}

/** RPC/display hex (txid, block hash, previousblockhash) → internal-order bytes. */
export function rpcHexToBytes(hex: string): Uint8Array {
  return hexToBytes(hex).reverse();
}

/** Internal-order bytes → RPC/display hex, as bitcoind and explorers print hashes. */
export function bytesToRpcHex(bytes: Uint8Array): string {
  return bytesToHex(reverseBytes(bytes));
}

/** Copy of 32 bytes with each 4-byte word reversed: the stratum prevhash transform (its own inverse). */
function swapWords32(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i += 4) {
    out[i] = bytes[i + 3]!;
    out[i + 1] = bytes[i + 2]!;
    out[i + 2] = bytes[i + 1]!;
    out[i + 3] = bytes[i]!;
  }
  return out;
}

/**
 * GBT `previousblockhash` (display hex) → the `mining.notify` prevhash field: the eight 4-byte groups of
 * the display hex in reverse order, bytes inside each group unchanged (= internal bytes, each word reversed).
 */
export function stratumPrevhashHex(previousblockhashRpcHex: string): string {
  const internal = rpcHexToBytes(previousblockhashRpcHex);
  assertBytes(internal, "stratumPrevhashHex: previousblockhash", 32);
  return bytesToHex(swapWords32(internal));
}

/** `mining.notify` prevhash hex → internal-order bytes for the header. Inverse of `stratumPrevhashHex`. */
export function stratumPrevhashToBytes(stratumHex: string): Uint8Array {
  const raw = hexToBytes(stratumHex);
  assertBytes(raw, "stratumPrevhashToBytes", 32);
  return swapWords32(raw);
}

/** Stratum/GBT 8-digit big-endian hex (version, nbits, ntime, nonce) → uint32. */
export function u32FromHex(hex: string): number {
  if (typeof hex !== "string" || hex.length !== 8)
    throw new RangeError(`u32FromHex: expected 8 hex digits, got ${describe(hex)}`);
  let v = 0;
  for (let i = 0; i < 8; i++) {
    const d = hexNibble(hex.charCodeAt(i));
    if (d < 0) throw new RangeError(`u32FromHex: expected hex digits, got "${hex}"`);
    v = v * 16 + d;
  }
  return v;
}

/** uint32 (or int32, e.g. a block version) → 8-digit big-endian hex, as stratum sends it. */
export function u32ToHex(value: number): string {
  assertInt(value, "u32ToHex", -0x80000000, 0xffffffff);
  return (value >>> 0).toString(16).padStart(8, "0");
}

export function readU32LE(b: Uint8Array, off: number): number {
  return (b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16) | (b[off + 3]! << 24)) >>> 0;
}

export function readI32LE(b: Uint8Array, off: number): number {
  return b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16) | (b[off + 3]! << 24);
}

/** Write the low 32 bits of `value` (uint32 or int32) little-endian. */
export function writeU32LE(b: Uint8Array, off: number, value: number): void {
  b[off] = value & 0xff;
  b[off + 1] = (value >>> 8) & 0xff;
  b[off + 2] = (value >>> 16) & 0xff;
  b[off + 3] = (value >>> 24) & 0xff;
}

export function readU64LE(b: Uint8Array, off: number): bigint {
  return (BigInt(readU32LE(b, off + 4)) << 32n) | BigInt(readU32LE(b, off));
}

export function writeU64LE(b: Uint8Array, off: number, value: bigint): void {
  writeU32LE(b, off, Number(value & 0xffffffffn));
  writeU32LE(b, off + 4, Number((value >> 32n) & 0xffffffffn));
}

/** Bytes read as a little-endian unsigned integer (a PoW hash as the pool compares it). */
export function bytesToBigIntLE(bytes: Uint8Array): bigint {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  return v;
}

/** Unsigned integer → `length` little-endian bytes. */
export function bigIntToBytesLE(value: bigint, length: number): Uint8Array {
  if (value < 0n || value >> BigInt(8 * length) !== 0n)
    throw new RangeError(`bigIntToBytesLE: expected 0 <= value < 2^${8 * length}, got ${value}`);
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++, value >>= 8n) out[i] = Number(value & 0xffn);
  return out;
}

export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
