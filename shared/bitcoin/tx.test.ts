import { describe, expect, test } from "bun:test";
import * as bjs from "bitcoinjs-lib";
import { bytesToHex, bytesToRpcHex, hexToBytes } from "./bytes.ts";
import { hasWitness, parseTx, serializeTx, txid, txidFromRaw, wtxid } from "./tx.ts";
import segwitBlock from "./vectors/bitcoinjs-block-542213.json";
import preSegwitBlock from "./vectors/core-block-0000000000013b8a.json";
import ltcBlock from "./vectors/electrumx-litecoin-900000.json";

/**
 * Raw transactions of a fixture block, cut out by bitcoinjs-lib (the oracle) rather than by us.
 * (bitcoinjs-lib's getHash(true) returns zeros for a coinbase, its witness-root convention, so the
 * wtxid oracle is sha256d of its full serialization.)
 */
function oracleTxs(blockHex: string): { hex: string; hexNoWitness: string; id: string; wid: string }[] {
  return bjs.Block.fromHex(blockHex).transactions!.map((t) => ({
    hex: t.toHex(),
    hexNoWitness: stripped(t).toHex(),
    id: t.getId(),
    wid: bytesToRpcHex(bjs.crypto.hash256(t.toBuffer())),
  }));
}

function stripped(t: bjs.Transaction): bjs.Transaction {
  const c = t.clone();
  for (const input of c.ins) input.witness = [];
  return c;
}

const blocks = [
  ["mainnet 542213 (segwit)", segwitBlock.hex],
  ["mainnet 0000000000013b8a (pre-segwit)", preSegwitBlock.hex],
  ["litecoin 900000", ltcBlock.block],
] as const;

describe("transactions from real blocks against bitcoinjs-lib", () => {
  for (const [name, hex] of blocks)
    test(name, () => {
      for (const o of oracleTxs(hex)) {
        const tx = parseTx(hexToBytes(o.hex));
        expect(bytesToHex(serializeTx(tx))).toBe(o.hex);
        expect(bytesToHex(serializeTx(tx, { witness: false }))).toBe(o.hexNoWitness);
        expect(bytesToRpcHex(txid(tx))).toBe(o.id);
        expect(bytesToRpcHex(wtxid(tx))).toBe(o.wid);
        expect(bytesToRpcHex(txidFromRaw(hexToBytes(o.hex)))).toBe(o.id);
      }
    });
});

describe("segwit transaction in block 542213 (P2SH-P2WPKH spend)", () => {
  const raw = oracleTxs(segwitBlock.hex)[2]!;
  const tx = parseTx(hexToBytes(raw.hex));
  test("fields", () => {
    expect(hasWitness(tx)).toBe(true);
    expect(tx.inputs.length).toBe(1);
    expect(tx.inputs[0]!.witness.length).toBe(2);
    expect(bytesToHex(tx.inputs[0]!.scriptSig)).toBe("160014dde2f1a9a4bfda011ba9ec4062990c7e1a531585");
    expect(tx.outputs.map((o) => o.value)).toEqual([1627238n, 1150n]);
    expect(bytesToRpcHex(txid(tx))).toBe("6c6e3849acf1b570db352dc08f7776e99c344a56fbb2f019e1865d1b6e044889");
    expect(bytesToRpcHex(wtxid(tx))).toBe("aecb37e25954e15489e25548eb663ffdfd8a1362cac757ad62e9614453d2a577");
  });
});

describe("malformed input", () => {
  const legacy = oracleTxs(preSegwitBlock.hex)[1]!.hex;
  test("truncated", () => {
    expect(() => parseTx(hexToBytes(legacy.slice(0, -2)))).toThrow("parseTx: expected 4 more bytes");
  });
  test("trailing bytes", () => {
    expect(() => parseTx(hexToBytes(legacy + "00"))).toThrow("parseTx: expected end of data");
  });
  test("marker without flag 0x01", () => {
    expect(() => parseTx(hexToBytes("01000000" + "0002" + legacy.slice(10)))).toThrow("expected witness flag 0x01");
  });
  test("segwit marker with no witness data (BIP144 superfluous witness)", () => {
    const tx = parseTx(hexToBytes(legacy));
    const fake = bytesToHex(serializeTx(tx)).replace(/^01000000/, "010000000001").replace(/00000000$/, "0000000000");
    expect(() => parseTx(hexToBytes(fake))).toThrow("expected a witness after the segwit marker");
  });
  test("absurd counts are rejected before allocating", () => {
    expect(() => parseTx(hexToBytes("01000000feffffff0f"))).toThrow("expected input count");
  });
});
