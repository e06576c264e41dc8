/**
 * @module The coinbase transaction, split around the extranonce into stratum's coinb1 / coinb2.
 *
 *   coinb1 = version i32 ‖ 01 (inputs) ‖ 32×00 ‖ ffffffff ‖ varint(scriptSig length)
 *            ‖ BIP34 height push ‖ extraScriptSig (e.g. the 44-byte merge-mining push)
 *   [extranonce: extranonceSize raw bytes = extranonce1 ‖ extranonce2, filled per share]
 *   coinb2 = [tag push] ‖ sequence u32 ‖ varint(outputs) ‖ outputs (value i64 ‖ varbytes script)
 *            ‖ [0-value witness commitment output, last] ‖ locktime u32
 * coinb1 ‖ extranonce ‖ coinb2 is the legacy serialization the txid (and so the merkle root) commits to.
 * When segwit is active the block carries it with the BIP141 witness reserved value (`withCoinbaseWitness`).
 *
 * Defaults are modern: version 2 (what Bitcoin Core's own coinbase uses) and sequence 0xffffffff (final).
 * PowerPool's coinbase (spec §5.4) is version 2, sequence 0, no tag; both are options.
 */
import { assertBytes, assertInt, concatBytes, describe, reverseBytes, writeU32LE } from "./bytes.ts";
import { ByteWriter } from "./_cursor.ts";
import { isWitnessCommitmentScript, WITNESS_RESERVED_VALUE } from "./merkle.ts";
import { bip34HeightPush, pushData } from "./script.ts";

export interface CoinbaseOutput {
  readonly script: Uint8Array;
  /** Satoshis. */
  readonly value: bigint | number;
}

export interface CoinbaseSpec {
  /** Block height, pushed first in the scriptSig (BIP34). */
  readonly height: number;
  /** Payout outputs in order (any script: see address.ts `addressToScript`). */
  readonly outputs: readonly CoinbaseOutput[];
  /** Bytes left out between coinb1 and coinb2 for extranonce1 ‖ extranonce2 (edge id + connection + miner's). */
  readonly extranonceSize: number;
  /** Raw scriptSig bytes after the height and before the extranonce: the merge-mining commitment push. */
  readonly extraScriptSig?: Uint8Array;
  /** Pool tag, pushed after the extranonce (a string is UTF-8). */
  readonly tag?: string | Uint8Array;
  /** GBT `default_witness_commitment` script (6a24aa21a9ed ‖ 32 bytes), added as the last, 0-value output. */
  readonly witnessCommitmentScript?: Uint8Array;
  /** Default 2. */
  readonly version?: number;
  /** Default 0xffffffff. */
  readonly sequence?: number;
  /** Default 0. */
  readonly locktime?: number;
}

export interface CoinbaseTemplate {
  readonly coinb1: Uint8Array;
  readonly coinb2: Uint8Array;
  readonly extranonceSize: number;
}

/** Consensus bounds on the coinbase scriptSig length (Core: "bad-cb-length"). */
export const MIN_COINBASE_SCRIPTSIG = 2;
export const MAX_COINBASE_SCRIPTSIG = 100;

export function buildCoinbase(spec: CoinbaseSpec): CoinbaseTemplate {
  const where = "buildCoinbase";
  assertInt(spec.extranonceSize, `${where}: extranonceSize`, 0, MAX_COINBASE_SCRIPTSIG);
  const version = spec.version ?? 2;
  const sequence = spec.sequence ?? 0xffffffff;
  const locktime = spec.locktime ?? 0;
  assertInt(version, `${where}: version`, -0x80000000, 0xffffffff);
  assertInt(sequence, `${where}: sequence`, 0, 0xffffffff);
  assertInt(locktime, `${where}: locktime`, 0, 0xffffffff);
  if (spec.extraScriptSig !== undefined) assertBytes(spec.extraScriptSig, `${where}: extraScriptSig`);
  const head = concatBytes(bip34HeightPush(spec.height), spec.extraScriptSig ?? new Uint8Array(0));
  const tag = spec.tag === undefined ? new Uint8Array(0) : pushData(typeof spec.tag === "string" ? new TextEncoder().encode(spec.tag) : spec.tag);
  const scriptSigLength = head.length + spec.extranonceSize + tag.length;
  if (scriptSigLength < MIN_COINBASE_SCRIPTSIG || scriptSigLength > MAX_COINBASE_SCRIPTSIG)
    throw new RangeError(
      `${where}: expected scriptSig of ${MIN_COINBASE_SCRIPTSIG}-${MAX_COINBASE_SCRIPTSIG} bytes, got ${scriptSigLength} ` +
        `(height+extra ${head.length}, extranonce ${spec.extranonceSize}, tag ${tag.length})`,
    );

  const outputs = spec.outputs.map((o, i) => {
    assertBytes(o.script, `${where}: outputs[${i}].script`);
    return { script: o.script, value: satoshis(o.value, `${where}: outputs[${i}].value`) };
  });
  if (spec.witnessCommitmentScript !== undefined) {
    const s = spec.witnessCommitmentScript;
    assertBytes(s, `${where}: witnessCommitmentScript`);
    if (!isWitnessCommitmentScript(s))
      throw new RangeError(`${where}: expected witnessCommitmentScript 6a24aa21a9ed ‖ 32 bytes, got ${s.length} bytes`);
    outputs.push({ script: s, value: 0n });
  }
  if (outputs.length === 0) throw new RangeError(`${where}: expected at least 1 output, got 0`);

  const b1 = new ByteWriter(64 + head.length);
  b1.u32(version).varInt(1).bytes(new Uint8Array(32)).u32(0xffffffff).varInt(scriptSigLength).bytes(head);
  const b2 = new ByteWriter(64 + outputs.length * 40);
  b2.bytes(tag).u32(sequence).varInt(outputs.length);
  for (const o of outputs) b2.u64(o.value).varBytes(o.script);
  b2.u32(locktime);
  return { coinb1: b1.finish(), coinb2: b2.finish(), extranonceSize: spec.extranonceSize };
}

function satoshis(v: bigint | number, where: string): bigint {
  if (typeof v === "number") {
    assertInt(v, where, 0, Number.MAX_SAFE_INTEGER);
    return BigInt(v);
  }
  if (typeof v !== "bigint" || v < 0n || v > 0x7fffffffffffffffn) throw new RangeError(`${where}: expected satoshis in [0, 2^63), got ${describe(v)}`);
  return v;
}

/** coinb1 ‖ extranonce ‖ coinb2: the coinbase without witness (what the txid hashes). */
export function joinCoinbase(t: CoinbaseTemplate, extranonce: Uint8Array): Uint8Array {
  assertBytes(extranonce, "joinCoinbase: extranonce", t.extranonceSize);
  return concatBytes(t.coinb1, extranonce, t.coinb2);
}

/**
 * A per-job buffer coinb1 ‖ [extranonceSize zero bytes] ‖ coinb2 and the offset of the gap. Per share the
 * edge writes extranonce1 ‖ extranonce2 at `extranonceOffset` (e.g. `hexToBytesInto`) and hashes it: no allocation.
 */
export function allocCoinbase(t: CoinbaseTemplate): { readonly bytes: Uint8Array; readonly extranonceOffset: number } {
  return { bytes: concatBytes(t.coinb1, new Uint8Array(t.extranonceSize), t.coinb2), extranonceOffset: t.coinb1.length };
}

/**
 * The coinbase as it goes into a block once segwit is active: BIP144 marker/flag after the version and one
 * witness item, the 32-byte witness reserved value (BIP141), before the locktime. Input: the legacy bytes.
 */
export function withCoinbaseWitness(coinbase: Uint8Array, reserved: Uint8Array = WITNESS_RESERVED_VALUE): Uint8Array {
  assertBytes(coinbase, "withCoinbaseWitness: coinbase");
  assertBytes(reserved, "withCoinbaseWitness: reserved", 32);
  if (coinbase.length < 60 || (coinbase[4] === 0x00 && coinbase[5] === 0x01))
    throw new RangeError(`withCoinbaseWitness: expected a legacy-serialized coinbase, got ${coinbase.length} bytes${coinbase[4] === 0 ? " with a segwit marker" : ""}`);
  const n = coinbase.length;
  return concatBytes(coinbase.subarray(0, 4), Uint8Array.of(0x00, 0x01), coinbase.subarray(4, n - 4), Uint8Array.of(1, 32), reserved, coinbase.subarray(n - 4));
}

/**
 * Segwit is active for a template when its `rules` hold "!segwit": Core marks segwit as a rule the
 * client must understand once active, and bcoin does the same (its pre-activation list is empty).
 * A bare "segwit" is not taken as active: a witness nonce before activation gets the block
 * rejected as `unexpected-witness` (bcoin-regtest Gotcha 4).
 */
export function isSegwitActive(rules: readonly string[]): boolean {
  return rules.includes("!segwit");
}

/**
 * The 44-byte merge-mining push for the scriptSig (spec §5.4/§6.2): 2c ‖ fabe6d6d ‖ aux root in
 * display order (internal reversed) ‖ tree size u32 LE ‖ merkle nonce u32 LE.
 */
export function mergedMiningPush(auxRoot: Uint8Array, treeSize: number, merkleNonce = 0): Uint8Array {
  assertBytes(auxRoot, "mergedMiningPush: auxRoot", 32);
  assertInt(treeSize, "mergedMiningPush: treeSize", 1, 0xffffffff);
  assertInt(merkleNonce, "mergedMiningPush: merkleNonce", 0, 0xffffffff);
  const tail = new Uint8Array(8);
  writeU32LE(tail, 0, treeSize);
  writeU32LE(tail, 4, merkleNonce);
  return concatBytes(Uint8Array.of(0x2c, 0xfa, 0xbe, 0x6d, 0x6d), reverseBytes(auxRoot), tail);
}
