/** @module Tests only: constructed getblocktemplate answers (made-up values, shaped like bcoin's and Core's). */
import * as bjs from "bitcoinjs-lib";
import { bytesToHex, bytesToRpcHex, serializeTx, txid, wtxid, type Tx } from "../../shared/bitcoin/index.ts";

/** A getblocktemplate answer shaped like bcoin's/Core's (values made up). */
export function rawTemplate(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: 0x20000000,
    previousblockhash: "00".repeat(31) + "ab",
    height: 1000,
    bits: "207fffff",
    curtime: 1_700_000_000,
    mintime: 1_699_999_000,
    coinbasevalue: 5_000_010_000,
    rules: ["csv", "!segwit"],
    transactions: [{ data: "0100", txid: "11".repeat(32), hash: "22".repeat(32), fee: 10_000 }],
    default_witness_commitment: `6a24aa21a9ed${"33".repeat(32)}`,
    ...over,
  };
}

/**
 * A template with real, parseable transactions (a simulation: no node made it). `segwit` adds a
 * spend with a witness (so wtxid ≠ txid) and marks segwit active; `mweb` appends a stand-in for
 * Litecoin's HogEx as the last transaction (a plain transaction here: the pool never parses
 * template transactions) and sets the template's `mweb` field. The node's commitment is computed
 * with bitcoinjs-lib (an independent implementation), the way a node would.
 */
export function constructedTemplate(opts: { segwit: boolean; mweb?: string; height?: number }): Record<string, unknown> {
  const spend = (n: number, witness: Uint8Array[]): Tx => ({
    version: 2,
    inputs: [{ prevTxid: new Uint8Array(32).fill(n), prevIndex: 0, scriptSig: witness.length ? new Uint8Array(0) : Uint8Array.of(0x01, 0x51), sequence: 0xffffffff, witness }],
    outputs: [{ value: 1000n * BigInt(n), script: Uint8Array.of(0x51) }],
    locktime: 0,
  });
  const txs = [spend(1, []), ...(opts.segwit ? [spend(2, [Uint8Array.of(0x51)])] : []), ...(opts.mweb ? [spend(3, [])] : [])];
  const cb = new bjs.Transaction();
  cb.addInput(new Uint8Array(32), 0xffffffff);
  cb.setWitness(0, [new Uint8Array(32)]);
  cb.addOutput(Uint8Array.of(0x51), 0n);
  const commitment = bjs.Block.calculateMerkleRoot([cb, ...txs.map((t) => bjs.Transaction.fromBuffer(serializeTx(t)))], true);
  return rawTemplate({
    height: opts.height ?? 2_500_000,
    rules: opts.segwit ? ["csv", "!segwit", ...(opts.mweb ? ["mweb"] : [])] : ["csv"],
    transactions: txs.map((t, i) => ({ data: bytesToHex(serializeTx(t)), txid: bytesToRpcHex(txid(t)), hash: bytesToRpcHex(wtxid(t)), fee: 100 * (i + 1) })),
    default_witness_commitment: `6a24aa21a9ed${bytesToHex(commitment)}`,
    ...(opts.mweb ? { mweb: opts.mweb } : {}),
  });
}
