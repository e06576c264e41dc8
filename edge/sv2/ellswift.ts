/**
 * @module ElligatorSwift encoding of secp256k1 x coordinates and x-only ECDH, as BIP324 defines
 * them ("ElligatorSwift encoding of curve X coordinates", "Shared secret computation"); SV2's Noise
 * handshake sends its public keys this way (sv2-spec §4.3.1.1).
 *
 * Written here on @noble/curves' field arithmetic because no npm package (nor Debian's
 * libsecp256k1 0.2) ships ElligatorSwift. Checked against BIP324's test vectors
 * (test/fixtures/bip324/, edge/sv2/ellswift.test.ts). Not constant-time: the secret scalar only
 * meets noble's own (constant-time) point multiplication; the field maths here only handles
 * public values (x coordinates, encodings) and fresh randomness.
 *
 *   const { secret, ellswift } = ellswiftKeygen();           // 32-byte secret, 64-byte public key
 *   const x = ellswiftDecode(theirEllswift);                   // 32-byte x coordinate
 *   const shared = ellswiftEcdhXonly(theirEllswift, secret);   // 32-byte x of secret·their point
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { FpIsSquare } from "@noble/curves/abstract/modular.js";
import { randomBytes } from "@noble/hashes/utils.js";

const Point = secp256k1.Point;
const Fp = Point.Fp;
const N = Point.Fn.ORDER;

const bigFromBytes = (b: Uint8Array, start: number): bigint => {
  let v = 0n;
  for (let i = start; i < start + 32; i++) v = (v << 8n) | BigInt(b[i]!);
  return v;
};
const bytesFromBig = (v: bigint, out: Uint8Array, start: number): void => {
  for (let i = start + 31; i >= start; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
};

const add = (a: bigint, b: bigint) => Fp.add(a, b);
const sub = (a: bigint, b: bigint) => Fp.sub(a, b);
const mul = (a: bigint, b: bigint) => Fp.mul(a, b);
const div = (a: bigint, b: bigint) => Fp.div(a, b);
const isSquare = (a: bigint) => FpIsSquare(Fp, a);
/** The square root of a square, or undefined (noble's sqrt throws on a non-square). */
const sqrtOf = (a: bigint): bigint | undefined => (isSquare(a) ? Fp.sqrt(a) : undefined);
/** x is on secp256k1 when x³ + 7 is a square. */
const isValidX = (x: bigint) => isSquare(add(mul(mul(x, x), x), 7n));
const cube = (a: bigint) => mul(mul(a, a), a);

/** √−3 mod p, the constant both directions of the map use. */
const SQRT_MINUS_3 = Fp.sqrt(Fp.neg(3n));

/**
 * BIP324 `xswiftec(u, t)`: the x coordinate a field-element pair encodes. Every pair decodes to a
 * point (this is what makes random 64 bytes indistinguishable from a key).
 */
export function xswiftec(uIn: bigint, tIn: bigint): bigint {
  const u = uIn === 0n ? 1n : uIn;
  let t = tIn === 0n ? 1n : tIn;
  // u³ + t² + 7 = 0 would divide by zero below; BIP324 doubles t then.
  if (add(add(cube(u), mul(t, t)), 7n) === 0n) t = mul(2n, t);
  const X = div(sub(add(cube(u), 7n), mul(t, t)), mul(2n, t));
  const Y = div(add(X, t), mul(SQRT_MINUS_3, u));
  // The first of three candidates that is on the curve (BIP324 proves one of them always is).
  const x1 = add(u, mul(4n, mul(Y, Y)));
  if (isValidX(x1)) return x1;
  const x2 = div(sub(Fp.neg(div(X, Y)), u), 2n);
  if (isValidX(x2)) return x2;
  const x3 = div(sub(div(X, Y), u), 2n);
  if (isValidX(x3)) return x3;
  throw new Error("xswiftec: no candidate on the curve (unreachable for secp256k1)");
}

/**
 * BIP324 `xswiftec_inv(x, u, case)`: a t with xswiftec(u, t) = x, or undefined. The eight cases
 * pick which preimage (of up to eight) to return; the encoder tries random (u, case) pairs.
 */
export function xswiftecInv(x: bigint, u: bigint, kase: number): bigint | undefined {
  let s: bigint;
  let v: bigint;
  if ((kase & 2) === 0) {
    // x would be the first candidate of the decoder only if −x−u is not itself a valid x.
    if (isValidX(sub(Fp.neg(x), u))) return undefined;
    v = x;
    s = div(Fp.neg(add(cube(u), 7n)), add(add(mul(u, u), mul(u, v)), mul(v, v)));
  } else {
    s = sub(x, u);
    if (s === 0n) return undefined;
    const r = sqrtOf(mul(Fp.neg(s), add(mul(4n, add(cube(u), 7n)), mul(mul(3n, s), mul(u, u)))));
    if (r === undefined) return undefined;
    if ((kase & 1) !== 0 && r === 0n) return undefined;
    v = div(add(Fp.neg(u), div(r, s)), 2n);
  }
  const w = sqrtOf(s);
  if (w === undefined) return undefined;
  // u·(1 ∓ √−3)/2 + v, signed by cases bit 0 and bit 2.
  const minus = add(div(mul(u, sub(1n, SQRT_MINUS_3)), 2n), v);
  const plus = add(div(mul(u, add(1n, SQRT_MINUS_3)), 2n), v);
  switch (kase & 5) {
    case 0:
      return Fp.neg(mul(w, minus));
    case 1:
      return mul(w, plus);
    case 4:
      return mul(w, minus);
    default:
      return Fp.neg(mul(w, plus));
  }
}

/** A random 64-byte encoding (u ‖ t, big-endian) of x. */
export function xelligatorswift(x: bigint): Uint8Array {
  const out = new Uint8Array(64);
  for (;;) {
    const rnd = randomBytes(33);
    // u uniform in [1, p): 32 random bytes reduced; 0 is re-drawn (xswiftec maps it to 1 anyway).
    const u = Fp.create(bigFromBytes(rnd, 0));
    if (u === 0n) continue;
    const t = xswiftecInv(x, u, rnd[32]! & 7);
    if (t === undefined) continue;
    bytesFromBig(u, out, 0);
    bytesFromBig(t, out, 32);
    return out;
  }
}

/** The x coordinate (as a bigint) a 64-byte ElligatorSwift encoding stands for. */
export function ellswiftDecodeX(ellswift: Uint8Array): bigint {
  if (ellswift.length !== 64) throw new RangeError(`ellswiftDecode: expected 64 bytes, got ${ellswift.length}`);
  // Both halves are read modulo p, as BIP324 specifies (values ≥ p are valid encodings).
  return xswiftec(Fp.create(bigFromBytes(ellswift, 0)), Fp.create(bigFromBytes(ellswift, 32)));
}

/** The 32-byte big-endian x coordinate a 64-byte ElligatorSwift encoding stands for. */
export function ellswiftDecode(ellswift: Uint8Array): Uint8Array {
  const out = new Uint8Array(32);
  bytesFromBig(ellswiftDecodeX(ellswift), out, 0);
  return out;
}

/** A secret scalar in [1, n) as 32 bytes, and the ElligatorSwift encoding of its public key. */
export function ellswiftKeygen(): { secret: Uint8Array; ellswift: Uint8Array } {
  for (;;) {
    const secret = randomBytes(32);
    const d = bigFromBytes(secret, 0);
    if (d === 0n || d >= N) continue;
    return { secret, ellswift: ellswiftFromSecret(secret) };
  }
}

/** A fresh ElligatorSwift encoding of a secret key's public key (x only; y's sign is dropped). */
export function ellswiftFromSecret(secret: Uint8Array): Uint8Array {
  const d = scalar(secret);
  return xelligatorswift(Point.BASE.multiply(d).toAffine().x);
}

/** BIP324 `ellswift_ecdh_xonly`: x of secret·P where P is the decoded point (either y: same x). */
export function ellswiftEcdhXonly(theirEllswift: Uint8Array, secret: Uint8Array): Uint8Array {
  const x = ellswiftDecodeX(theirEllswift);
  const y = Fp.sqrt(add(cube(x), 7n)); // exists: xswiftec only returns valid x
  const shared = Point.fromAffine({ x, y }).multiply(scalar(secret)).toAffine().x;
  const out = new Uint8Array(32);
  bytesFromBig(shared, out, 0);
  return out;
}

function scalar(secret: Uint8Array): bigint {
  if (secret.length !== 32) throw new RangeError(`secp256k1 secret: expected 32 bytes, got ${secret.length}`);
  const d = bigFromBytes(secret, 0);
  if (d === 0n || d >= N) throw new RangeError("secp256k1 secret: expected a scalar in [1, n)");
  return d;
}
