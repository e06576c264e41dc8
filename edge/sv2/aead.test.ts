/** The native (libsodium) ChaCha20-Poly1305 against @noble/ciphers and RFC 8439 §2.8.2's vector. */
import { expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import { aead, nobleAead } from "./aead.ts";

test("RFC 8439 §2.8.2 AEAD vector, both implementations", () => {
  const key = hexToBytes("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
  const nonce = hexToBytes("070000004041424344454647");
  const ad = hexToBytes("50515253c0c1c2c3c4c5c6c7");
  const pt = new TextEncoder().encode("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.");
  for (const impl of [aead, nobleAead]) {
    const ct = impl.seal(key, nonce, ad, pt);
    expect(bytesToHex(ct.subarray(ct.length - 16))).toBe("1ae10b594f09e26a7e902ecbd0600691");
    expect(bytesToHex(ct.subarray(0, 16))).toBe("d31a8d34648e60db7b86afbc53ef7ec2");
    expect(impl.open(key, nonce, ad, ct)).toEqual(pt);
  }
});

test("the edge's implementation and noble agree on every length 0..300, and both refuse a flipped bit", () => {
  const key = crypto.getRandomValues(new Uint8Array(32));
  const nonce = crypto.getRandomValues(new Uint8Array(12));
  for (let n = 0; n <= 300; n++) {
    const pt = crypto.getRandomValues(new Uint8Array(n));
    const ad = n % 3 === 0 ? new Uint8Array(0) : crypto.getRandomValues(new Uint8Array(n % 40));
    const a = aead.seal(key, nonce, ad, pt);
    expect(bytesToHex(a)).toBe(bytesToHex(nobleAead.seal(key, nonce, ad, pt)));
    expect(aead.open(key, nonce, ad, a)).toEqual(pt);
    const bad = a.slice();
    bad[n % bad.length]! ^= 1;
    expect(aead.open(key, nonce, ad, bad)).toBeUndefined();
    expect(nobleAead.open(key, nonce, ad, bad)).toBeUndefined();
  }
  expect(aead.open(key, nonce, new Uint8Array(0), new Uint8Array(15))).toBeUndefined();
});

test("libsodium is used where the system has it", () => {
  const has = ["/usr/lib/x86_64-linux-gnu/libsodium.so.23", "/usr/lib/aarch64-linux-gnu/libsodium.so.23", "/usr/lib/libsodium.so.23"].some((f) => existsSync(f));
  expect(aead.implementation).toBe(has && process.env.SV2_AEAD !== "noble" ? "libsodium" : "noble");
});
