/**
 * @module One client's issued job ids → (job, difficulty at push), PowerPool spec §2.6. The
 * difficulty a share is checked at is the one its job id was pushed with, not the current one.
 *
 * Keeps the last ISSUED_JOBS_KEPT ids in push order. PowerPool meant to keep two generations of
 * 100 but its rotation wiped every id each 100th push (spec §15 item 7), rejecting good shares
 * as stale. Whether a remembered job is still current is the JobFeed's call (flushes), not this map's.
 */
import type { EdgeJob } from "../ports.ts";

export interface IssuedJob {
  readonly job: EdgeJob;
  readonly difficulty: number;
}

/** Enough for cpuminer's 60 s scan chunks and ASICs' queues across keepalives, aux pushes and retargets. */
export const ISSUED_JOBS_KEPT = 64;

export class IssuedJobs {
  private readonly ids = new Map<string, IssuedJob>();
  private seq = 0;

  constructor(private readonly limit = ISSUED_JOBS_KEPT) {}

  get(id: string): IssuedJob | undefined {
    return this.ids.get(id);
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  get size(): number {
    return this.ids.size;
  }

  add(id: string, job: EdgeJob, difficulty: number): void {
    this.ids.delete(id);
    this.ids.set(id, { job, difficulty });
    if (this.ids.size > this.limit) this.ids.delete(this.ids.keys().next().value!);
  }

  /**
   * A new id for a re-push of `job` to this client: the job's id plus `.` and a per-client
   * counter. Job ids are hex, so the suffix never collides with another job's own id.
   */
  freshId(job: EdgeJob): string {
    return `${job.id}.${(++this.seq).toString(16)}`;
  }

  clear(): void {
    this.ids.clear();
  }
}
