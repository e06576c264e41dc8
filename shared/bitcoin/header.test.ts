import { describe, expect, test } from "bun:test";
import { buildCoinbase, allocCoinbase } from "./coinbase.ts";
import { bytesToHex, bytesToRpcHex, hexToBytes, hexToBytesInto, stratumPrevhashHex, stratumPrevhashToBytes, u32FromHex } from "./bytes.ts";
import { sha256d, sha256dInto } from "./hash.ts";
import { blockHash, parseHeader, serializeHeader, writeHeaderInto } from "./header.ts";
import { coinbaseMerkleRootInto, merkleBranch } from "./merkle.ts";
import { p2pkhScript } from "./script.ts";
import genesis from "./vectors/bitcoinjs-genesis.json";

describe("80-byte header", () => {
  test("genesis: parse → serialize round trip and the well-known hash", () => {
    const raw = hexToBytes(genesis.hex.slice(0, 160));
    const h = parseHeader(raw);
    expect(serializeHeader(h)).toEqual(raw);
    expect(bytesToRpcHex(blockHash(raw))).toBe("000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f");
  });
  test("negative (int32) versions survive the round trip", () => {
    const h = { version: -1, prevHash: new Uint8Array(32), merkleRoot: new Uint8Array(32), time: 1, bits: 2, nonce: 0xffffffff };
    expect(parseHeader(serializeHeader(h))).toEqual(h);
  });
  test("writeHeaderInto checks sizes", () => {
    expect(() => writeHeaderInto(new Uint8Array(79), 1, new Uint8Array(32), new Uint8Array(32), 0, 0, 0)).toThrow(
      "writeHeaderInto: expected out 80, prevHash 32, merkleRoot 32 bytes, got 79, 32, 32",
    );
  });
});

describe("spec §16 share: stratum fields → coinbase → merkle root → header, with caller-owned buffers", () => {
  // Job (built once): the §16 coinbase, the three template transactions' branch, stratum fields.
  const job = buildCoinbase({
    height: 1000000,
    version: 2,
    sequence: 0,
    extranonceSize: 8,
    outputs: [{ script: p2pkhScript(hexToBytes("8eca456fb9f8ebd231921cf82131b8e0521c3549")), value: 2500000000n }],
  });
  const branch = merkleBranch(["aa", "bb", "cc"].map((b) => sha256d(hexToBytes("01000000" + b.repeat(60)))));
  const notifyPrevhash = stratumPrevhashHex("00000000000000000007a1b2c3d4e5f60718293a4b5c6d7e8f90112233445566");
  const prevHash = stratumPrevhashToBytes(notifyPrevhash);
  const version = u32FromHex("20000000");
  const bits = u32FromHex("1a0ffff0");
  const { bytes: coinbase, extranonceOffset } = allocCoinbase(job);
  const root = new Uint8Array(32);
  const header = new Uint8Array(80);
  const hash = new Uint8Array(32);

  test("header and its sha256d", () => {
    // Per share: only writes into the buffers above.
    hexToBytesInto("5193fc01", coinbase, extranonceOffset);
    hexToBytesInto("00000001", coinbase, extranonceOffset + 4);
    coinbaseMerkleRootInto(coinbase, branch, root);
    writeHeaderInto(header, version, prevHash, root, u32FromHex("5c3a8f10"), bits, u32FromHex("b2957c02"));
    sha256dInto(header, hash);
    expect(bytesToHex(root)).toBe("d505b784960641f5687275dfb0e2492345281f4e1bc018c21e19f70470c88d71");
    expect(bytesToHex(header)).toBe(
      "00000020665544332211908f7e6d5c4b3a291807f6e5d4c3b2a107000000000000000000d505b784960641f5687275dfb0e2492345281f4e1bc018c21e19f70470c88d71108f3a5cf0ff0f1a027c95b2",
    );
    expect(bytesToRpcHex(hash)).toBe("8a02cee2a337a9a0a720d759e986ab509d758da9a073ed62088fb2571115ae77");
  });
});
