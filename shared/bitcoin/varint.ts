/**
 * @module CompactSize ("varint"): the length prefix of Bitcoin serialization.
 *
 * < 0xfd: 1 byte; ≤ 0xffff: 0xfd + u16 LE; ≤ 0xffffffff: 0xfe + u32 LE; else 0xff + u64 LE.
 * Decoding rejects non-minimal encodings, as Bitcoin Core's ReadCompactSize does ("non-canonical
 * ReadCompactSize()"). Values are limited to Number.MAX_SAFE_INTEGER; real lengths are far smaller.
 */
import { assertInt, readU32LE, writeU32LE } from "./bytes.ts";

/** Encoded size in bytes of `value`. */
export function varIntSize(value: number): number {
  return value < 0xfd ? 1 : value <= 0xffff ? 3 : value <= 0xffffffff ? 5 : 9;
}

/** Write `value` at `off`; returns the offset after it. The caller guarantees room (see `varIntSize`). */
export function writeVarInt(out: Uint8Array, off: number, value: number): number {
  assertInt(value, "writeVarInt", 0, Number.MAX_SAFE_INTEGER);
  if (value < 0xfd) {
    out[off] = value;
    return off + 1;
  }
  if (value <= 0xffff) {
    out[off] = 0xfd;
    out[off + 1] = value & 0xff;
    out[off + 2] = value >>> 8;
    return off + 3;
  }
  if (value <= 0xffffffff) {
    out[off] = 0xfe;
    writeU32LE(out, off + 1, value);
    return off + 5;
  }
  out[off] = 0xff;
  writeU32LE(out, off + 1, value % 0x100000000);
  writeU32LE(out, off + 5, Math.floor(value / 0x100000000));
  return off + 9;
}

/** `value` as a new CompactSize byte array. */
export function encodeVarInt(value: number): Uint8Array {
  assertInt(value, "encodeVarInt", 0, Number.MAX_SAFE_INTEGER);
  const out = new Uint8Array(varIntSize(value));
  writeVarInt(out, 0, value);
  return out;
}

/** Read a CompactSize at `off`; returns `[value, offsetAfter]`. Rejects truncation and non-minimal forms. */
export function readVarInt(buf: Uint8Array, off: number): [number, number] {
  const first = buf[off];
  if (first === undefined) throw new RangeError(`readVarInt: expected a byte at offset ${off}, got end of data (${buf.length})`);
  if (first < 0xfd) return [first, off + 1];
  const size = first === 0xfd ? 2 : first === 0xfe ? 4 : 8;
  if (off + 1 + size > buf.length)
    throw new RangeError(`readVarInt: expected ${size} more bytes at offset ${off + 1}, got ${buf.length - off - 1}`);
  let value: number;
  let min: number;
  if (size === 2) {
    value = buf[off + 1]! | (buf[off + 2]! << 8);
    min = 0xfd;
  } else if (size === 4) {
    value = readU32LE(buf, off + 1);
    min = 0x10000;
  } else {
    const hi = readU32LE(buf, off + 5);
    if (hi > 0x1fffff) throw new RangeError(`readVarInt: expected value <= 2^53-1, got high word 0x${hi.toString(16)}`);
    value = hi * 0x100000000 + readU32LE(buf, off + 1);
    min = 0x100000000;
  }
  if (value < min) throw new RangeError(`readVarInt: expected minimal encoding, got ${value} in ${size + 1} bytes`);
  return [value, off + 1 + size];
}
