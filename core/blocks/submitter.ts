/**
 * @module One jobmanager's block submission (spec §5.9): candidate → stored job → block →
 * submitblock everywhere → where the block stands → one BlockResult to the listeners.
 *
 * - A candidate for a job the core no longer has is logged with everything known and dropped (a
 *   block can only be rebuilt from the template's transactions, which only the job store holds).
 * - Only candidates that match their job reach `submit` (BlockConsumer checks them, verify.ts).
 * - The same block twice (an edge resending after a reconnect) is submitted once.
 * - The first acceptance asks the job manager for a fresh template at once (spec §15 item 29).
 * - Accepted: a notice line; rejected: an error line with the node's reason and every server's answer.
 */
import type { BlockCandidateV1 } from "../../shared/contract/index.ts";
import type { Logger } from "../../shared/log.ts";
import type { JobCause, JobStore, StoredJob } from "../jobs/index.ts";
import { chainPosition, decide, type ConfirmSource } from "./confirm.ts";
import { rebuildBlock } from "./rebuild.ts";
import { DEFAULT_SUBMIT_POLICY, submitEverywhere, type SubmitPolicy, type SubmitPool } from "./submit.ts";
import type { BlockResult, ChainPosition } from "./types.ts";

/** The job manager as the submitter sees it. */
export interface SubmitterJobs {
  readonly jobmanager: string;
  readonly store: JobStore;
  refreshNow(cause?: JobCause): void;
}

export interface BlockSubmitterOptions {
  readonly jobs: SubmitterJobs;
  /** The coin's CoinserverPool. */
  readonly pool: SubmitPool & ConfirmSource;
  readonly log: Logger;
  readonly policy?: Partial<SubmitPolicy>;
  /** A job this core does not hold, from Redis (core/jobs/job-archive.ts): a block on a previous leader's job. */
  readonly archive?: (jobId: string) => Promise<StoredJob | undefined>;
}

const RECENT_HASHES = 256;
/** "inconclusive" may turn into a connected block a moment later: look again this many times. */
const CONFIRM_RETRIES = 2;
const CONFIRM_RETRY_MS = 500;

export class BlockSubmitter {
  private readonly listeners = new Set<(r: BlockResult) => void>();
  private readonly recent = new Set<string>();
  private readonly policy: SubmitPolicy;

  constructor(private readonly o: BlockSubmitterOptions) {
    this.policy = { ...DEFAULT_SUBMIT_POLICY, ...o.policy };
  }

  get jobmanager(): string {
    return this.o.jobs.jobmanager;
  }

  subscribe(listener: (r: BlockResult) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * The job a candidate names: this core's store, else (standby cores) the job archive. Absent: the
   * block cannot be rebuilt (only the job holds the template's transactions), logged as lost here.
   */
  async job(c: BlockCandidateV1, candidateId: string): Promise<StoredJob | undefined> {
    const log = this.o.log;
    const who = { hash: c.blockHash, worker: `${c.address}.${c.worker}`, edge: c.edge, candidate: candidateId };
    let stored = this.o.jobs.store.get(c.jobId);
    if (!stored && this.o.archive) {
      stored = await this.o.archive(c.jobId).catch((e: unknown) => {
        log.warn(`${c.currency} block ${c.blockHash}: could not read job ${c.jobId} from the job archive: ${(e as Error).message}`, who);
        return undefined;
      });
      if (stored) log.notice(`${c.currency} block ${c.blockHash}: job ${c.jobId} is not held here; rebuilt from the job archive (a previous leader's job)`, who);
    }
    if (!stored) log.error(`${c.currency} BLOCK ${c.blockHash} LOST: job ${c.jobId} is no longer held (held heights: ${this.o.jobs.store.heights().join(", ") || "none"})`, { ...who, aux: c.aux.join(",") });
    return stored;
  }

  /**
   * Submits a candidate already checked against `stored`, its job (verify.ts; BlockConsumer does
   * both). Never throws for coinserver trouble; resolves null when there was nothing to submit.
   */
  async submit(c: BlockCandidateV1, candidateId: string, stored: StoredJob): Promise<BlockResult | null> {
    const log = this.o.log;
    const who = { hash: c.blockHash, worker: `${c.address}.${c.worker}`, edge: c.edge, candidate: candidateId };
    if (this.recent.has(c.blockHash)) {
      log.info(`${c.currency} block ${c.blockHash} already submitted; ignoring the repeat`, who);
      return null;
    }
    this.remember(c.blockHash);
    const height = stored.job.height;
    const block = rebuildBlock(c, stored);

    const submittedAt = Date.now();
    const servers = await submitEverywhere(this.o.pool, block.hex, this.policy, () => this.o.jobs.refreshNow("block-found"));
    const submitMs = Date.now() - submittedAt;
    let position = await chainPosition(this.o.pool, c.blockHash);
    for (let i = 0; i < CONFIRM_RETRIES && shouldLookAgain(servers.map((s) => s.verdict), position); i++) {
      await Bun.sleep(CONFIRM_RETRY_MS);
      position = await chainPosition(this.o.pool, c.blockHash);
    }
    const { accepted, rejectReason } = decide(servers, position);
    // No node answered at all: let a resent candidate try again.
    if (servers.every((s) => s.verdict === "error")) this.recent.delete(c.blockHash);
    const result: BlockResult = {
      currency: c.currency,
      algo: c.algo,
      coin: c.coin,
      jobmanager: c.jobmanager,
      height,
      hash: c.blockHash,
      hexBits: stored.job.bits,
      address: c.address,
      worker: c.worker,
      edge: c.edge,
      session: c.session,
      shareSeq: c.shareSeq,
      jobId: c.jobId,
      accepted,
      rejectReason,
      chain: position,
      servers,
      totalSubsidy: stored.coinbaseValue,
      fees: stored.fees,
      merged: false,
      receivedAt: c.receivedAt,
      submittedAt,
      shareToSubmitMs: Math.max(0, submittedAt - c.receivedAt),
      submitMs,
      candidateId,
    };
    const answers = servers.map((s) => `${s.server}: ${s.verdict}${s.reason ? ` (${s.reason})` : ""}${s.tries > 1 ? ` after ${s.tries} tries` : ""}`).join("; ");
    const fields = { ...who, chain: position, shareToSubmitMs: result.shareToSubmitMs, submitMs, servers: answers };
    if (accepted) log.notice(`${c.currency} BLOCK ${c.blockHash}:${height} accepted${position === "side-chain" ? " but off the main chain" : ""}`, fields);
    else log.error(`${c.currency} BLOCK ${c.blockHash}:${height} REJECTED: ${rejectReason}`, fields);
    for (const l of this.listeners) {
      try {
        l(result);
      } catch (err) {
        log.error(`${c.currency}: block result listener threw`, { error: err });
      }
    }
    return result;
  }

  private remember(hash: string): void {
    this.recent.add(hash);
    if (this.recent.size > RECENT_HASHES) {
      const oldest = this.recent.values().next().value;
      if (oldest !== undefined) this.recent.delete(oldest);
    }
  }
}

function shouldLookAgain(verdicts: readonly string[], position: ChainPosition): boolean {
  return !verdicts.includes("accepted") && verdicts.includes("inconclusive") && position !== "best" && position !== "main-chain";
}
