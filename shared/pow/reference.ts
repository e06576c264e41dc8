/**
 * @module Slow, independent implementations the tests and the benchmark compare against.
 * Not for the share path: node:crypto's scrypt refuses N >= 65536 (r = 1), and the pure-JS X11
 * is ~35x slower than C and throws for inputs whose length mod 128 is in 112..127
 * (shared/spec/hashing.md §2).
 */
import x11js from "@dashevo/x11-hash-js";
import { createHash, scryptSync } from "node:crypto";

/** scrypt(N, r = 1, p = 1), password = salt = input (BoringSSL inside Bun). N < 65536 only. */
export function scryptNodeCrypto(input: Uint8Array, n: number): Uint8Array {
  return new Uint8Array(scryptSync(input, input, 32, { N: n, r: 1, p: 1, maxmem: 256 * n + (1 << 20) }));
}

export function sha256dNodeCrypto(input: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(createHash("sha256").update(input).digest()).digest());
}

/** @dashevo/x11-hash-js (pure JS); fine for 80-byte headers. */
export function x11PureJs(input: Uint8Array): Uint8Array {
  return Uint8Array.from(x11js.digest(Array.from(input), 1, 1)); // digest() needs `this`
}
