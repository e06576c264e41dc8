/**
 * Aux tree, commitment and auxpow against spec §16's vectors and the aux simulator's validator
 * (test/helpers/aux-validator.ts, written from auxpow-notes.md alone), including every rejection
 * the notes list.
 */
import { describe, expect, test } from "bun:test";
import { bytesToHex, bytesToRpcHex, concatBytes, merkleBranch, pushData, serializeTx, sha256d, txid, writeHeaderInto, type Tx } from "../../shared/bitcoin/index.ts";
import { EASIEST_AUX_BITS } from "../../test/helpers/aux-simulator.ts";
import { expectedIndex, validateAuxPow, type AuxBlockFacts } from "../../test/helpers/aux-validator.ts";
import { auxPowHex } from "./auxpow.ts";
import { auxBranch, auxCommitment, auxSlot, buildAuxTree, foldChainBranch } from "./tree.ts";

const H1 = "11".repeat(32);
const H2 = "22".repeat(32);
const NMC_VERSION = 0x00010104;

describe("aux tree and commitment (spec §16, auxpow-notes rule 11)", () => {
  test("one chain: the push embeds the RPC's display-order hash, size 1, nonce 0", () => {
    const tree = buildAuxTree([{ chainId: 1, hash: H1 }]);
    expect(bytesToHex(auxCommitment(tree))).toBe(`2cfabe6d6d${H1}0100000000000000`);
    expect(tree.slots.get(1)).toBe(0);
    expect(auxBranch(tree, 0)).toEqual([]);
  });

  test("two chains 98 and 16: slots 0 and 2 of 4, the §16 push and chain branch", () => {
    const tree = buildAuxTree([{ chainId: 98, hash: H1 }, { chainId: 16, hash: H2 }]);
    expect([tree.size, tree.slots.get(98), tree.slots.get(16)]).toEqual([4, 0, 2]);
    expect(bytesToHex(auxCommitment(tree))).toBe("2cfabe6d6d2bd5dae64e8a4aeec2ad2fd0b87e2667653852ab60769baed12a062ef4a1c6c80400000000000000");
    const branch = auxBranch(tree, 2);
    expect(branch.map(bytesToHex)).toEqual(["00".repeat(32), "5178ffc59837e89271d12d22a7b277a58fcbea919a2af76c65755abba0e339e7"]);
    expect(bytesToRpcHex(foldChainBranch(Uint8Array.fromHex(H2), branch, 2))).toBe("2bd5dae64e8a4aeec2ad2fd0b87e2667653852ab60769baed12a062ef4a1c6c8");
  });

  test("three chains 98, 16, 4096: size 32, slots 24, 14, 30 (spec §6.2)", () => {
    const tree = buildAuxTree([98, 16, 4096].map((chainId, i) => ({ chainId, hash: String(i + 1).repeat(64) })));
    expect([tree.size, tree.slots.get(98), tree.slots.get(16), tree.slots.get(4096)]).toEqual([32, 24, 14, 30]);
  });

  test("the slot formula: the notes' live example and the validator's independent version agree", () => {
    expect(auxSlot(1, 0xdeadbeef, 3)).toBe(2);
    for (const [id, nonce, h] of [[1, 0, 0], [7, 0xffffffff, 5], [4096, 123456, 12], [98, 0, 2]] as const) expect(auxSlot(id, nonce, h)).toBe(expectedIndex(nonce, id, h));
  });

  test("equal chain ids cannot share a tree", () => {
    expect(() => buildAuxTree([{ chainId: 1, hash: H1 }, { chainId: 1, hash: H2 }])).toThrow(/distinct chain ids/);
  });
});

/** A parent block around a scriptSig: coinbase (optionally with 4 more transactions), header. */
function parent(scriptSig: Uint8Array, opts: { version?: number; txs?: number; bits?: number } = {}) {
  const tx: Tx = {
    version: 2,
    inputs: [{ prevTxid: new Uint8Array(32), prevIndex: 0xffffffff, scriptSig, sequence: 0xffffffff, witness: [new Uint8Array(32)] }],
    outputs: [{ value: 5_000_000_000n, script: Uint8Array.of(0x51) }],
    locktime: 0,
  };
  const others = Array.from({ length: opts.txs ?? 0 }, (_, i) => sha256d(Uint8Array.of(i)));
  const branch = merkleBranch(others);
  let root = txid(tx);
  for (const s of branch) root = sha256d(concatBytes(root, s));
  const header = new Uint8Array(80);
  writeHeaderInto(header, opts.version ?? 0x20000000, new Uint8Array(32), root, 1_700_000_000, opts.bits ?? 0x207fffff, 7);
  return { tx, coinbase: serializeTx(tx, { witness: false }), segwitCoinbase: serializeTx(tx, { witness: true }), branch, header };
}

const heightPush = Uint8Array.of(0x03, 0x40, 0x42, 0x0f);
const block = (hash: string, chainId = 1, bits = EASIEST_AUX_BITS): AuxBlockFacts => ({ version: chainId === 1 ? NMC_VERSION : (chainId << 16) | 0x104, hash, bits, chainId });

function oneChain(scriptTail: Uint8Array = new Uint8Array(0), opts: Parameters<typeof parent>[1] = {}) {
  const tree = buildAuxTree([{ chainId: 1, hash: H1 }]);
  const p = parent(concatBytes(heightPush, auxCommitment(tree), scriptTail), opts);
  return auxPowHex({ coinbase: p.coinbase, coinbaseBranch: p.branch, chainBranch: [], chainIndex: 0, parentHeader: p.header });
}

describe("auxpow serialization, judged by the simulator's validator", () => {
  test("single chain with a prefix (the typical pool layout) is accepted", () => {
    expect(validateAuxPow(block(H1), oneChain(pushData(new Uint8Array(8))))).toEqual({ ok: true });
  });

  test("h = 3 tree, nonce 0xdeadbeef, 5-transaction parent, segwit-serialized coinbase: accepted", () => {
    const h = 3;
    const nonce = 0xdeadbeef;
    const slot = auxSlot(1, nonce, h);
    // A hand-made 8-leaf tree: our hash (internal order) at the slot, filler elsewhere (rule 11).
    const level0 = Array.from({ length: 8 }, (_, i) => (i === slot ? Uint8Array.fromHex(H1).reverse() : sha256d(Uint8Array.of(i))));
    const branch = auxBranchOf(level0, slot);
    const root = foldChainBranch(level0[slot]!, branch, slot);
    const p = parent(concatBytes(heightPush, auxCommitment({ root, size: 8, nonce })), { txs: 4 });
    expect(p.branch.length).toBe(3);
    const hex = auxPowHex({ coinbase: p.segwitCoinbase, coinbaseBranch: p.branch, chainBranch: branch, chainIndex: slot, parentHeader: p.header });
    expect(validateAuxPow(block(H1), hex)).toEqual({ ok: true });
    // Rule 11: the index computed for chain ID 2 is refused (when it differs).
    const wrong = auxSlot(2, nonce, h);
    expect(wrong).not.toBe(slot);
    const bad = auxPowHex({ coinbase: p.coinbase, coinbaseBranch: p.branch, chainBranch: auxBranchOf(level0, wrong), chainIndex: wrong, parentHeader: p.header });
    expect(validateAuxPow(block(H1), bad)).toMatchObject({ ok: false });
  });

  test("three chains through buildAuxTree: each chain's auxpow is accepted by its own node", () => {
    const chains = [{ chainId: 98, hash: H1 }, { chainId: 16, hash: H2 }, { chainId: 4096, hash: "33".repeat(32) }];
    const tree = buildAuxTree(chains);
    const p = parent(concatBytes(heightPush, auxCommitment(tree)), { txs: 2 });
    for (const c of chains) {
      const slot = tree.slots.get(c.chainId)!;
      const hex = auxPowHex({ coinbase: p.coinbase, coinbaseBranch: p.branch, chainBranch: auxBranch(tree, slot), chainIndex: slot, parentHeader: p.header });
      expect(validateAuxPow(block(c.hash, c.chainId), hex)).toEqual({ ok: true });
    }
  });

  test("no magic, root at offset 1 (createAuxPow's minimal layout) and at offset 0: accepted", () => {
    const legacy = concatBytes(Uint8Array.fromHex(H1), Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0));
    for (const script of [concatBytes(Uint8Array.of(0x28), legacy), legacy]) {
      const p = parent(script);
      expect(validateAuxPow(block(H1), auxPowHex({ coinbase: p.coinbase, coinbaseBranch: [], chainBranch: [], chainIndex: 0, parentHeader: p.header }))).toEqual({ ok: true });
    }
  });
});

function auxBranchOf(leaves: readonly Uint8Array[], slot: number): Uint8Array[] {
  return auxBranch({ leaves, height: Math.log2(leaves.length), size: leaves.length, nonce: 0, root: new Uint8Array(32), slots: new Map() }, slot);
}

describe("the rejections auxpow-notes lists (rule numbers)", () => {
  const rejects = (hex: string, rule: number, b: AuxBlockFacts = block(H1)) => {
    const v = validateAuxPow(b, hex);
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.rule).toBe(rule);
  };

  test("rule 1: our block without chain ID 1 / auxpow flag", () => rejects(oneChain(), 1, { ...block(H1), version: 4 }));
  test("rule 2: parent version with bit 8 set", () => rejects(oneChain(undefined, { version: 0x20000100 }), 2));
  test("rule 3: parent hash above the aux target", () => rejects(oneChain(), 3, block(H1, 1, 0x03000001)));
  test("rule 4: parent version 0x00010002 has our chain ID", () => rejects(oneChain(undefined, { version: 0x00010002 }), 4));
  test("rule 5: a chain branch of 31 hashes", () => {
    const p = parent(concatBytes(heightPush, auxCommitment(buildAuxTree([{ chainId: 1, hash: H1 }]))));
    rejects(auxPowHex({ coinbase: p.coinbase, coinbaseBranch: [], chainBranch: Array.from({ length: 31 }, () => new Uint8Array(32)), chainIndex: 0, parentHeader: p.header }), 5);
  });
  test("rule 7: coinbase branch that does not lead to the header's merkle root", () => {
    const p = parent(concatBytes(heightPush, auxCommitment(buildAuxTree([{ chainId: 1, hash: H1 }]))), { txs: 2 });
    rejects(auxPowHex({ coinbase: p.coinbase, coinbaseBranch: p.branch.slice(1), chainBranch: [], chainIndex: 0, parentHeader: p.header }), 7);
  });
  test("rule 9: no magic and the root at offset 25", () => {
    const p = parent(concatBytes(new Uint8Array(25), Uint8Array.fromHex(H1), new Uint8Array(8).fill(0)));
    rejects(auxPowHex({ coinbase: p.coinbase, coinbaseBranch: [], chainBranch: [], chainIndex: 0, parentHeader: p.header }), 9);
  });
  test("rule 9: two magics", () => rejects(oneChain(Uint8Array.of(0xfa, 0xbe, 0x6d, 0x6d)), 9));
  test("rule 9: root missing (a wrong chain index changes the root)", () => {
    const tree = buildAuxTree([{ chainId: 98, hash: H1 }, { chainId: 16, hash: H2 }]);
    const p = parent(concatBytes(heightPush, auxCommitment(tree)));
    rejects(auxPowHex({ coinbase: p.coinbase, coinbaseBranch: [], chainBranch: auxBranch(tree, 2), chainIndex: 1, parentHeader: p.header }), 9, block(H2, 16));
  });
  test("rule 10: fewer than 8 bytes after the root", () => {
    const p = parent(concatBytes(heightPush, Uint8Array.of(0x24, 0xfa, 0xbe, 0x6d, 0x6d), Uint8Array.fromHex(H1)));
    rejects(auxPowHex({ coinbase: p.coinbase, coinbaseBranch: [], chainBranch: [], chainIndex: 0, parentHeader: p.header }), 10);
  });
  test("rule 10: tree size that is not 2^(branch length)", () => {
    const p = parent(concatBytes(heightPush, auxCommitment({ root: Uint8Array.fromHex(H1).reverse(), size: 2, nonce: 0 })));
    rejects(auxPowHex({ coinbase: p.coinbase, coinbaseBranch: [], chainBranch: [], chainIndex: 0, parentHeader: p.header }), 10);
  });
  test("rule 11: chain index that does not match the nonce", () => {
    const tree = buildAuxTree([{ chainId: 98, hash: H1 }, { chainId: 16, hash: H2 }]);
    // Commit the tree as if chain 16's leaf sat at slot 1: the root is found, the index is wrong.
    const leaves = [tree.leaves[0]!, tree.leaves[2]!, tree.leaves[1]!, tree.leaves[3]!];
    const fake = auxBranchOf(leaves, 1);
    const root = foldChainBranch(leaves[1]!, fake, 1);
    const p = parent(concatBytes(heightPush, auxCommitment({ root, size: 4, nonce: 0 })));
    rejects(auxPowHex({ coinbase: p.coinbase, coinbaseBranch: [], chainBranch: fake, chainIndex: 1, parentHeader: p.header }), 11, block(H2, 16));
  });
  test("decode: trailing bytes after the parent header", () => rejects(`${oneChain()}00`, 0));
});
