import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import * as bjs from "bitcoinjs-lib";
import { bytesToHex, bytesToRpcHex, hexToBytes } from "./bytes.ts";
import { hash160, sha256, sha256d, sha256dInto } from "./hash.ts";

const nodeSha256d = (b: Uint8Array) => createHash("sha256").update(createHash("sha256").update(b).digest()).digest("hex");

describe("sha256d", () => {
  test("matches node:crypto over a sliding window of lengths and offsets", () => {
    const buf = Uint8Array.from({ length: 300 }, (_, i) => (i * 31 + 7) & 0xff);
    for (let len = 0; len < 160; len += 7)
      for (let off = 0; off < 5; off++) {
        const part = buf.subarray(off, off + len);
        expect(bytesToHex(sha256d(part))).toBe(nodeSha256d(part));
      }
    expect(bytesToHex(sha256(hexToBytes("616263")))).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
  test("sha256dInto writes into the caller's buffer, also when it aliases the input", () => {
    const header = hexToBytes(
      "0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a29ab5f49ffff001d1dac2b7c",
    );
    const out = new Uint8Array(32);
    expect(sha256dInto(header, out)).toBe(out);
    expect(bytesToRpcHex(out)).toBe("000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f");
    const x = hexToBytes("00".repeat(32));
    const expected = sha256d(x);
    sha256dInto(x, x);
    expect(x).toEqual(expected);
  });
});

describe("hash160", () => {
  test("empty input, and agrees with bitcoinjs-lib", () => {
    expect(bytesToHex(hash160(new Uint8Array(0)))).toBe("b472a266d0bd89c13706a4132ccfb16f7c3b9fcb");
    const pub = hexToBytes("0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798");
    expect(bytesToHex(hash160(pub))).toBe(bytesToHex(bjs.crypto.hash160(pub)));
    expect(bytesToHex(hash160(pub))).toBe("751e76e8199196d454941c45d1b3a323f1433bd6");
  });
});
