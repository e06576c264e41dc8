import { describe, expect, test } from "bun:test";
import * as bjs from "bitcoinjs-lib";
import { parseBlock } from "./block.ts";
import { bytesToHex, concatBytes, hexToBytes } from "./bytes.ts";
import { sha256d } from "./hash.ts";
import {
  coinbaseMerkleRootInto,
  findWitnessCommitment,
  foldMerkleBranch,
  foldMerkleBranchInto,
  merkleBranch,
  merkleRoot,
  witnessCommitment,
  witnessCommitmentScript,
  witnessMerkleRoot,
} from "./merkle.ts";
import { serializeTx, txid } from "./tx.ts";
import segwitBlock from "./vectors/bitcoinjs-block-542213.json";
import preSegwitBlock from "./vectors/core-block-0000000000013b8a.json";
import ltcBlock from "./vectors/electrumx-litecoin-900000.json";

const fakeHashes = (n: number) => Array.from({ length: n }, (_, i) => sha256d(Uint8Array.of(i)));

describe("merkle root", () => {
  test("1 to 12 leaves agree with bitcoinjs-lib (odd levels duplicate the last hash)", () => {
    for (let n = 1; n <= 12; n++) {
      const hashes = fakeHashes(n);
      const txs = hashes.map((h) => ({ getHash: () => h }) as unknown as bjs.Transaction);
      expect(bytesToHex(merkleRoot(hashes))).toBe(bytesToHex(bjs.Block.calculateMerkleRoot(txs)));
    }
  });
  test("one leaf is its own root; none is an error", () => {
    const [h] = fakeHashes(1);
    expect(merkleRoot([h!])).toEqual(h!);
    expect(() => merkleRoot([])).toThrow("merkleRoot: expected at least 1 hash, got 0");
    expect(() => merkleRoot([new Uint8Array(31)])).toThrow("merkleRoot: hash 0: expected 32 bytes, got 31");
  });
});

describe("stratum merkle branch (coinbase path)", () => {
  test("folding the coinbase txid with the branch gives the header's root, for real blocks", () => {
    for (const hex of [preSegwitBlock.hex, segwitBlock.hex, ltcBlock.block]) {
      const block = parseBlock(hexToBytes(hex));
      const ids = block.txs.map(txid);
      const branch = merkleBranch(ids.slice(1));
      expect(branch.length).toBe(Math.ceil(Math.log2(ids.length)));
      expect(foldMerkleBranch(ids[0]!, branch)).toEqual(block.header.merkleRoot);
      const out = new Uint8Array(32);
      expect(coinbaseMerkleRootInto(serializeTx(block.txs[0]!, { witness: false }), branch, out)).toEqual(block.header.merkleRoot);
    }
  });
  test("every transaction count 1..17 folds to merkleRoot", () => {
    for (let n = 1; n <= 17; n++) {
      const hashes = fakeHashes(n);
      expect(foldMerkleBranch(hashes[0]!, merkleBranch(hashes.slice(1)))).toEqual(merkleRoot(hashes));
    }
    expect(merkleBranch([])).toEqual([]);
  });
  test("spec §16: three template transactions", () => {
    const data = ["aa", "bb", "cc"].map((b) => hexToBytes("01000000" + b.repeat(60)));
    const branch = merkleBranch(data.map(sha256d)).map(bytesToHex);
    expect(branch).toEqual([
      "2354d25f811c11c40e636e528ea75a191a4d6ae623e2d2e7233b0c7dfa4eb983",
      "a7ea0d713a0cd4e39c0049716c4e5bebf7e2c637d1c8f81556328690e761bc1c",
    ]);
  });
  test("foldMerkleBranchInto may write over its leaf", () => {
    const hashes = fakeHashes(5);
    const leaf = hashes[0]!.slice();
    foldMerkleBranchInto(leaf, merkleBranch(hashes.slice(1)), leaf);
    expect(bytesToHex(leaf)).toBe(bytesToHex(merkleRoot(hashes)));
  });
});

describe("witness commitment (BIP141)", () => {
  test("script layout", () => {
    const c = hexToBytes("4a657fcaa2149342376247e2e283a55a6b92dcc35d4d89e4ac7b74488cb63be2");
    expect(bytesToHex(witnessCommitmentScript(c))).toBe("6a24aa21a9ed" + bytesToHex(c));
  });
  test("coinbase-only block: root is the zero hash, commitment = sha256d(0^64)", () => {
    const root = witnessMerkleRoot([new Uint8Array(32).fill(9)]);
    expect(root).toEqual(new Uint8Array(32));
    expect(witnessCommitment(root)).toEqual(sha256d(new Uint8Array(64)));
  });
  test("highest-index matching output wins; none gives null", () => {
    const block = parseBlock(hexToBytes(segwitBlock.hex));
    const cb = block.txs[0]!;
    const other = witnessCommitmentScript(new Uint8Array(32).fill(1));
    const twice = { ...cb, outputs: [...cb.outputs, { value: 0n, script: concatBytes(other, Uint8Array.of(0)) }] };
    expect(findWitnessCommitment(twice)).toEqual(new Uint8Array(32).fill(1));
    expect(findWitnessCommitment({ ...cb, outputs: cb.outputs.slice(0, 1) })).toBeNull();
  });
});
