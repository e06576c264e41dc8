/**
 * @module The auxpow an aux chain's node takes with `getauxblock <hash> <auxpow>` or
 * `submitauxblock` (auxpow-notes "Serialized auxpow", items 1–7; spec §6.4), and the lookup of a
 * chain's slot and branch in the tree a job committed to.
 */
import { bytesToHex, concatBytes, encodeVarInt, sha256d, writeU32LE } from "../../shared/bitcoin/index.ts";
import type { AuxTargetV1 } from "../../shared/contract/index.ts";
import { auxBranch, buildAuxTree, type AuxTree } from "./tree.ts";

export interface AuxPowParts {
  /** The parent coinbase exactly as the miner hashed it (legacy serialization; item 1). */
  readonly coinbase: Uint8Array;
  /** Internal-order siblings linking the coinbase (position 0) to the parent merkle root (item 3). */
  readonly coinbaseBranch: readonly Uint8Array[];
  /** Internal-order siblings linking the aux block hash to the aux root (item 5). */
  readonly chainBranch: readonly Uint8Array[];
  readonly chainIndex: number;
  /** The 80-byte parent header (item 7). */
  readonly parentHeader: Uint8Array;
}

function u32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  writeU32LE(b, 0, v >>> 0);
  return b;
}

function hashList(hashes: readonly Uint8Array[]): Uint8Array {
  return concatBytes(encodeVarInt(hashes.length), ...hashes);
}

export function serializeAuxPow(p: AuxPowParts): Uint8Array {
  if (p.parentHeader.length !== 80) throw new RangeError(`serializeAuxPow: expected an 80-byte parent header, got ${p.parentHeader.length}`);
  return concatBytes(
    p.coinbase,
    // Item 2 is read and ignored; the parent's sha256d hash, as Namecoin's own tools write it (always sha256d, spec §6.4).
    sha256d(p.parentHeader),
    hashList(p.coinbaseBranch),
    // Item 4: the coinbase index, ignored by the node, which always takes position 0.
    u32(0),
    hashList(p.chainBranch),
    u32(p.chainIndex),
    p.parentHeader,
  );
}

export function auxPowHex(p: AuxPowParts): string {
  return bytesToHex(serializeAuxPow(p));
}

/** One chain's place in the tree a job committed to. */
export interface AuxPlacement {
  readonly tree: AuxTree;
  readonly target: AuxTargetV1;
  readonly slot: number;
  readonly branch: Uint8Array[];
}

/**
 * Rebuilds the job's tree from its aux list (the same deterministic build the job used, see
 * combine.ts) and finds `currency` in it. Null when the job did not mine that currency.
 */
export function placeInJob(aux: readonly AuxTargetV1[], currency: string, nonce = 0): AuxPlacement | null {
  const target = aux.find((a) => a.currency === currency);
  if (!target || aux.length === 0) return null;
  const tree = buildAuxTree(aux.map((a) => ({ chainId: a.chainId, hash: a.hash })), nonce);
  const slot = tree.slots.get(target.chainId)!;
  return { tree, target, slot, branch: auxBranch(tree, slot) };
}
