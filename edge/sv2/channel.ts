/**
 * @module One SV2 mining channel (sv2-spec §5.2): who it credits, its extranonce, its target and
 * vardiff, and the SubmitShares.Success batch it owes the miner.
 *
 * Extranonces come from the edge's pool-wide allocator (the one stratum v1 uses), one extranonce1
 * per channel: an extended channel gets it as `extranonce_prefix` and rolls the v1 extranonce2
 * bytes itself (`extranonce_size`); a standard channel gets extranonce1 followed by zero bytes in
 * the extranonce2 place, so its whole coinbase, hence its merkle root, is its own.
 *
 * Difficulty: SetTarget applies to jobs already sent (§5.3.21), so a share is judged at the
 * channel's current difficulty — except for a grace period after a change, when the lower of the
 * old and new difficulty is used: shares found at the old target while the SetTarget was in
 * flight are honest and must not be rejected.
 */
import { bytesToHex, difficultyToTarget, targetToLE32 } from "../../shared/bitcoin/index.ts";
import { VardiffState, type VardiffSettings } from "../vardiff/state.ts";

export const GRACE_AFTER_RETARGET_MS = 10_000;
/** A Success batch is sent at the latest after this many accepted shares (also at the end of every read). */
export const SUCCESS_BATCH_MAX = 32;

export type ChannelKind = "standard" | "extended";

export class Channel {
  /** Extranonce1 as the allocator knows it. */
  extranonce1Hex: string;
  extranonce1: Uint8Array;
  /** What the miner was told: extranonce1 (extended) or extranonce1 ‖ zero extranonce2 (standard). */
  extranoncePrefix: Uint8Array;
  difficulty: number;
  private previousDifficulty: number;
  private changedAt = 0;
  /** diff1 the last SetTarget was computed with (a switching port may change coins). */
  diff1: bigint;
  readonly vardiff: VardiffState;
  /** First job id this channel was sent: older ids were never issued to it (ids grow, mod 2^32). */
  firstJobId = -1;
  hasJob = false;
  lastShareAt: number | null = null;
  acceptedDifficulty = 0;
  idle = false;
  // The pending SubmitShares.Success batch.
  batchCount = 0;
  batchSum = 0;
  batchLastSeq = 0;

  constructor(
    readonly id: number,
    readonly kind: ChannelKind,
    readonly requestId: number,
    readonly address: string,
    readonly worker: string,
    /** 0 when not in a group (extended channels, and connections that require standard jobs). */
    readonly groupId: number,
    allocation: { extranonce1: Uint8Array; hex: string },
    extranonce2Size: number,
    difficulty: number,
    diff1: bigint,
    vardiff: VardiffSettings,
    readonly openedAt: number,
  ) {
    this.extranonce1Hex = allocation.hex;
    this.extranonce1 = allocation.extranonce1;
    this.extranoncePrefix = prefixFor(kind, allocation.extranonce1, extranonce2Size);
    this.difficulty = this.previousDifficulty = difficulty;
    this.diff1 = diff1;
    this.vardiff = VardiffState.for(vardiff, openedAt);
  }

  /** Moves to a new extranonce1 (SetExtranoncePrefix). */
  setExtranonce1(allocation: { extranonce1: Uint8Array; hex: string }, extranonce2Size: number): void {
    this.extranonce1Hex = allocation.hex;
    this.extranonce1 = allocation.extranonce1;
    this.extranoncePrefix = prefixFor(this.kind, allocation.extranonce1, extranonce2Size);
  }

  get target(): Uint8Array {
    return targetToLE32(difficultyToTarget(this.difficulty, this.diff1));
  }

  setDifficulty(d: number, now: number): void {
    this.previousDifficulty = this.difficultyAt(now);
    this.difficulty = d;
    this.changedAt = now;
    this.vardiff.onDifficultySet(now);
  }

  /** The difficulty a share received at `now` is judged and credited at. */
  difficultyAt(now: number): number {
    if (now - this.changedAt < GRACE_AFTER_RETARGET_MS) return Math.min(this.previousDifficulty, this.difficulty);
    return this.difficulty;
  }

  /** True when `jobId` was sent to this channel (job ids grow by one per job, wrapping at 2^32). */
  issued(jobId: number): boolean {
    return this.firstJobId >= 0 && ((jobId - this.firstJobId) >>> 0) < 0x8000_0000;
  }

  get extranoncePrefixHex(): string {
    return bytesToHex(this.extranoncePrefix);
  }
}

function prefixFor(kind: ChannelKind, extranonce1: Uint8Array, extranonce2Size: number): Uint8Array {
  if (kind === "extended") return extranonce1;
  const p = new Uint8Array(extranonce1.length + extranonce2Size);
  p.set(extranonce1);
  return p;
}
