/**
 * @module The core's jobs of one jobmanager, by id: what a block candidate is rebuilt from.
 *
 * Bounded by chain position: a candidate can only be a block on the current tip, and shares for
 * the previous block's jobs may still be in flight when a new block arrives, so jobs at the
 * current height and the one below are kept and older ones dropped on every new flush job. A
 * hard cap bounds a burst of refresh jobs on one height (oldest first).
 */
import type { StoredJob } from "./build-job.ts";

export const DEFAULT_MAX_JOBS = 1000;

export class JobStore {
  private readonly jobs = new Map<string, StoredJob>();

  constructor(private readonly maxJobs = DEFAULT_MAX_JOBS) {}

  add(stored: StoredJob): void {
    const { id, height, type } = stored.job;
    this.jobs.set(id, stored);
    // Type 0: a new block; jobs more than one height below it (or above it, left by a reorg to a lower tip) are dead.
    if (type === 0) for (const [k, j] of this.jobs) if (j.job.height < height - 1 || j.job.height > height) this.jobs.delete(k);
    while (this.jobs.size > this.maxJobs) {
      const oldest = this.jobs.keys().next().value;
      if (oldest === undefined) break;
      this.jobs.delete(oldest);
    }
  }

  get(id: string): StoredJob | undefined {
    return this.jobs.get(id);
  }

  get size(): number {
    return this.jobs.size;
  }

  /** Heights held, lowest first (for the monitor and for "job unknown" log lines). */
  heights(): number[] {
    return [...new Set([...this.jobs.values()].map((j) => j.job.height))].sort((a, b) => a - b);
  }
}
