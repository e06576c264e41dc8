/**
 * @module The BIP141 witness commitment for a template: computed here from the transactions'
 * wtxids and checked against the node's `default_witness_commitment`.
 *
 * BIP141: commitment = sha256d(witness merkle root ‖ witness reserved value), the root taken over
 * the wtxids with the coinbase's replaced by 32 zero bytes; the output script is
 * OP_RETURN 0x24 aa21a9ed ‖ commitment. The reserved value is the coinbase's single witness item,
 * 32 zero bytes here (withCoinbaseWitness adds it when segwit is active).
 */
import { bytesToHex, hexToBytes, rpcHexToBytes, witnessCommitment, witnessCommitmentScript, witnessMerkleRoot } from "../../shared/bitcoin/index.ts";
import type { BlockTemplate } from "./template.ts";

export interface CommitmentChoice {
  /** The output script to put in the coinbase, or null for none. */
  readonly script: Uint8Array | null;
  /** Ours differs from the node's: the node's is used (it validates against its own rules), and this says why. */
  readonly mismatch: { readonly ours: string; readonly node: string } | null;
}

/** Our commitment script for the template's transactions (hex of 6a24aa21a9ed ‖ 32 bytes). */
export function computeWitnessCommitmentScript(t: BlockTemplate): Uint8Array {
  const wtxids = [new Uint8Array(32), ...t.transactions.map((x) => rpcHexToBytes(x.hash))];
  return witnessCommitmentScript(witnessCommitment(witnessMerkleRoot(wtxids)));
}

/**
 * Which commitment the coinbase carries. With the node's present, ours must equal it; if it does
 * not, the node's wins (a coin may commit differently) and the caller logs the mismatch. Without
 * the node's, ours is used only when segwit is active (a pre-segwit coin has nothing to commit to).
 */
export function chooseWitnessCommitment(t: BlockTemplate, segwitActive: boolean): CommitmentChoice {
  const node = t.defaultWitnessCommitment;
  if (node === null) return { script: segwitActive ? computeWitnessCommitmentScript(t) : null, mismatch: null };
  const ours = bytesToHex(computeWitnessCommitmentScript(t));
  return { script: hexToBytes(node), mismatch: ours === node ? null : { ours, node } };
}
