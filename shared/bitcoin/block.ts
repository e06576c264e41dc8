/**
 * @module Blocks: parse, serialize, and assemble the bytes for `submitblock`.
 *
 *   header       80 bytes (header.ts)
 *   tx count     varint
 *   txs          each serialized with witness when it has one (BIP144); the coinbase first
 */
import { assertBytes, bytesToHex } from "./bytes.ts";
import { ByteReader, ByteWriter } from "./_cursor.ts";
import { HEADER_BYTES, parseHeader, serializeHeader, type BlockHeader } from "./header.ts";
import { readTx, writeTx, type Tx } from "./tx.ts";
import { encodeVarInt } from "./varint.ts";

export interface Block {
  readonly header: BlockHeader;
  readonly txs: readonly Tx[];
}

/** Smallest possible transaction (version, 1 input, 1 output, locktime) bounds the count. */
const MIN_TX_BYTES = 60;

export function parseBlock(bytes: Uint8Array): Block {
  assertBytes(bytes, "parseBlock");
  const header = parseHeader(bytes);
  const r = new ByteReader(bytes, "parseBlock", HEADER_BYTES);
  const n = r.count(MIN_TX_BYTES, "transaction");
  const txs: Tx[] = [];
  for (let i = 0; i < n; i++) txs.push(readTx(r));
  r.end();
  return { header, txs };
}

/** Serialize a block; `witness: false` gives the stripped form (BIP141 "base size"). */
export function serializeBlock(block: Block, opts: { witness?: boolean } = {}): Uint8Array {
  const w = new ByteWriter(4096);
  w.bytes(serializeHeader(block.header)).varInt(block.txs.length);
  for (const tx of block.txs) writeTx(w, tx, opts.witness ?? true);
  return w.finish();
}

/**
 * Block bytes for submitblock: header ‖ varint(1 + txs) ‖ coinbase ‖ txs. The coinbase must already carry
 * its witness when segwit is active (`withCoinbaseWitness`); `txs` are the template's raw transactions.
 */
export function assembleBlock(header: Uint8Array, coinbase: Uint8Array, txs: readonly Uint8Array[]): Uint8Array {
  assertBytes(header, "assembleBlock: header", HEADER_BYTES);
  assertBytes(coinbase, "assembleBlock: coinbase");
  const w = new ByteWriter(HEADER_BYTES + 9 + coinbase.length + txs.reduce((n, t) => n + t.length, 0));
  w.bytes(header).varInt(1 + txs.length).bytes(coinbase);
  for (const t of txs) w.bytes(t);
  return w.finish();
}

/**
 * Hex for `submitblock` straight from GBT's `transactions[].data` hex strings, so the template's
 * transactions are never decoded and re-encoded.
 */
export function assembleBlockHex(header: Uint8Array, coinbase: Uint8Array, txDataHex: readonly string[]): string {
  assertBytes(header, "assembleBlockHex: header", HEADER_BYTES);
  assertBytes(coinbase, "assembleBlockHex: coinbase");
  txDataHex.forEach((h, i) => {
    if (typeof h !== "string" || h.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(h))
      throw new TypeError(`assembleBlockHex: expected hex for transaction ${i}, got ${typeof h === "string" ? `length ${h.length}` : typeof h}`);
  });
  return bytesToHex(header) + bytesToHex(encodeVarInt(1 + txDataHex.length)) + bytesToHex(coinbase) + txDataHex.join("");
}
