/**
 * ElligatorSwift against BIP324's own vectors (bitcoin/bips, bip-0324/*.csv, kept verbatim in
 * test/fixtures/bip324/): decoding, every case of the inverse map, x-only ECDH and the
 * role-ordered shared secret SV2's Noise ECDH uses.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { ellswiftDecode, ellswiftEcdhXonly, ellswiftFromSecret, ellswiftKeygen, xswiftec, xswiftecInv } from "./ellswift.ts";
import { v2Ecdh } from "./noise.ts";

function csv(name: string): Record<string, string>[] {
  const [head, ...rows] = readFileSync(new URL(`../../test/fixtures/bip324/${name}`, import.meta.url), "utf8").trim().split("\n");
  const keys = head!.split(",");
  return rows.map((r) => Object.fromEntries(r.split(",").map((v, i) => [keys[i]!, v])));
}
const big = (hex: string) => BigInt(`0x${hex}`);
const hex32 = (v: bigint) => v.toString(16).padStart(64, "0");

describe("BIP324 ellswift_decode_test_vectors.csv", () => {
  const rows = csv("ellswift_decode_test_vectors.csv");
  test("has the vectors", () => expect(rows.length).toBe(76));
  for (const [i, row] of rows.entries()) {
    test(`decode #${i}: ${row.comment}`, () => {
      expect(bytesToHex(ellswiftDecode(hexToBytes(row.ellswift!)))).toBe(row.x!);
    });
  }
});

describe("BIP324 xswiftec_inv_test_vectors.csv", () => {
  const rows = csv("xswiftec_inv_test_vectors.csv");
  test("has the vectors", () => expect(rows.length).toBe(32));
  for (const [i, row] of rows.entries()) {
    test(`inverse #${i}, all eight cases`, () => {
      const u = big(row.u!);
      const x = big(row.x!);
      for (let c = 0; c < 8; c++) {
        const t = xswiftecInv(x, u, c);
        const want = row[`case${c}_t`]!;
        if (want === "") expect(t).toBeUndefined();
        else {
          expect(t === undefined ? "none" : hex32(t)).toBe(want);
          expect(xswiftec(u, t!)).toBe(x);
        }
      }
    });
  }
});

describe("BIP324 packet_encoding_test_vectors.csv (ECDH part)", () => {
  const rows = csv("packet_encoding_test_vectors.csv");
  test("has the vectors", () => expect(rows.length).toBe(7));
  for (const [i, row] of rows.entries()) {
    test(`ecdh #${i}`, () => {
      const priv = hexToBytes(row.in_priv_ours!);
      const ours = hexToBytes(row.in_ellswift_ours!);
      const theirs = hexToBytes(row.in_ellswift_theirs!);
      expect(bytesToHex(secp256k1.getPublicKey(priv, true).subarray(1))).toBe(row.mid_x_ours!);
      expect(bytesToHex(ellswiftDecode(ours))).toBe(row.mid_x_ours!);
      expect(bytesToHex(ellswiftDecode(theirs))).toBe(row.mid_x_theirs!);
      expect(bytesToHex(ellswiftEcdhXonly(theirs, priv))).toBe(row.mid_x_shared!);
      expect(bytesToHex(v2Ecdh(priv, ours, theirs, row.in_initiating === "1"))).toBe(row.mid_shared_secret!);
    });
  }
});

test("a fresh encoding decodes to the key's x, and two encodings of one key differ", () => {
  const { secret, ellswift } = ellswiftKeygen();
  const x = bytesToHex(secp256k1.getPublicKey(secret, true).subarray(1));
  expect(bytesToHex(ellswiftDecode(ellswift))).toBe(x);
  const again = ellswiftFromSecret(secret);
  expect(bytesToHex(again)).not.toBe(bytesToHex(ellswift));
  expect(bytesToHex(ellswiftDecode(again))).toBe(x);
});

test("ECDH agrees both ways", () => {
  const a = ellswiftKeygen();
  const b = ellswiftKeygen();
  expect(bytesToHex(ellswiftEcdhXonly(b.ellswift, a.secret))).toBe(bytesToHex(ellswiftEcdhXonly(a.ellswift, b.secret)));
  expect(bytesToHex(v2Ecdh(a.secret, a.ellswift, b.ellswift, true))).toBe(bytesToHex(v2Ecdh(b.secret, b.ellswift, a.ellswift, false)));
});
