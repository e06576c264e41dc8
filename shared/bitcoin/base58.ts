/**
 * @module Base58 and Base58Check (Bitcoin Core's base58.cpp: alphabet without 0OIl, one leading '1'
 * per leading zero byte; Base58Check appends the first 4 bytes of sha256d(payload)).
 *
 * Written here rather than taken from bs58check: ~60 lines, addresses only (not a hot path), and the
 * errors can say exactly what is wrong. bs58/bs58check serve as the oracle in the tests.
 */
import { assertBytes, bytesToHex, concatBytes, describe, equalBytes } from "./bytes.ts";
import { sha256d } from "./hash.ts";

const ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
const INDEX = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) INDEX[ALPHABET.charCodeAt(i)] = i;

export function base58Encode(bytes: Uint8Array): string {
  assertBytes(bytes, "base58Encode");
  let zeros = 0;
  while (zeros < bytes.length && bytes[zeros] === 0) zeros++;
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  let out = "";
  while (n > 0n) {
    out = ALPHABET[Number(n % 58n)]! + out;
    n /= 58n;
  }
  return "1".repeat(zeros) + out;
}

export function base58Decode(text: string): Uint8Array {
  if (typeof text !== "string") throw new TypeError(`base58Decode: expected string, got ${describe(text)}`);
  let zeros = 0;
  while (zeros < text.length && text[zeros] === "1") zeros++;
  let n = 0n;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const d = c < 128 ? INDEX[c]! : -1;
    if (d < 0) throw new RangeError(`base58Decode: expected base58 character, got "${text[i]}" at ${i}`);
    n = n * 58n + BigInt(d);
  }
  const body: number[] = [];
  while (n > 0n) {
    body.unshift(Number(n & 0xffn));
    n >>= 8n;
  }
  return concatBytes(new Uint8Array(zeros), Uint8Array.from(body));
}

export function base58CheckEncode(payload: Uint8Array): string {
  assertBytes(payload, "base58CheckEncode");
  return base58Encode(concatBytes(payload, sha256d(payload).subarray(0, 4)));
}

/** Decode and verify the 4-byte checksum; returns the payload (version byte + data for addresses). */
export function base58CheckDecode(text: string): Uint8Array {
  const raw = base58Decode(text);
  if (raw.length < 4) throw new RangeError(`base58CheckDecode: expected >= 4 bytes, got ${raw.length}`);
  const payload = raw.subarray(0, raw.length - 4);
  const check = raw.subarray(raw.length - 4);
  const expected = sha256d(payload).subarray(0, 4);
  if (!equalBytes(check, expected))
    throw new RangeError(`base58CheckDecode: bad checksum: expected ${bytesToHex(expected)}, got ${bytesToHex(check)}`);
  return payload.slice();
}

