/**
 * @module The edge's certificate (sv2-spec §4.5.2 SIGNATURE_NOISE_MESSAGE, §4.5.3 CERTIFICATE) and
 * the pool's authority key in its URL form (§4.7).
 *
 * The pool's authority key signs, with BIP340 Schnorr, `SHA-256(version ‖ valid_from ‖
 * not_valid_after ‖ server_public_key)` — the edge's static key as its 32-byte x coordinate. The
 * edge holds only its own static secret and the signed message; the authority secret stays with
 * the operator (`bun run sv2-keys`).
 */
import { schnorr } from "@noble/curves/secp256k1.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { base58CheckDecode, base58CheckEncode } from "../../shared/bitcoin/index.ts";
import { Reader, Writer } from "./codec.ts";
import { ellswiftDecode } from "./ellswift.ts";
import { SIGNATURE_NOISE_MESSAGE_SIZE } from "./noise.ts";

/** The certificate format version this edge writes and accepts. */
export const CERTIFICATE_VERSION = 0;
/** §4.7: the authority key's URL encoding starts with a little-endian U16 version, `[1, 0]`. */
const AUTHORITY_KEY_PREFIX = Uint8Array.of(1, 0);

export interface SignatureNoiseMessage {
  readonly version: number;
  /** Unix seconds. */
  readonly validFrom: number;
  readonly notValidAfter: number;
  /** 64-byte BIP340 signature. */
  readonly signature: Uint8Array;
}

function signedHash(version: number, validFrom: number, notValidAfter: number, serverXonly: Uint8Array): Uint8Array {
  if (serverXonly.length !== 32) throw new RangeError(`certificate: expected a 32-byte server key, got ${serverXonly.length}`);
  return sha256(new Writer(42).u16(version).u32(validFrom).u32(notValidAfter).bytes(serverXonly).view());
}

/** Signs an edge's static key (its 32-byte x coordinate) with the authority secret. */
export function signCertificate(authoritySecret: Uint8Array, serverXonly: Uint8Array, validFrom: number, notValidAfter: number): SignatureNoiseMessage {
  if (!(notValidAfter > validFrom)) throw new RangeError(`certificate: expected not_valid_after > valid_from, got ${validFrom}..${notValidAfter}`);
  const m = signedHash(CERTIFICATE_VERSION, validFrom, notValidAfter, serverXonly);
  return { version: CERTIFICATE_VERSION, validFrom, notValidAfter, signature: schnorr.sign(m, authoritySecret) };
}

export function encodeSignatureNoiseMessage(m: SignatureNoiseMessage): Uint8Array {
  return new Writer(SIGNATURE_NOISE_MESSAGE_SIZE).u16(m.version).u32(m.validFrom).u32(m.notValidAfter).bytes(m.signature).finish();
}

export function decodeSignatureNoiseMessage(b: Uint8Array): SignatureNoiseMessage {
  if (b.length !== SIGNATURE_NOISE_MESSAGE_SIZE) throw new RangeError(`SIGNATURE_NOISE_MESSAGE: expected ${SIGNATURE_NOISE_MESSAGE_SIZE} bytes, got ${b.length}`);
  const r = new Reader(b);
  return { version: r.u16(), validFrom: r.u32(), notValidAfter: r.u32(), signature: r.bytes(64).slice() };
}

/**
 * Why a certificate is not acceptable at `nowSeconds`, or undefined when it is: signed by
 * `authorityXonly` over this server key, version known, inside its validity window.
 */
export function certificateProblem(m: SignatureNoiseMessage, serverEllswift: Uint8Array, authorityXonly: Uint8Array, nowSeconds: number): string | undefined {
  if (m.version !== CERTIFICATE_VERSION) return `unknown certificate version ${m.version}`;
  if (nowSeconds < m.validFrom) return `certificate not valid before ${m.validFrom} (now ${nowSeconds})`;
  if (nowSeconds > m.notValidAfter) return `certificate expired at ${m.notValidAfter} (now ${nowSeconds})`;
  const msg = signedHash(m.version, m.validFrom, m.notValidAfter, ellswiftDecode(serverEllswift));
  if (!schnorr.verify(m.signature, msg, authorityXonly)) return "certificate signature does not verify with the authority key";
  return undefined;
}

/** §4.7: base58check of `[1, 0] ‖ x-only key`, as it appears in `stratum2+tcp://host:port/<key>`. */
export function encodeAuthorityKey(xonly: Uint8Array): string {
  if (xonly.length !== 32) throw new RangeError(`authority key: expected 32 bytes, got ${xonly.length}`);
  const b = new Uint8Array(34);
  b.set(AUTHORITY_KEY_PREFIX);
  b.set(xonly, 2);
  return base58CheckEncode(b);
}

export function decodeAuthorityKey(text: string): Uint8Array {
  const b = base58CheckDecode(text.trim());
  if (b.length !== 34 || b[0] !== AUTHORITY_KEY_PREFIX[0] || b[1] !== AUTHORITY_KEY_PREFIX[1]) {
    throw new RangeError(`authority key: expected base58check of [1, 0] and 32 key bytes, got ${b.length} bytes starting ${b[0]}, ${b[1]}`);
  }
  return b.slice(2);
}
