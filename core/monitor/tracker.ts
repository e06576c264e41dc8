/**
 * @module What the monitor remembers that no component keeps: per jobmanager the last flush job and
 * the jobs since it (PowerPool's `last_flush_job`, `active_jobs`), and per coin the block results
 * and aux chain the block results (§5.10/§6.6 `block_stats`, the dashboard's recent blocks, the
 * /metrics latency histograms).
 *
 * The core attaches it before the job managers start, so the first flush is seen too.
 */
import { JobType, type JobV1 } from "../../shared/contract/index.ts";
import type { AuxBlockResult } from "../aux/index.ts";
import type { BlockResult } from "../blocks/index.ts";
import type { JobEvent } from "../jobs/index.ts";
import { Histogram } from "./prom.ts";

/** Share → first submitblock, and submitblock → every answer: seconds. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const RECENT_BLOCKS = 50;

export interface JobRecord {
  readonly id: string;
  readonly type: JobType;
  readonly currency: string;
  readonly algo: string;
  readonly powBlockHash: boolean;
  readonly mergedNetworks: readonly string[];
  readonly height: number;
  /** When the job reached Redis, or was made when it never did (ms). */
  readonly at: number;
}

export interface JobsSeen {
  readonly lastFlush: JobRecord | null;
  readonly last: JobRecord | null;
  /** Jobs since the last flush, that one included. */
  readonly sinceFlush: number;
  readonly byType: Readonly<Record<"flush" | "push" | "refresh", number>>;
}

export interface BlockStats {
  accepts: number;
  rejects: number;
  solves: number;
  lastSolveHeight: number | null;
  lastSolveTime: number | null;
  lastSolveWorker: string | null;
  lastSolveHash: string | null;
}

/** A found block as the dashboard lists it: main-chain and aux alike. */
export interface RecentBlock {
  /** Coin or aux key. */
  readonly chain: string;
  readonly currency: string;
  readonly merged: boolean;
  readonly height: number;
  readonly hash: string;
  /** `address.worker`. */
  readonly worker: string;
  /** The edge the share came through ("" for aux blocks: the parent share's edge is not reported). */
  readonly edge: string;
  readonly accepted: boolean;
  readonly reason: string | null;
  /** Main chain: where the block stands (best, main-chain, side-chain, unknown); aux: the verdict. */
  readonly position: string;
  /** When it was submitted (ms). */
  readonly at: number;
  /** Main chain: share at the edge → first submitblock; aux: the submission's duration. */
  readonly latencyMs: number;
}

export interface BlockLatency {
  readonly shareToSubmit: Histogram;
  readonly submit: Histogram;
}

const TYPE_NAMES = ["flush", "push", "refresh"] as const;

export class MonitorTracker {
  private readonly jobs = new Map<string, { lastFlush: JobRecord | null; last: JobRecord | null; sinceFlush: number; byType: Record<"flush" | "push" | "refresh", number> }>();
  private readonly stats = new Map<string, BlockStats>();
  private readonly latency = new Map<string, BlockLatency>();
  private readonly recent: RecentBlock[] = [];

  /** Follows one job manager; returns the unsubscribe function. */
  watchJobs(jobmanager: string, jobs: { subscribe(listener: (ev: JobEvent) => void): () => void }): () => void {
    return jobs.subscribe((ev) => this.recordJob(jobmanager, ev.job, ev.published ? Date.now() : ev.job.createdAt));
  }

  recordJob(jobmanager: string, job: JobV1, at: number): void {
    let s = this.jobs.get(jobmanager);
    if (!s) this.jobs.set(jobmanager, (s = { lastFlush: null, last: null, sinceFlush: 0, byType: { flush: 0, push: 0, refresh: 0 } }));
    const rec: JobRecord = {
      id: job.id,
      type: job.type,
      currency: job.currency,
      algo: job.algo,
      powBlockHash: job.powBlockHash,
      mergedNetworks: job.aux.map((a) => a.currency),
      height: job.height,
      at,
    };
    s.last = rec;
    s.byType[TYPE_NAMES[job.type]]++;
    if (job.type === JobType.flush) {
      s.lastFlush = rec;
      s.sinceFlush = 1;
    } else s.sinceFlush++;
  }

  jobsOf(jobmanager: string): JobsSeen | undefined {
    return this.jobs.get(jobmanager);
  }

  recordBlock(r: BlockResult): void {
    const l = this.latencyOf(r.coin);
    l.shareToSubmit.observe(r.shareToSubmitMs / 1000);
    l.submit.observe(r.submitMs / 1000);
    this.remember({
      chain: r.coin,
      currency: r.currency,
      merged: false,
      height: r.height,
      hash: r.hash,
      worker: r.worker === "" ? r.address : `${r.address}.${r.worker}`,
      edge: r.edge,
      accepted: r.accepted,
      reason: r.rejectReason,
      position: r.chain,
      at: r.submittedAt,
      latencyMs: r.shareToSubmitMs,
    });
  }

  /** Follows the aux chains' block results (when the core merge-mines). */
  watchAux(aux: { onBlock(listener: (r: AuxBlockResult) => void): () => void }): () => void {
    return aux.onBlock((r) => this.recordAuxBlock(r));
  }

  recordAuxBlock(r: AuxBlockResult, at = Date.now()): void {
    this.remember({
      chain: r.aux,
      currency: r.currency,
      merged: true,
      height: r.height,
      hash: r.hash,
      worker: r.worker === "" ? r.address : `${r.address}.${r.worker}`,
      edge: "",
      accepted: r.accepted,
      reason: r.reason,
      position: r.verdict,
      at,
      latencyMs: r.submitMs,
    });
  }

  private remember(b: RecentBlock): void {
    const s = this.blockStats(b.chain);
    s.solves++;
    if (b.accepted) s.accepts++;
    else s.rejects++;
    s.lastSolveHeight = b.height;
    s.lastSolveTime = b.at;
    s.lastSolveWorker = b.worker;
    s.lastSolveHash = b.hash;
    this.recent.unshift(b);
    if (this.recent.length > RECENT_BLOCKS) this.recent.length = RECENT_BLOCKS;
  }

  blockStats(coin: string): BlockStats {
    let s = this.stats.get(coin);
    if (!s) this.stats.set(coin, (s = { accepts: 0, rejects: 0, solves: 0, lastSolveHeight: null, lastSolveTime: null, lastSolveWorker: null, lastSolveHash: null }));
    return s;
  }

  latencyOf(coin: string): BlockLatency {
    let l = this.latency.get(coin);
    if (!l) this.latency.set(coin, (l = { shareToSubmit: new Histogram(LATENCY_BUCKETS), submit: new Histogram(LATENCY_BUCKETS) }));
    return l;
  }

  /** Newest first. */
  recentBlocks(): readonly RecentBlock[] {
    return this.recent;
  }
}
