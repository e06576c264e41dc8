/**
 * @module sha256d and hash160.
 *
 * sha256d uses `Bun.SHA256.hash(input, out)` twice into preallocated buffers: measured fastest on Bun
 * (no allocation, no FFI; see shared/spec/hashing.md). `sha256dInto` is the hot-path form, like noble's
 * `digestInto`: the caller owns `out`. hash160 (addresses only, never per share) uses Bun's ripemd160.
 */
import { assertBytes } from "./bytes.ts";

/** Scratch for the first round of sha256d. JS is single-threaded and the hash call is synchronous. */
const ROUND1 = new Uint8Array(32);

/** sha256(data) into a new 32-byte array. */
export function sha256(data: Uint8Array): Uint8Array {
  assertBytes(data, "sha256");
  const out = new Uint8Array(32);
  Bun.SHA256.hash(data, out);
  return out;
}

/** sha256(sha256(data)) into `out` (32 bytes, caller-owned); returns `out`. Allocation-free. `out` may alias `data`. */
export function sha256dInto(data: Uint8Array, out: Uint8Array): Uint8Array {
  Bun.SHA256.hash(data, ROUND1);
  Bun.SHA256.hash(ROUND1, out);
  return out;
}

/** sha256(sha256(data)) into a new 32-byte array (internal byte order). */
export function sha256d(data: Uint8Array): Uint8Array {
  assertBytes(data, "sha256d");
  return sha256dInto(data, new Uint8Array(32));
}

/** ripemd160(sha256(data)): the 20-byte hash inside P2PKH/P2SH/P2WPKH. */
export function hash160(data: Uint8Array): Uint8Array {
  assertBytes(data, "hash160");
  const hasher = new Bun.CryptoHasher("ripemd160");
  hasher.update(sha256(data));
  return new Uint8Array(hasher.digest());
}
