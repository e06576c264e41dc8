/**
 * @module Template → job: the coinbase split around the extranonce, the merkle branch and the
 * notify fields an edge needs (JobV1), plus what the core alone keeps to rebuild the block
 * (StoredJob: the template's raw transactions, the coinbase halves, segwit and MWEB flags).
 *
 * Coinbase (spec §5.4, with §15 items 6 and 23 fixed): BIP34 height push ‖ aux commitment slot
 * (`extraScriptSig`, merge mining) ‖ extranonce1 ‖ extranonce2 ‖ pool tag; one output of
 * `coinbasevalue` to `pool_address` (any address type, via its real script), then the BIP141
 * commitment output when the template has one. Merkle leaves are the template's `txid`s (§5.5
 * hashed `data`, which is the wtxid for segwit transactions).
 */
import {
  bip34HeightPush,
  bitsToTarget,
  buildCoinbase,
  bytesToHex,
  isSegwitActive,
  MAX_COINBASE_SCRIPTSIG,
  merkleBranch,
  rpcHexToBytes,
  stratumPrevhashHex,
  u32FromHex,
} from "../../shared/bitcoin/index.ts";
import { JOB_VERSION, type AuxTargetV1, type JobType, type JobV1 } from "../../shared/contract/index.ts";
import { checkMwebTemplate } from "./mweb.ts";
import type { JobSettings } from "./settings.ts";
import { templateFees, type BlockTemplate } from "./template.ts";
import { chooseWitnessCommitment } from "./witness.ts";

/** Merge-mining input for one job (later issue): the commitment push and the aux targets edges check. */
export interface AuxWork {
  readonly extraScriptSig?: Uint8Array;
  readonly targets: readonly AuxTargetV1[];
}

export const NO_AUX: AuxWork = { targets: [] };

/** A job as the core keeps it: the published message and what turns a candidate back into a block. */
export interface StoredJob {
  readonly job: JobV1;
  readonly coinb1: Uint8Array;
  readonly coinb2: Uint8Array;
  /** Internal-order hashes, the coinbase's path to the merkle root. */
  readonly branch: readonly Uint8Array[];
  /** The template's raw transactions, in block order. */
  readonly txDataHex: readonly string[];
  /** The block's coinbase carries the witness reserved value (template rules hold "!segwit"). */
  readonly segwitActive: boolean;
  /** Litecoin MWEB block hex to append after the transactions (mweb.ts), or null. */
  readonly mweb: string | null;
  /** Display hex, as the template gave it. */
  readonly previousblockhash: string;
  readonly coinbaseValue: bigint;
  readonly fees: bigint;
}

export interface BuiltJob {
  readonly stored: StoredJob;
  /** Our witness commitment differed from the node's (the node's was used). */
  readonly commitmentMismatch: { readonly ours: string; readonly node: string } | null;
}

export function buildJob(t: BlockTemplate, s: JobSettings, id: string, type: JobType, aux: AuxWork = NO_AUX, now = Date.now()): BuiltJob {
  checkMwebTemplate(t.mweb, t.transactions.length);
  const segwitActive = isSegwitActive(t.rules);
  const commitment = chooseWitnessCommitment(t, segwitActive);
  const extranonceSize = s.extranonce1Size + s.extranonce2Size;
  const extra = aux.extraScriptSig ?? new Uint8Array(0);
  const tag = fitTag(s.tag, bip34HeightPush(t.height).length + extra.length + extranonceSize);
  const cb = buildCoinbase({
    height: t.height,
    outputs: [{ script: s.payoutScript, value: t.coinbasevalue }],
    extranonceSize,
    extraScriptSig: extra,
    ...(tag.length > 0 ? { tag } : {}),
    ...(commitment.script ? { witnessCommitmentScript: commitment.script } : {}),
  });
  const branch = merkleBranch(t.transactions.map((x) => rpcHexToBytes(x.txid)));
  const bits = u32FromHex(t.bits);
  const job: JobV1 = {
    v: JOB_VERSION,
    id,
    jobmanager: s.jobmanager,
    coin: s.coin,
    currency: s.currency,
    algo: s.algo,
    type,
    height: t.height,
    prevhash: stratumPrevhashHex(t.previousblockhash),
    coinb1: bytesToHex(cb.coinb1),
    coinb2: bytesToHex(cb.coinb2),
    branch: branch.map(bytesToHex),
    // Templates may give the version as a signed int32; the wire carries its uint32 bits.
    version: t.version >>> 0,
    versionMask: s.versionMask,
    bits: t.bits,
    ntime: t.curtime,
    mintime: t.mintime,
    target: hex256(bitsToTarget(bits)),
    diff1: hex256(s.diff1),
    powBlockHash: s.powBlockHash,
    extranonce1Size: s.extranonce1Size,
    extranonce2Size: s.extranonce2Size,
    aux: [...aux.targets],
    createdAt: now,
  };
  const stored: StoredJob = {
    job,
    coinb1: cb.coinb1,
    coinb2: cb.coinb2,
    branch,
    txDataHex: t.transactions.map((x) => x.data),
    segwitActive,
    mweb: t.mweb,
    previousblockhash: t.previousblockhash,
    coinbaseValue: t.coinbasevalue,
    fees: templateFees(t),
  };
  return { stored, commitmentMismatch: commitment.mismatch };
}

/**
 * The tag bytes that still fit: the scriptSig is at most 100 bytes (consensus, "bad-cb-length"),
 * and height, aux commitment and extranonce come first. A long tag is cut, never the extranonce.
 */
export function fitTag(tag: string, usedBytes: number): Uint8Array {
  const bytes = new TextEncoder().encode(tag);
  // One push opcode byte for up to 75 bytes of data.
  const room = Math.min(75, MAX_COINBASE_SCRIPTSIG - usedBytes - 1);
  return room <= 0 ? new Uint8Array(0) : bytes.subarray(0, room);
}

function hex256(v: bigint): string {
  return v.toString(16).padStart(64, "0");
}
