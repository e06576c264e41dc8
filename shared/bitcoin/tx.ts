/**
 * @module Transactions: parse and serialize, with and without witness (BIP144); txid and wtxid (BIP141).
 *
 * Layout (one coder per field, in wire order):
 *   version        i32 LE
 *   [marker 0x00, flag 0x01]               BIP144, only when some input has a witness
 *   inputs         varint count × { prevTxid 32 (internal order), prevIndex u32, scriptSig varbytes, sequence u32 }
 *   outputs        varint count × { value i64 LE (satoshis), script varbytes }
 *   [witness]      per input: varint item count × varbytes
 *   locktime       u32 LE
 * txid = sha256d(serialization without witness); wtxid = sha256d(with witness), equal to txid when
 * there is none. Hashes are internal order (see bytes.ts).
 */
import { assertBytes } from "./bytes.ts";
import { ByteReader, ByteWriter } from "./_cursor.ts";
import { sha256d } from "./hash.ts";

export interface TxInput {
  /** Previous txid, internal byte order (32 zero bytes for a coinbase). */
  readonly prevTxid: Uint8Array;
  readonly prevIndex: number;
  readonly scriptSig: Uint8Array;
  readonly sequence: number;
  /** Witness stack items; empty when the input has no witness. */
  readonly witness: readonly Uint8Array[];
}

export interface TxOutput {
  /** Satoshis. */
  readonly value: bigint;
  readonly script: Uint8Array;
}

export interface Tx {
  readonly version: number;
  readonly inputs: readonly TxInput[];
  readonly outputs: readonly TxOutput[];
  readonly locktime: number;
}

/** Smallest input (32+4+1+4) and output (8+1) encodings, used to bound counts before allocating. */
const MIN_INPUT_BYTES = 41;
const MIN_OUTPUT_BYTES = 9;

/** Read one transaction at the reader's position (used by parseTx and parseBlock). */
export function readTx(r: ByteReader): Tx {
  const version = r.i32();
  let segwit = false;
  // BIP144: a zero input count followed by flag 0x01 marks the extended serialization.
  if (r.peek() === 0x00) {
    const flag = r.peek(1);
    if (flag !== 0x01) throw new RangeError(`${r.where}: expected witness flag 0x01 after marker, got ${describe8(flag)}`);
    r.pos += 2;
    segwit = true;
  }
  const nIn = r.count(MIN_INPUT_BYTES, "input");
  const raw: { prevTxid: Uint8Array; prevIndex: number; scriptSig: Uint8Array; sequence: number }[] = [];
  for (let i = 0; i < nIn; i++) raw.push({ prevTxid: r.bytes(32), prevIndex: r.u32(), scriptSig: r.varBytes(), sequence: r.u32() });
  const nOut = r.count(MIN_OUTPUT_BYTES, "output");
  const outputs: TxOutput[] = [];
  for (let i = 0; i < nOut; i++) outputs.push({ value: r.u64(), script: r.varBytes() });
  const witnesses: Uint8Array[][] = raw.map(() => []);
  if (segwit) {
    let any = false;
    for (const w of witnesses) {
      const n = r.count(1, "witness item");
      for (let j = 0; j < n; j++) w.push(r.varBytes());
      if (n > 0) any = true;
    }
    // BIP144: "the witness flag must not be set if there is no witness" (Core: "Superfluous witness record").
    if (!any) throw new RangeError(`${r.where}: expected a witness after the segwit marker, got none`);
  }
  const locktime = r.u32();
  return { version, inputs: raw.map((inp, i) => ({ ...inp, witness: witnesses[i]! })), outputs, locktime };
}

function describe8(b: number | undefined): string {
  return b === undefined ? "end of data" : `0x${b.toString(16).padStart(2, "0")}`;
}

/** Parse exactly one serialized transaction (with or without witness). */
export function parseTx(bytes: Uint8Array): Tx {
  assertBytes(bytes, "parseTx");
  const r = new ByteReader(bytes, "parseTx");
  const tx = readTx(r);
  r.end();
  return tx;
}

export function hasWitness(tx: Tx): boolean {
  return tx.inputs.some((i) => i.witness.length > 0);
}

/** Append `tx` to a writer; witness data only if `witness` and some input has a witness (as Core does). */
export function writeTx(w: ByteWriter, tx: Tx, witness: boolean): void {
  const segwit = witness && hasWitness(tx);
  w.u32(tx.version);
  if (segwit) w.u8(0x00).u8(0x01);
  w.varInt(tx.inputs.length);
  for (const i of tx.inputs) {
    assertBytes(i.prevTxid, "serializeTx: prevTxid", 32);
    w.bytes(i.prevTxid).u32(i.prevIndex).varBytes(i.scriptSig).u32(i.sequence);
  }
  w.varInt(tx.outputs.length);
  for (const o of tx.outputs) {
    if (o.value < 0n || o.value > 0x7fffffffffffffffn)
      throw new RangeError(`serializeTx: expected output value in [0, 2^63), got ${o.value}`);
    w.u64(o.value).varBytes(o.script);
  }
  if (segwit) for (const i of tx.inputs) {
    w.varInt(i.witness.length);
    for (const item of i.witness) w.varBytes(item);
  }
  w.u32(tx.locktime);
}

/** Serialize; `witness: false` gives the legacy form that the txid commits to. */
export function serializeTx(tx: Tx, opts: { witness?: boolean } = {}): Uint8Array {
  const w = new ByteWriter();
  writeTx(w, tx, opts.witness ?? true);
  return w.finish();
}

/** txid, internal order: sha256d of the serialization without witness. */
export function txid(tx: Tx): Uint8Array {
  return sha256d(serializeTx(tx, { witness: false }));
}

/** wtxid, internal order: sha256d of the full serialization (BIP141). */
export function wtxid(tx: Tx): Uint8Array {
  return sha256d(serializeTx(tx, { witness: true }));
}

/** txid of raw transaction bytes (e.g. GBT `transactions[].data`), stripping a witness if present. */
export function txidFromRaw(raw: Uint8Array): Uint8Array {
  assertBytes(raw, "txidFromRaw");
  return raw[4] === 0x00 && raw[5] === 0x01 ? txid(parseTx(raw)) : sha256d(raw);
}
