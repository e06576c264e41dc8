/**
 * @module The SV2 Noise handshake, `Noise_NX_Secp256k1+EllSwift_ChaChaPoly_SHA256`, exactly as
 * sv2-spec §4.4–4.5 describes it, and the two CipherStates it yields (§4.4.1).
 *
 *   initiator (miner)                     responder (edge)
 *   -> e                     64 bytes
 *                            <- e, ee, s, es, SIGNATURE_NOISE_MESSAGE   64 + 80 + 90 = 234 bytes
 *   both: (c1, c2) = HKDF(ck, "") — c1 encrypts initiator→responder, c2 the other way.
 *
 * The responder's static key is vouched for by the pool's authority key through the certificate
 * (certificate.ts); the initiator checks it. Primitives are @noble's (sha256, hmac/hkdf,
 * chacha20poly1305); the ECDH is ellswift.ts's.
 */
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { aead } from "./aead.ts";
import { ellswiftEcdhXonly, ellswiftKeygen } from "./ellswift.ts";

export const PROTOCOL_NAME = "Noise_NX_Secp256k1+EllSwift_ChaChaPoly_SHA256";
export const ELLSWIFT_SIZE = 64;
export const MAC_SIZE = 16;
export const SIGNATURE_NOISE_MESSAGE_SIZE = 74;
/** -> e */
export const ACT1_SIZE = ELLSWIFT_SIZE;
/** <- e, ee, s, es, SIGNATURE_NOISE_MESSAGE */
export const ACT2_SIZE = ELLSWIFT_SIZE + ELLSWIFT_SIZE + MAC_SIZE + SIGNATURE_NOISE_MESSAGE_SIZE + MAC_SIZE;

export class NoiseError extends Error {
  override readonly name = "NoiseError";
}

const EMPTY = new Uint8Array(0);
const ECDH_TAG = sha256(new TextEncoder().encode("bip324_ellswift_xonly_ecdh"));

/**
 * BIP324 `v2_ecdh`: the x-only ECDH result hashed with both encodings, initiator's first
 * (sv2-spec §4.4.2 "ECDH"): not symmetric in roles, hence the flag.
 */
export function v2Ecdh(secret: Uint8Array, ourEllswift: Uint8Array, theirEllswift: Uint8Array, initiator: boolean): Uint8Array {
  const x = ellswiftEcdhXonly(theirEllswift, secret);
  const h = sha256.create().update(ECDH_TAG).update(ECDH_TAG);
  if (initiator) h.update(ourEllswift).update(theirEllswift);
  else h.update(theirEllswift).update(ourEllswift);
  return h.update(x).digest();
}

/** HKDF with zero-length info and two outputs (§4.4.2): RFC 5869 with the chaining key as salt. */
function hkdf2(chainingKey: Uint8Array, ikm: Uint8Array): [Uint8Array, Uint8Array] {
  const okm = hkdf(sha256, ikm, chainingKey, EMPTY, 64);
  return [okm.slice(0, 32), okm.slice(32, 64)];
}

/**
 * §4.4.1: a key and a 64-bit nonce, little-endian after 32 zero bits. A failed decryption does not
 * advance the nonce and throws; the transport then closes the connection.
 */
export class CipherState {
  private key: Uint8Array | undefined;
  /** Below 2^53: at a million messages a second that is 285 years of one connection. */
  private n = 0;
  private readonly nonce = new Uint8Array(12);

  constructor(key?: Uint8Array) {
    if (key) this.initializeKey(key);
  }

  initializeKey(key: Uint8Array): void {
    this.key = key;
    this.n = 0;
  }

  get hasKey(): boolean {
    return this.key !== undefined;
  }

  /** The nonce the next operation uses (tests). */
  get counter(): number {
    return this.n;
  }

  private nextNonce(): Uint8Array {
    const n = this.n;
    const b = this.nonce;
    // bytes 0..3 stay zero; 4..11 the counter, little-endian (the Noise convention).
    b[4] = n;
    b[5] = n >>> 8;
    b[6] = n >>> 16;
    b[7] = n >>> 24;
    const hi = Math.floor(n / 0x1_0000_0000);
    b[8] = hi;
    b[9] = hi >>> 8;
    b[10] = hi >>> 16;
    b[11] = hi >>> 24;
    return b;
  }

  encryptWithAd(ad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    if (!this.key) return plaintext;
    const out = aead.seal(this.key, this.nextNonce(), ad, plaintext);
    this.n++;
    return out;
  }

  decryptWithAd(ad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
    if (!this.key) return ciphertext;
    const out = aead.open(this.key, this.nextNonce(), ad, ciphertext);
    if (out === undefined) throw new NoiseError("authentication tag mismatch");
    this.n++;
    return out;
  }
}

/** The handshake's running hash `h`, chaining key `ck` and the CipherState of the handshake (§4.4.2). */
class SymmetricState {
  h: Uint8Array;
  ck: Uint8Array;
  readonly cipher = new CipherState();

  constructor() {
    // The protocol name is longer than 32 bytes, so it is hashed (§4.5.1): ck = h = HASH(name), then h = HASH(h).
    const name = sha256(new TextEncoder().encode(PROTOCOL_NAME));
    this.ck = name;
    this.h = sha256(name);
  }

  mixHash(data: Uint8Array): void {
    this.h = sha256.create().update(this.h).update(data).digest();
  }

  mixKey(ikm: Uint8Array): void {
    const [ck, k] = hkdf2(this.ck, ikm);
    this.ck = ck;
    this.cipher.initializeKey(k);
  }

  encryptAndHash(plaintext: Uint8Array): Uint8Array {
    const ct = this.cipher.encryptWithAd(this.h, plaintext);
    this.mixHash(ct);
    return ct;
  }

  decryptAndHash(ciphertext: Uint8Array): Uint8Array {
    const pt = this.cipher.decryptWithAd(this.h, ciphertext);
    this.mixHash(ciphertext);
    return pt;
  }

  /** The transport CipherStates: (initiator→responder, responder→initiator). */
  split(): { c1: CipherState; c2: CipherState } {
    const [k1, k2] = hkdf2(this.ck, EMPTY);
    return { c1: new CipherState(k1), c2: new CipherState(k2) };
  }
}

/** A responder's static key: its secret and the 64-byte ElligatorSwift encoding of its public key. */
export interface StaticKey {
  readonly secret: Uint8Array;
  readonly ellswift: Uint8Array;
}

export interface TransportKeys {
  /** Encrypts what this side sends. */
  readonly send: CipherState;
  /** Decrypts what this side receives. */
  readonly recv: CipherState;
}

/**
 * The responder (the edge): reads act 1, writes act 2 (§4.5.1.2, §4.5.2.1). `signatureNoiseMessage`
 * is the 74 bytes of the certificate's SIGNATURE_NOISE_MESSAGE (certificate.ts).
 */
export function respond(act1: Uint8Array, s: StaticKey, signatureNoiseMessage: Uint8Array): { act2: Uint8Array; keys: TransportKeys } {
  if (act1.length !== ACT1_SIZE) throw new NoiseError(`handshake act 1: expected ${ACT1_SIZE} bytes, got ${act1.length}`);
  if (signatureNoiseMessage.length !== SIGNATURE_NOISE_MESSAGE_SIZE) throw new RangeError(`SIGNATURE_NOISE_MESSAGE: expected ${SIGNATURE_NOISE_MESSAGE_SIZE} bytes`);
  const st = new SymmetricState();
  const re = act1.slice();
  st.mixHash(re);
  st.decryptAndHash(EMPTY);

  const e = ellswiftKeygen();
  const out = new Uint8Array(ACT2_SIZE);
  out.set(e.ellswift, 0);
  st.mixHash(e.ellswift);
  st.mixKey(v2Ecdh(e.secret, e.ellswift, re, false));
  out.set(st.encryptAndHash(s.ellswift), ELLSWIFT_SIZE);
  st.mixKey(v2Ecdh(s.secret, s.ellswift, re, false));
  out.set(st.encryptAndHash(signatureNoiseMessage), ELLSWIFT_SIZE + ELLSWIFT_SIZE + MAC_SIZE);
  const { c1, c2 } = st.split();
  return { act2: out, keys: { send: c2, recv: c1 } };
}

/** The initiator's state between its two acts. */
export interface Initiator {
  /** The 64 bytes to send first. */
  readonly act1: Uint8Array;
  /**
   * Reads act 2: the responder's static key (64-byte ElligatorSwift) and its SIGNATURE_NOISE_MESSAGE,
   * and the transport keys. The caller must still check the certificate (certificate.ts).
   */
  finish(act2: Uint8Array): { remoteStatic: Uint8Array; signatureNoiseMessage: Uint8Array; keys: TransportKeys };
}

/** The initiator (a miner; the edge's tests and benchmark use it): act 1 now, act 2 when it arrives (§4.5.1.1, §4.5.2.2). */
export function initiate(): Initiator {
  const st = new SymmetricState();
  const e = ellswiftKeygen();
  st.mixHash(e.ellswift);
  st.encryptAndHash(EMPTY);
  return {
    act1: e.ellswift,
    finish(act2) {
      if (act2.length !== ACT2_SIZE) throw new NoiseError(`handshake act 2: expected ${ACT2_SIZE} bytes, got ${act2.length}`);
      const re = act2.slice(0, ELLSWIFT_SIZE);
      st.mixHash(re);
      st.mixKey(v2Ecdh(e.secret, e.ellswift, re, true));
      const rs = st.decryptAndHash(act2.subarray(ELLSWIFT_SIZE, ELLSWIFT_SIZE * 2 + MAC_SIZE));
      st.mixKey(v2Ecdh(e.secret, e.ellswift, rs, true));
      const sig = st.decryptAndHash(act2.subarray(ELLSWIFT_SIZE * 2 + MAC_SIZE));
      const { c1, c2 } = st.split();
      return { remoteStatic: rs, signatureNoiseMessage: sig, keys: { send: c1, recv: c2 } };
    },
  };
}
