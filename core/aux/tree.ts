/**
 * @module The aux (chain) merkle tree that commits several aux blocks in one parent coinbase
 * (auxpow-notes rules 6, 10, 11; spec §6.2), its branches, and the scriptSig commitment.
 *
 * Byte orders: leaves and the root are internal order (the RPC "hash" hex reversed). The parent
 * coinbase carries the root reversed (rule 6), which `mergedMiningPush` does: with one chain the
 * embedded bytes are exactly the RPC's display hex.
 */
import { concatBytes, mergedMiningPush, rpcHexToBytes, sha256d } from "../../shared/bitcoin/index.ts";

/** Namecoin refuses chain branches longer than this (rule 5). */
export const MAX_AUX_TREE_HEIGHT = 30;

const MASK64 = (1n << 64n) - 1n;
const LCG_A = 1103515245n;
const LCG_C = 12345n;

/**
 * The slot of a chain in a tree of height `h` (rule 11), in 64-bit unsigned arithmetic:
 * rand = nonce·A + C mod 2^h; rand += chainId; rand = rand·A + C mod 2^h.
 */
export function auxSlot(chainId: number, nonce: number, height: number): number {
  const mod = (1n << BigInt(height)) - 1n;
  let r = (((BigInt(nonce >>> 0) * LCG_A) & MASK64) + LCG_C) & MASK64;
  r &= mod;
  r = (r + BigInt(chainId >>> 0)) & MASK64;
  r = (((r * LCG_A) & MASK64) + LCG_C) & MASK64;
  return Number(r & mod);
}

export interface AuxLeaf {
  readonly chainId: number;
  /** Aux block hash as the RPC prints it (display hex). */
  readonly hash: string;
}

export interface AuxTree {
  /** Tree height h: the chain branch length; size = 2^h. */
  readonly height: number;
  readonly size: number;
  readonly nonce: number;
  /** Internal order, `size` of them; unused slots are 32 zero bytes (rule 11: filler may be anything). */
  readonly leaves: readonly Uint8Array[];
  /** Internal order; the single leaf itself when size is 1. */
  readonly root: Uint8Array;
  /** chainId → slot. */
  readonly slots: ReadonlyMap<number, number>;
}

/**
 * The smallest tree in which every chain has its own slot. The slot is a bijection of
 * (rand + chainId) mod 2^h (A is odd), so two chains collide for every nonce exactly when their ids
 * agree mod 2^h: the nonce cannot help, only the size can. So the search is over the size, with the
 * nonce kept (0 by default, what PowerPool and Namecoin's tools write). Throws on equal chain ids
 * (spec §15 item 20: PowerPool crashed later instead); callers drop duplicates first.
 */
export function buildAuxTree(chains: readonly AuxLeaf[], nonce = 0): AuxTree {
  if (chains.length === 0) throw new RangeError("buildAuxTree: expected at least one chain");
  const ids = new Set(chains.map((c) => c.chainId));
  if (ids.size !== chains.length) throw new RangeError(`buildAuxTree: expected distinct chain ids, got ${chains.map((c) => c.chainId).join(", ")}`);
  for (let h = Math.ceil(Math.log2(chains.length)); h <= MAX_AUX_TREE_HEIGHT; h++) {
    const slots = new Map<number, number>();
    for (const c of chains) slots.set(c.chainId, auxSlot(c.chainId, nonce, h));
    if (new Set(slots.values()).size !== chains.length) continue;
    const size = 2 ** h;
    const leaves: Uint8Array[] = Array.from({ length: size }, () => new Uint8Array(32));
    for (const c of chains) leaves[slots.get(c.chainId)!] = rpcHexToBytes(c.hash);
    return { height: h, size, nonce, leaves, root: treeRoot(leaves), slots };
  }
  throw new RangeError(`buildAuxTree: no tree of height ≤ ${MAX_AUX_TREE_HEIGHT} separates chain ids ${[...ids].join(", ")}`);
}

/** Pairwise sha256d up to one hash; a power-of-two size never duplicates a node (rule 11). */
function treeRoot(leaves: readonly Uint8Array[]): Uint8Array {
  let level = [...leaves];
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(sha256d(concatBytes(level[i]!, level[i + 1]!)));
    level = next;
  }
  return level[0]!;
}

/** The siblings from `slot`'s leaf up to the root (the auxpow's chain branch, rule 5/6). */
export function auxBranch(tree: AuxTree, slot: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let level = [...tree.leaves];
  let i = slot;
  while (level.length > 1) {
    out.push(level[i ^ 1]!);
    const next: Uint8Array[] = [];
    for (let j = 0; j < level.length; j += 2) next.push(sha256d(concatBytes(level[j]!, level[j + 1]!)));
    level = next;
    i >>= 1;
  }
  return out;
}

/** Rule 6's walk: a set low bit of the index puts the sibling on the left. Internal order in and out. */
export function foldChainBranch(leaf: Uint8Array, branch: readonly Uint8Array[], index: number): Uint8Array {
  let h = leaf;
  let i = index;
  for (const s of branch) {
    h = i & 1 ? sha256d(concatBytes(s, h)) : sha256d(concatBytes(h, s));
    i >>= 1;
  }
  return h;
}

/** The 44-byte scriptSig push: 2c ‖ fabe6d6d ‖ root reversed ‖ size LE ‖ nonce LE (rules 9, 10). */
export function auxCommitment(tree: Pick<AuxTree, "root" | "size" | "nonce">): Uint8Array {
  return mergedMiningPush(tree.root, tree.size, tree.nonce);
}

/** Spec §6.2: merged mining configured but no aux work yet — root 0, size 1, so the coinbase layout stays the same. */
export const EMPTY_AUX_COMMITMENT: Uint8Array = mergedMiningPush(new Uint8Array(32), 1, 0);
