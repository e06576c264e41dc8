/** @module What block submission reports: one BlockResult per main-chain block candidate, for accounting, stats and the monitor. */

/** How one coinserver answered (spec §5.9 step 3; BIP22 result strings). */
export type SubmitVerdict =
  /** `null`: the node took the block. */
  | "accepted"
  /** The node already has it ("duplicate"): whether it is in the chain is confirmed afterwards. */
  | "duplicate"
  /** The node could not decide yet ("inconclusive"): confirmed afterwards. */
  | "inconclusive"
  /** The node refused it, with a reason. */
  | "rejected"
  /** No answer after every retry (transport failures). */
  | "error";

export interface ServerSubmitOutcome {
  readonly server: string;
  readonly verdict: SubmitVerdict;
  /** The node's reason ("high-hash", "bad-cb-amount"; bcoin's "rejected: " prefix removed) or the error. */
  readonly reason: string | null;
  /** The result string exactly as the node sent it, when it sent one. */
  readonly raw: string | null;
  /** `getblocktemplate` when the node lacks submitblock and the BIP22 `mode: "submit"` fallback was used. */
  readonly method: "submitblock" | "getblocktemplate";
  readonly tries: number;
  readonly ms: number;
}

/** Where the block stands after submission: the tip, elsewhere in the main chain, known off it, or not known. */
export type ChainPosition = "best" | "main-chain" | "side-chain" | "unknown";

/**
 * A found main-chain block and what became of it (spec §5.9 step 7's record, with §15 item 13 in
 * mind: `accepted` says whether it counts; the accounting decides what to record for a rejection).
 */
export interface BlockResult {
  readonly currency: string;
  readonly algo: string;
  readonly coin: string;
  readonly jobmanager: string;
  readonly height: number;
  /** Block id, display hex (the PoW hash on pow_block_hash coins). */
  readonly hash: string;
  /** Lowercase compact target hex, e.g. "1d00ffff". */
  readonly hexBits: string;
  readonly address: string;
  readonly worker: string;
  readonly edge: string;
  /** The winning share's record id, (edge, session, shareSeq): its round must hold it before the block is recorded. */
  readonly session: string;
  readonly shareSeq: number;
  readonly jobId: string;
  readonly accepted: boolean;
  /** The node's reason when not accepted (best-priority server's first), else null. */
  readonly rejectReason: string | null;
  readonly chain: ChainPosition;
  /** Per coinserver, best priority first. */
  readonly servers: readonly ServerSubmitOutcome[];
  /** coinbasevalue: subsidy plus fees, satoshis. */
  readonly totalSubsidy: bigint;
  /** Σ template transaction fees, satoshis. */
  readonly fees: bigint;
  readonly merged: false;
  /** When the share reached the edge (ms since the epoch). */
  readonly receivedAt: number;
  /** When the first submitblock went out. */
  readonly submittedAt: number;
  /** Share at the edge → first submitblock sent: the pool's block latency. */
  readonly shareToSubmitMs: number;
  /** First submitblock sent → every coinserver answered. */
  readonly submitMs: number;
  /** The candidate's stream entry id. */
  readonly candidateId: string;
}
