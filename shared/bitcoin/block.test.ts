import { describe, expect, test } from "bun:test";
import * as bjs from "bitcoinjs-lib";
import { DIFF1_SHA256D } from "../pow/algorithms.ts";
import { assembleBlock, assembleBlockHex, parseBlock, serializeBlock } from "./block.ts";
import { bytesToHex, bytesToRpcHex, hexToBytes } from "./bytes.ts";
import { blockHash, serializeHeader } from "./header.ts";
import { findWitnessCommitment, merkleRoot, witnessCommitment, witnessMerkleRoot } from "./merkle.ts";
import { readBip34Height } from "./script.ts";
import { bitsToDifficulty, bitsToTarget, hashMeetsTarget, hashToBigInt, targetToLE32 } from "./target.ts";
import { serializeTx, txid, wtxid } from "./tx.ts";
import segwitBlock from "./vectors/bitcoinjs-block-542213.json";
import genesis from "./vectors/bitcoinjs-genesis.json";
import preSegwitBlock from "./vectors/core-block-0000000000013b8a.json";
import ltcBlock from "./vectors/electrumx-litecoin-900000.json";

describe("Bitcoin genesis block", () => {
  const block = parseBlock(hexToBytes(genesis.hex));
  test("header fields and the well-known hash", () => {
    expect(block.header.version).toBe(1);
    expect(block.header.time).toBe(genesis.timestamp);
    expect(block.header.bits).toBe(0x1d00ffff);
    expect(block.header.nonce).toBe(genesis.nonce);
    expect(bytesToHex(block.header.merkleRoot)).toBe(genesis.merkleRoot);
    expect(bytesToRpcHex(blockHash(block.header))).toBe("000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f");
    expect(bytesToRpcHex(txid(block.txs[0]!))).toBe("4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b");
  });
  test("difficulty 1 at bits 1d00ffff", () => {
    expect(bitsToDifficulty(block.header.bits)).toBe(1);
    expect(bitsToTarget(block.header.bits)).toBe(DIFF1_SHA256D);
  });
});

describe("mainnet 0000000000013b8a…: pre-segwit, 9 transactions (odd levels in the merkle tree)", () => {
  const bytes = hexToBytes(preSegwitBlock.hex);
  const block = parseBlock(bytes);
  test("hash, proof of work and transaction count", () => {
    const hash = blockHash(block.header);
    expect(bytesToRpcHex(hash)).toBe(preSegwitBlock.id);
    expect(hashMeetsTarget(hash, targetToLE32(bitsToTarget(block.header.bits)))).toBe(true);
    expect(block.txs.length).toBe(preSegwitBlock.transactions);
  });
  test("merkle root recomputed from the transactions", () => {
    expect(merkleRoot(block.txs.map(txid))).toEqual(block.header.merkleRoot);
  });
  test("serializes back to the same bytes, with and without witness", () => {
    expect(bytesToHex(serializeBlock(block))).toBe(preSegwitBlock.hex);
    expect(bytesToHex(serializeBlock(block, { witness: false }))).toBe(preSegwitBlock.hex);
  });
});

describe("mainnet 542213: segwit block with witness commitment", () => {
  const bytes = hexToBytes(segwitBlock.hex);
  const block = parseBlock(bytes);
  const oracle = bjs.Block.fromHex(segwitBlock.hex);
  test("hash (well-known id), header fields and proof of work", () => {
    const hash = blockHash(block.header);
    expect(bytesToRpcHex(hash)).toBe("000000000000000000143a2c56c0214236dadfd30df41d4a0345492ad6d861ec");
    expect(bytesToHex(hash)).toBe(segwitBlock.hash);
    expect(block.header.version).toBe(segwitBlock.version);
    expect(bytesToHex(block.header.prevHash)).toBe(segwitBlock.prevHash);
    expect(block.header.bits).toBe(segwitBlock.bits);
    expect(block.header.time).toBe(segwitBlock.timestamp);
    expect(block.header.nonce).toBe(segwitBlock.nonce);
    expect(hashToBigInt(hash) <= bitsToTarget(block.header.bits)).toBe(true);
    expect(bytesToHex(serializeHeader(block.header))).toBe(segwitBlock.hex.slice(0, 160));
  });
  test("BIP34 height in the coinbase", () => {
    expect(readBip34Height(block.txs[0]!.inputs[0]!.scriptSig)).toBe(542213);
  });
  test("merkle root and witness commitment recomputed (and bitcoinjs-lib agrees)", () => {
    const root = merkleRoot(block.txs.map(txid));
    expect(bytesToHex(root)).toBe(segwitBlock.merkleRoot);
    expect(root).toEqual(new Uint8Array(bjs.Block.calculateMerkleRoot(oracle.transactions!)));
    const coinbase = block.txs[0]!;
    const reserved = coinbase.inputs[0]!.witness[0]!;
    expect(reserved).toEqual(new Uint8Array(32));
    const commitment = witnessCommitment(witnessMerkleRoot(block.txs.map(wtxid)), reserved);
    expect(bytesToHex(commitment)).toBe(segwitBlock.witnessCommit);
    expect(findWitnessCommitment(coinbase)).toEqual(commitment);
    expect(commitment).toEqual(new Uint8Array(bjs.Block.calculateMerkleRoot(oracle.transactions!, true)));
  });
  test("txids and wtxids", () => {
    expect(block.txs.map((t) => bytesToRpcHex(txid(t)))).toEqual(oracle.transactions!.map((t) => t.getId()));
    expect(bytesToRpcHex(wtxid(block.txs[2]!))).toBe("aecb37e25954e15489e25548eb663ffdfd8a1362cac757ad62e9614453d2a577");
    expect(bytesToRpcHex(wtxid(block.txs[1]!))).toBe(bytesToRpcHex(txid(block.txs[1]!)));
  });
  test("size, stripped size and weight", () => {
    const full = serializeBlock(block);
    const stripped = serializeBlock(block, { witness: false });
    expect(bytesToHex(full)).toBe(segwitBlock.hex);
    expect(full.length).toBe(segwitBlock.size);
    expect(stripped.length).toBe(segwitBlock.strippedSize);
    expect(stripped.length * 3 + full.length).toBe(segwitBlock.weight);
  });
  test("submitblock bytes rebuilt from header, witness coinbase and the other transactions", () => {
    const header = bytes.subarray(0, 80);
    const coinbase = serializeTx(block.txs[0]!);
    const rest = block.txs.slice(1).map((t) => serializeTx(t));
    expect(bytesToHex(assembleBlock(header, coinbase, rest))).toBe(segwitBlock.hex);
    expect(assembleBlockHex(header, coinbase, rest.map(bytesToHex))).toBe(segwitBlock.hex);
  });
});

describe("litecoin mainnet 900000: post-BIP34, pre-segwit, 5 transactions, merge-mining commitment", () => {
  const block = parseBlock(hexToBytes(ltcBlock.block));
  test("hash, merkle root, txids and height", () => {
    expect(bytesToRpcHex(blockHash(block.header))).toBe(ltcBlock.hash);
    expect(bytesToRpcHex(block.header.prevHash)).toBe(ltcBlock.previousblockhash);
    expect(bytesToRpcHex(block.header.merkleRoot)).toBe(ltcBlock.merkleroot);
    expect(block.header.bits.toString(16)).toBe(ltcBlock.bits);
    expect(block.txs.map((t) => bytesToRpcHex(txid(t)))).toEqual(ltcBlock.tx);
    expect(bytesToRpcHex(merkleRoot(block.txs.map(txid)))).toBe(ltcBlock.merkleroot);
    expect(readBip34Height(block.txs[0]!.inputs[0]!.scriptSig)).toBe(ltcBlock.height);
    expect(serializeBlock(block).length).toBe(ltcBlock.size);
  });
});

describe("malformed blocks", () => {
  test("errors", () => {
    expect(() => parseBlock(hexToBytes(genesis.hex.slice(0, 158)))).toThrow("parseHeader: expected >= 80 bytes, got 79");
    expect(() => parseBlock(hexToBytes(genesis.hex + "00"))).toThrow("parseBlock: expected end of data");
    expect(() => assembleBlock(new Uint8Array(79), new Uint8Array(60), [])).toThrow("assembleBlock: header: expected 80 bytes, got 79");
    expect(() => assembleBlockHex(new Uint8Array(80), new Uint8Array(60), ["abc"])).toThrow(TypeError);
  });
});
