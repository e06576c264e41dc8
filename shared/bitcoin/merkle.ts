/**
 * @module Merkle root, the stratum merkle branch (the coinbase's path), witness root and commitment.
 *
 * All hashes are internal byte order. A level with an odd count pairs its last hash with itself
 * (Bitcoin's rule; ComputeMerkleRoot in Core's consensus/merkle.cpp).
 */
import { assertBytes, concatBytes, equalBytes } from "./bytes.ts";
import { sha256d, sha256dInto } from "./hash.ts";
import type { Tx } from "./tx.ts";

/** Scratch for `left ‖ right` of one merkle step; reused so folding allocates nothing. */
const PAIR = new Uint8Array(64);

function hashPair(left: Uint8Array, right: Uint8Array): Uint8Array {
  PAIR.set(left, 0);
  PAIR.set(right, 32);
  return sha256d(PAIR);
}

/** Merkle root over a list of 32-byte hashes (txids for the header, wtxids for the witness root). */
export function merkleRoot(hashes: readonly Uint8Array[]): Uint8Array {
  if (hashes.length === 0) throw new RangeError("merkleRoot: expected at least 1 hash, got 0");
  hashes.forEach((h, i) => assertBytes(h, `merkleRoot: hash ${i}`, 32));
  let level = hashes.slice();
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(hashPair(level[i]!, level[i + 1] ?? level[i]!));
    level = next;
  }
  return level[0]!.slice();
}

/**
 * The stratum merkle branch: the sibling hashes on the path from the coinbase (position 0) to the root,
 * given the other transactions' txids in block order. Empty when the block has only the coinbase.
 * (PowerPool §5.5: per level take element [1], then pair up, any pair with the coinbase slot staying
 * the coinbase slot.)
 */
export function merkleBranch(txids: readonly Uint8Array[]): Uint8Array[] {
  txids.forEach((h, i) => assertBytes(h, `merkleBranch: txid ${i}`, 32));
  const branch: Uint8Array[] = [];
  // level[0] stands for the (unknown) coinbase-side hash.
  let level: (Uint8Array | null)[] = [null, ...txids];
  while (level.length > 1) {
    branch.push(level[1]!.slice());
    const next: (Uint8Array | null)[] = [null];
    for (let i = 2; i < level.length; i += 2) next.push(hashPair(level[i]!, level[i + 1] ?? level[i]!));
    level = next;
  }
  return branch;
}

/**
 * Fold a branch onto a leaf: root = sha256d(root ‖ b) for each b in order, written into `out`
 * (32 bytes, caller-owned; may be `leaf`). Allocation-free: the edge does this per share.
 */
export function foldMerkleBranchInto(leaf: Uint8Array, branch: readonly Uint8Array[], out: Uint8Array): Uint8Array {
  if (out !== leaf) out.set(leaf);
  for (let i = 0; i < branch.length; i++) {
    PAIR.set(out, 0);
    PAIR.set(branch[i]!, 32);
    sha256dInto(PAIR, out);
  }
  return out;
}

/** Merkle root of a share: sha256d(coinbase) folded with the branch, into `out`. Allocation-free. */
export function coinbaseMerkleRootInto(coinbase: Uint8Array, branch: readonly Uint8Array[], out: Uint8Array): Uint8Array {
  sha256dInto(coinbase, out);
  return foldMerkleBranchInto(out, branch, out);
}

/** Allocating form of `foldMerkleBranchInto`. */
export function foldMerkleBranch(leaf: Uint8Array, branch: readonly Uint8Array[]): Uint8Array {
  assertBytes(leaf, "foldMerkleBranch: leaf", 32);
  branch.forEach((h, i) => assertBytes(h, `foldMerkleBranch: branch ${i}`, 32));
  return foldMerkleBranchInto(leaf, branch, new Uint8Array(32));
}

/** BIP141 commitment output script prefix: OP_RETURN, push 36, magic aa21a9ed. */
export const WITNESS_COMMITMENT_HEADER = Uint8Array.of(0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed);
/** The default witness reserved value (the coinbase's single witness item). */
export const WITNESS_RESERVED_VALUE = new Uint8Array(32);

/** BIP141 witness root: merkle root of the wtxids with the coinbase's replaced by 32 zero bytes. */
export function witnessMerkleRoot(wtxids: readonly Uint8Array[]): Uint8Array {
  if (wtxids.length === 0) throw new RangeError("witnessMerkleRoot: expected the coinbase slot at least, got 0 hashes");
  return merkleRoot([WITNESS_RESERVED_VALUE, ...wtxids.slice(1)]);
}

/** BIP141 commitment hash: sha256d(witness root ‖ witness reserved value). */
export function witnessCommitment(witnessRoot: Uint8Array, reserved: Uint8Array = WITNESS_RESERVED_VALUE): Uint8Array {
  assertBytes(witnessRoot, "witnessCommitment: witnessRoot", 32);
  assertBytes(reserved, "witnessCommitment: reserved", 32);
  return sha256d(concatBytes(witnessRoot, reserved));
}

/** The commitment output script: 6a24aa21a9ed ‖ commitment (38 bytes; GBT's `default_witness_commitment`). */
export function witnessCommitmentScript(commitment: Uint8Array): Uint8Array {
  assertBytes(commitment, "witnessCommitmentScript", 32);
  return concatBytes(WITNESS_COMMITMENT_HEADER, commitment);
}

/** True if `script` is a BIP141 commitment output (≥ 38 bytes starting with 6a24aa21a9ed). */
export function isWitnessCommitmentScript(script: Uint8Array): boolean {
  return script.length >= 38 && equalBytes(script.subarray(0, 6), WITNESS_COMMITMENT_HEADER);
}

/** The 32-byte commitment in a coinbase, or null. BIP141: the highest-index matching output counts. */
export function findWitnessCommitment(coinbase: Tx): Uint8Array | null {
  for (let i = coinbase.outputs.length - 1; i >= 0; i--) {
    const s = coinbase.outputs[i]!.script;
    if (isWitnessCommitmentScript(s)) return s.slice(6, 38);
  }
  return null;
}
