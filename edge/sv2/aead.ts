/**
 * @module ChaCha20-Poly1305 (IETF, RFC 8439) for the SV2 CipherStates: libsodium through bun:ffi
 * when the system has it, else @noble/ciphers.
 *
 * Why a native path: every SV2 share is two decryptions (its frame header and its payload), and on
 * 30–60-byte messages noble's per-call setup dominates (~10–30 µs a call measured here, most of the
 * edge's CPU per share); libsodium's one call is ~1 µs. Bun's node:crypto has no chacha20-poly1305.
 * libsodium (libsodium23 on Debian) is a well-kept library; when it is missing the edge says so at
 * start and uses noble. Both are checked against each other in aead.test.ts.
 */
import { dlopen, FFIType } from "bun:ffi";
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";

export interface Aead {
  readonly implementation: "libsodium" | "noble";
  /** ciphertext ‖ 16-byte tag. */
  seal(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /** The plaintext, or undefined when the tag does not verify. */
  open(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, ciphertext: Uint8Array): Uint8Array | undefined;
}

export const nobleAead: Aead = {
  implementation: "noble",
  seal: (key, nonce, ad, pt) => chacha20poly1305(key, nonce, ad).encrypt(pt),
  open(key, nonce, ad, ct) {
    try {
      return chacha20poly1305(key, nonce, ad).decrypt(ct);
    } catch {
      return undefined;
    }
  },
};

const SODIUM_NAMES = ["libsodium.so.23", "libsodium.so", "libsodium.dylib", "libsodium.23.dylib"];

function loadSodium(): Aead | undefined {
  for (const name of SODIUM_NAMES) {
    let lib;
    try {
      lib = dlopen(name, {
        sodium_init: { args: [], returns: FFIType.i32 },
        crypto_aead_chacha20poly1305_ietf_encrypt: {
          args: [FFIType.ptr, FFIType.ptr, FFIType.ptr, FFIType.u64, FFIType.ptr, FFIType.u64, FFIType.ptr, FFIType.ptr, FFIType.ptr],
          returns: FFIType.i32,
        },
        crypto_aead_chacha20poly1305_ietf_decrypt: {
          args: [FFIType.ptr, FFIType.ptr, FFIType.ptr, FFIType.ptr, FFIType.u64, FFIType.ptr, FFIType.u64, FFIType.ptr, FFIType.ptr],
          returns: FFIType.i32,
        },
      });
    } catch {
      continue;
    }
    if (lib.symbols.sodium_init() < 0) return undefined;
    const enc = lib.symbols.crypto_aead_chacha20poly1305_ietf_encrypt;
    const dec = lib.symbols.crypto_aead_chacha20poly1305_ietf_decrypt;
    // A zero-length typed array has no pointer to give: libsodium takes NULL with a zero length.
    const p = (b: Uint8Array) => (b.length === 0 ? null : b);
    return {
      implementation: "libsodium",
      seal(key, nonce, ad, pt) {
        const out = new Uint8Array(pt.length + 16);
        if (enc(out, null, p(pt), pt.length, p(ad), ad.length, null, nonce, key) !== 0) throw new Error("libsodium: chacha20poly1305 encrypt failed");
        return out;
      },
      open(key, nonce, ad, ct) {
        if (ct.length < 16) return undefined;
        // One spare byte: a 16-byte ciphertext has an empty plaintext, and the output still needs a pointer.
        const out = new Uint8Array(ct.length - 16 + 1);
        if (dec(out, null, null, ct, ct.length, p(ad), ad.length, nonce, key) !== 0) return undefined;
        return out.subarray(0, ct.length - 16);
      },
    };
  }
  return undefined;
}

/** The implementation the edge uses: libsodium if it loads, else noble (SV2_AEAD=noble forces noble). */
export const aead: Aead = (process.env.SV2_AEAD === "noble" ? undefined : loadSodium()) ?? nobleAead;
