/**
 * @module Bech32 (BIP173) and Bech32m (BIP350), and segwit addresses on top of them.
 *
 * A string is hrp ‖ "1" ‖ data (5-bit words, charset below) ‖ 6-word checksum. The checksum is a BCH
 * code over expand(hrp) ‖ data whose polymod must equal 1 (Bech32) or 0x2bc830a3 (Bech32m).
 * Segwit addresses (BIP173 "Segwit address format", BIP350): witness version 0 uses Bech32,
 * versions 1–16 use Bech32m; program 2–40 bytes, v0 exactly 20 or 32; at most 90 characters.
 * Written here (about 100 lines) so every rejection names its reason; the bech32 package is the test oracle.
 */
import { assertBytes, assertInt, describe } from "./bytes.ts";

const CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
const CHARSET_INDEX = new Int8Array(128).fill(-1);
for (let i = 0; i < CHARSET.length; i++) CHARSET_INDEX[CHARSET.charCodeAt(i)] = i;
const GENERATOR = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];

export type Bech32Variant = "bech32" | "bech32m";
/** Final polymod constant per variant (BIP173: 1, BIP350: 0x2bc830a3). */
const CONST: Record<Bech32Variant, number> = { bech32: 1, bech32m: 0x2bc830a3 };

function polymod(values: readonly number[]): number {
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= GENERATOR[i]!;
  }
  return chk >>> 0;
}

function hrpExpand(hrp: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < hrp.length; i++) out.push(hrp.charCodeAt(i) >> 5);
  out.push(0);
  for (let i = 0; i < hrp.length; i++) out.push(hrp.charCodeAt(i) & 31);
  return out;
}

/** Encode 5-bit `words` under `hrp` with the variant's checksum. */
export function bech32Encode(hrp: string, words: readonly number[], variant: Bech32Variant): string {
  if (typeof hrp !== "string" || hrp.length < 1 || hrp.length > 83 || !/^[\x21-\x7e]+$/.test(hrp) || hrp !== hrp.toLowerCase())
    throw new RangeError(`bech32Encode: expected lowercase HRP of 1-83 printable ASCII characters, got ${describe(hrp)}`);
  words.forEach((w, i) => assertInt(w, `bech32Encode: word ${i}`, 0, 31));
  const mod = polymod([...hrpExpand(hrp), ...words, 0, 0, 0, 0, 0, 0]) ^ CONST[variant];
  let out = hrp + "1";
  for (const w of words) out += CHARSET[w]!;
  for (let i = 0; i < 6; i++) out += CHARSET[(mod >>> (5 * (5 - i))) & 31]!;
  if (out.length > 90) throw new RangeError(`bech32Encode: expected at most 90 characters, got ${out.length}`);
  return out;
}

export interface Bech32Decoded {
  readonly hrp: string;
  readonly words: number[];
  readonly variant: Bech32Variant;
}

/** Decode a Bech32 or Bech32m string (lowercased HRP); `limit` caps the length (90 for addresses). */
export function bech32Decode(text: string, limit = 90): Bech32Decoded {
  const where = "bech32Decode";
  if (typeof text !== "string") throw new TypeError(`${where}: expected string, got ${describe(text)}`);
  if (text.length > limit) throw new RangeError(`${where}: expected at most ${limit} characters, got ${text.length}`);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 33 || c > 126) throw new RangeError(`${where}: expected printable ASCII, got code ${c} at ${i}`);
  }
  const lower = text.toLowerCase();
  if (text !== lower && text !== text.toUpperCase()) throw new RangeError(`${where}: expected one case, got mixed case`);
  const sep = lower.lastIndexOf("1");
  if (sep < 0) throw new RangeError(`${where}: expected separator "1", got none`);
  if (sep === 0) throw new RangeError(`${where}: expected a human-readable part, got empty HRP`);
  if (lower.length - sep - 1 < 6) throw new RangeError(`${where}: expected 6-character checksum, got ${lower.length - sep - 1} characters`);
  const hrp = lower.slice(0, sep);
  const data: number[] = [];
  for (let i = sep + 1; i < lower.length; i++) {
    const d = CHARSET_INDEX[lower.charCodeAt(i)]!;
    if (d < 0) throw new RangeError(`${where}: expected bech32 data character, got "${lower[i]}" at ${i}`);
    data.push(d);
  }
  const mod = polymod([...hrpExpand(hrp), ...data]);
  const variant: Bech32Variant | null = mod === CONST.bech32 ? "bech32" : mod === CONST.bech32m ? "bech32m" : null;
  if (variant === null) throw new RangeError(`${where}: bad checksum for "${text}"`);
  return { hrp, words: data.slice(0, -6), variant };
}

/** Regroup bits (8→5 for encoding, 5→8 with `pad` false for decoding), per BIP173's convertbits. */
export function convertBits(data: readonly number[] | Uint8Array, from: number, to: number, pad: boolean): number[] {
  let acc = 0;
  let bits = 0;
  const out: number[] = [];
  const maxv = (1 << to) - 1;
  for (const v of data) {
    if (v < 0 || v >> from !== 0) throw new RangeError(`convertBits: expected ${from}-bit values, got ${v}`);
    acc = (acc << from) | v;
    bits += from;
    while (bits >= to) {
      bits -= to;
      out.push((acc >> bits) & maxv);
    }
  }
  if (pad) {
    if (bits > 0) out.push((acc << (to - bits)) & maxv);
  } else if (bits >= from) {
    throw new RangeError(`convertBits: expected at most ${from - 1} padding bits, got ${bits}`);
  } else if ((acc << (to - bits)) & maxv) {
    throw new RangeError("convertBits: expected zero padding, got non-zero padding bits");
  }
  return out;
}

/** Segwit address for witness `version` and `program` (Bech32 for v0, Bech32m for v1+). */
export function encodeSegwitAddress(hrp: string, version: number, program: Uint8Array): string {
  assertInt(version, "encodeSegwitAddress: version", 0, 16);
  assertBytes(program, "encodeSegwitAddress: program");
  checkProgram(version, program.length, "encodeSegwitAddress");
  return bech32Encode(hrp, [version, ...convertBits(program, 8, 5, true)], version === 0 ? "bech32" : "bech32m");
}

export interface SegwitDecoded {
  readonly hrp: string;
  readonly version: number;
  readonly program: Uint8Array;
}

/** Decode a segwit address and check it against BIP173/BIP350: variant per version, program size, padding. */
export function decodeSegwitAddress(address: string): SegwitDecoded {
  const where = "decodeSegwitAddress";
  const { hrp, words, variant } = bech32Decode(address, 90);
  const version = words[0];
  if (version === undefined) throw new RangeError(`${where}: expected a witness version, got empty data`);
  if (version > 16) throw new RangeError(`${where}: expected witness version 0-16, got ${version}`);
  const expected: Bech32Variant = version === 0 ? "bech32" : "bech32m";
  if (variant !== expected)
    throw new RangeError(`${where}: expected ${expected} checksum for witness v${version} (BIP350), got ${variant}`);
  let program: number[];
  try {
    program = convertBits(words.slice(1), 5, 8, false);
  } catch (e) {
    throw new RangeError(`${where}: bad program encoding: ${(e as Error).message}`);
  }
  checkProgram(version, program.length, where);
  return { hrp, version, program: Uint8Array.from(program) };
}

function checkProgram(version: number, length: number, where: string): void {
  if (length < 2 || length > 40) throw new RangeError(`${where}: bad witness program length: expected 2-40 bytes, got ${length}`);
  if (version === 0 && length !== 20 && length !== 32)
    throw new RangeError(`${where}: bad witness program length: expected 20 or 32 bytes for v0, got ${length}`);
}
