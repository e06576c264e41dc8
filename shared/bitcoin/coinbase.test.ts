import { describe, expect, test } from "bun:test";
import * as bjs from "bitcoinjs-lib";
import { addressToScript } from "./address.ts";
import { parseBlock } from "./block.ts";
import { bytesToHex, bytesToRpcHex, hexToBytes, rpcHexToBytes } from "./bytes.ts";
import { allocCoinbase, buildCoinbase, isSegwitActive, joinCoinbase, mergedMiningPush, withCoinbaseWitness } from "./coinbase.ts";
import { witnessCommitmentScript } from "./merkle.ts";
import { readBip34Height } from "./script.ts";
import { parseTx, serializeTx, txid, wtxid } from "./tx.ts";
import segwitBlock from "./vectors/bitcoinjs-block-542213.json";
import ltcBlock from "./vectors/electrumx-litecoin-900000.json";

describe("spec §16 coinbase (PowerPool layout: version 2, sequence 0, P2PKH pool output)", () => {
  test("coinb1 / coinb2", () => {
    const t = buildCoinbase({
      height: 1000000,
      version: 2,
      sequence: 0,
      extranonceSize: 8,
      outputs: [{ script: addressToScript("LYExXWEPs5oWjScR1fYzwSuo8DcQWNcHpF", "litecoin"), value: 2500000000 }],
    });
    expect(bytesToHex(t.coinb1)).toBe("02000000010000000000000000000000000000000000000000000000000000000000000000ffffffff0c0340420f");
    expect(bytesToHex(t.coinb2)).toBe("000000000100f90295000000001976a9148eca456fb9f8ebd231921cf82131b8e0521c354988ac00000000");
  });
});

describe("real coinbases rebuilt byte for byte", () => {
  test("mainnet 542213: AntPool coinbase with merge-mining commitment, witness commitment and reserved value", () => {
    const block = parseBlock(hexToBytes(segwitBlock.hex));
    const real = block.txs[0]!;
    const scriptSig = real.inputs[0]!.scriptSig;
    // Split the real scriptSig: height push (4) ‖ "extra" up to byte 60 ‖ 20 bytes treated as extranonce.
    const t = buildCoinbase({
      height: 542213,
      version: real.version,
      extraScriptSig: scriptSig.subarray(4, 60),
      extranonceSize: scriptSig.length - 60,
      outputs: [real.outputs[0]!],
      witnessCommitmentScript: real.outputs[1]!.script,
    });
    const legacy = joinCoinbase(t, scriptSig.subarray(60));
    expect(legacy).toEqual(serializeTx(real, { witness: false }));
    expect(bytesToHex(withCoinbaseWitness(legacy))).toBe(bytesToHex(serializeTx(real)));
    expect(bytesToRpcHex(txid(parseTx(legacy)))).toBe(bjs.Block.fromHex(segwitBlock.hex).transactions![0]!.getId());
  });
  test("litecoin 900000: non-default sequence and locktime", () => {
    const real = parseBlock(hexToBytes(ltcBlock.block)).txs[0]!;
    const input = real.inputs[0]!;
    const head = input.scriptSig.subarray(0, 4);
    expect(readBip34Height(head)).toBe(900000);
    const t = buildCoinbase({
      height: 900000,
      version: real.version,
      sequence: input.sequence,
      locktime: real.locktime,
      extraScriptSig: input.scriptSig.subarray(4, 80),
      extranonceSize: input.scriptSig.length - 80,
      outputs: real.outputs,
    });
    expect(joinCoinbase(t, input.scriptSig.subarray(80))).toEqual(serializeTx(real));
  });
});

describe("modern defaults and the optional parts", () => {
  const payout = addressToScript("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "bitcoin");
  const mm = mergedMiningPush(hexToBytes("33".repeat(32)), 1);
  const commitment = witnessCommitmentScript(hexToBytes("44".repeat(32)));
  const t = buildCoinbase({
    height: 840000,
    extraScriptSig: mm,
    extranonceSize: 12,
    tag: "/powerpool-bun/",
    outputs: [
      { script: payout, value: 312500000n },
      { script: addressToScript("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", "bitcoin"), value: 1n },
    ],
    witnessCommitmentScript: commitment,
  });
  const extranonce = hexToBytes("0102030405060708090a0b0c");
  const raw = joinCoinbase(t, extranonce);
  const tx = parseTx(raw);
  test("layout: version 2, final sequence, height ‖ extra ‖ extranonce ‖ tag, commitment last", () => {
    expect(tx.version).toBe(2);
    expect(tx.locktime).toBe(0);
    const input = tx.inputs[0]!;
    expect(input.sequence).toBe(0xffffffff);
    expect(input.prevIndex).toBe(0xffffffff);
    expect(input.prevTxid).toEqual(new Uint8Array(32));
    expect(bytesToHex(input.scriptSig)).toBe(
      "0340d10c" + bytesToHex(mm) + "0102030405060708090a0b0c" + "0f" + Buffer.from("/powerpool-bun/").toString("hex"),
    );
    expect(tx.outputs.map((o) => o.value)).toEqual([312500000n, 1n, 0n]);
    expect(tx.outputs[2]!.script).toEqual(commitment);
  });
  test("bitcoinjs-lib parses it to the same txid; the witness form adds only marker, flag and reserved value", () => {
    expect(bytesToRpcHex(txid(tx))).toBe(bjs.Transaction.fromBuffer(raw).getId());
    const full = withCoinbaseWitness(raw);
    expect(full.length).toBe(raw.length + 2 + 1 + 1 + 32);
    const withWitness = parseTx(full);
    expect(withWitness.inputs[0]!.witness).toEqual([new Uint8Array(32)]);
    expect(txid(withWitness)).toEqual(txid(tx));
    expect(wtxid(withWitness)).not.toEqual(txid(tx));
    expect(bjs.Transaction.fromBuffer(full).hasWitnesses()).toBe(true);
  });
  test("allocCoinbase leaves the extranonce gap at coinb1.length", () => {
    const { bytes, extranonceOffset } = allocCoinbase(t);
    expect(extranonceOffset).toBe(t.coinb1.length);
    bytes.set(extranonce, extranonceOffset);
    expect(bytes).toEqual(raw);
  });
});

describe("errors", () => {
  const out = [{ script: hexToBytes("51"), value: 0n }];
  test("scriptSig bounds (2..100 bytes, Core bad-cb-length)", () => {
    expect(() => buildCoinbase({ height: 1, extranonceSize: 0, outputs: out })).toThrow(
      "buildCoinbase: expected scriptSig of 2-100 bytes, got 1 (height+extra 1, extranonce 0, tag 0)",
    );
    expect(() => buildCoinbase({ height: 1000000, extranonceSize: 90, tag: "x".repeat(10), outputs: out })).toThrow(RangeError);
  });
  test("outputs and commitment", () => {
    expect(() => buildCoinbase({ height: 100, extranonceSize: 8, outputs: [] })).toThrow("buildCoinbase: expected at least 1 output, got 0");
    expect(() => buildCoinbase({ height: 100, extranonceSize: 8, outputs: out, witnessCommitmentScript: hexToBytes("6a24") })).toThrow(
      "witnessCommitmentScript",
    );
    expect(() => buildCoinbase({ height: 100, extranonceSize: 8, outputs: [{ script: hexToBytes("51"), value: -1n }] })).toThrow(RangeError);
    expect(() => joinCoinbase(buildCoinbase({ height: 100, extranonceSize: 8, outputs: out }), new Uint8Array(7))).toThrow(
      "joinCoinbase: extranonce: expected 8 bytes, got 7",
    );
  });
  test("withCoinbaseWitness refuses an already-extended coinbase", () => {
    const raw = joinCoinbase(buildCoinbase({ height: 100, extranonceSize: 8, outputs: out }), new Uint8Array(8));
    expect(() => withCoinbaseWitness(withCoinbaseWitness(raw))).toThrow("expected a legacy-serialized coinbase");
  });
});

describe("segwit activation and merge mining", () => {
  test("isSegwitActive reads the template rules", () => {
    expect(isSegwitActive(["csv", "!segwit", "taproot"])).toBe(true);
    expect(isSegwitActive(["csv"])).toBe(false);
    expect(isSegwitActive([])).toBe(false);
    // bcoin's and Core's templates say "!segwit" once active; a bare name is not activation.
    expect(isSegwitActive(["segwit"])).toBe(false);
  });
  test("spec §16 merge-mining pushes", () => {
    expect(bytesToHex(mergedMiningPush(hexToBytes("11".repeat(32)), 1))).toBe(
      "2cfabe6d6d11111111111111111111111111111111111111111111111111111111111111110100000000000000",
    );
    const root = rpcHexToBytes("2bd5dae64e8a4aeec2ad2fd0b87e2667653852ab60769baed12a062ef4a1c6c8");
    expect(bytesToHex(mergedMiningPush(root, 4))).toBe(
      "2cfabe6d6d2bd5dae64e8a4aeec2ad2fd0b87e2667653852ab60769baed12a062ef4a1c6c80400000000000000",
    );
  });
});
