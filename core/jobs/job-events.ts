/** @module What the job manager reports: one event per generated job (statsd-ready timings) and its status. */
import type { JobV1 } from "../../shared/contract/index.ts";
import type { StoredJob } from "./build-job.ts";

/** What asked for the template: the tip watcher's causes, a found block, aux work, or a retry. */
export type JobCause = "start" | "poll" | "notify" | "refresh" | "block-found" | "aux" | "retry";

export interface JobTiming {
  /** getblocktemplate round trip (0 for aux pushes, which reuse the last template). */
  readonly fetchMs: number;
  /** Coinbase, branch and job object. */
  readonly buildMs: number;
  /** Queued until in Redis (includes waiting behind earlier jobs). */
  readonly publishMs: number;
  /** Template request to job in Redis: PowerPool's `<procname>.<CUR>.job_generate` gauge (spec §5.7). */
  readonly generateMs: number;
}

export interface JobEvent {
  readonly job: JobV1;
  readonly stored: StoredJob;
  readonly cause: JobCause;
  /** A flush for a new main-chain block (statsd: new_job, work_push, work_restart and the network gauges). */
  readonly newBlock: boolean;
  /** false when the job never reached Redis (superseded during an outage, or stopping). */
  readonly published: boolean;
  readonly timing: JobTiming;
}

/** For the monitor (spec §5.10 `net_state` and `job_count`). */
export interface JobManagerStatus {
  readonly jobmanager: string;
  readonly jobCount: number;
  readonly storedJobs: number;
  readonly lastJobId: string | null;
  readonly lastJobType: number | null;
  /** The current tip's height (template height − 1). */
  readonly height: number | null;
  readonly prevHash: string | null;
  readonly difficulty: number | null;
  /** coinbasevalue, satoshis. */
  readonly subsidy: bigint | null;
  readonly transactions: number | null;
  readonly lastNewBlockAt: number | null;
  /** The last failed getblocktemplate, cleared when one works again. */
  readonly templateError: string | null;
}
