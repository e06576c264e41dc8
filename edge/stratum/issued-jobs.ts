/**
 * @module One client's issued job ids → the difficulty each was pushed with (PowerPool spec §2.6):
 * a share is checked at the difficulty its job id was issued with, not the current one.
 *
 * Kept in space that grows with difficulty changes, not with pushes: an idle client re-pushed every
 * 30 s for hours holds one small record. Ids are of two kinds:
 *  - the job's own id (`1a2b3c`), when this client gets the job for the first time: a broadcast's
 *    shared line, or a per-client push of a job it does not hold yet;
 *  - the job's id plus `.` and a counter in hex (`1a2b3c.6553f1a0`), when the client already holds
 *    the job (a keepalive or a difficulty change re-pushing it): cpuminer restarts its job clock
 *    only on a new id, and a new difficulty needs a new id to travel with. The counter rises with
 *    every re-push to the client and is the current second when that is higher, so the clients
 *    re-pushed in one second (a keepalive sweep, a retarget wave) get the same id and share one
 *    line (push.ts).
 * Edge job ids are the hex of a counter that grows with every job (edge/jobs/job-cache.ts), and
 * a client only ever gets the newest job, so the jobs it was sent under their own ids form a
 * rising sequence. An *epoch* is a run of pushes at one difficulty; it records the range of job
 * numbers sent under their own ids, the range of counters it used, and the jobs it covered. The
 * last ISSUED_EPOCHS_KEPT epochs are kept; ids of older ones are unknown (answered as stale).
 *
 * A job's own id inside an epoch's range that this client was never sent (a refresh job that
 * arrived and was superseded between two pushes) resolves to that epoch's difficulty: one the
 * client really had while that job was current, so a share for it is credited fairly. Whether a
 * job is still current is the JobFeed's call (flushes), not this record's.
 */
import type { EdgeJob } from "../ports.ts";

/** Difficulty changes remembered per client (vardiff retargets at most once per interval). */
export const ISSUED_EPOCHS_KEPT = 16;

// One epoch is STRIDE numbers in `IssuedJobs.epochs`, at these offsets.
const DIFFICULTY = 0;
/** Lowest and highest job number pushed in the epoch, under either kind of id. */
const JOB_FROM = 1;
const JOB_TO = 2;
/** Lowest and highest job number pushed under its own id (OWN_FROM > OWN_TO: none). */
const OWN_FROM = 3;
const OWN_TO = 4;
/** The first counter value this epoch may use; its counters run up to the next epoch's first, exclusive. */
const SEQ_FROM = 5;
/** Pushes in the epoch (status: `jobIds`). */
const PUSHES = 6;
const STRIDE = 7;

let memoJob: EdgeJob | undefined;
let memoNumber = -1;

/** The id a job is re-pushed under with counter `k` (from `IssuedJobs.issue`). */
export function repushId(job: EdgeJob, k: number): string {
  return `${job.id}.${k.toString(16)}`;
}

/** A job's number: its edge id read as hex (memoized for the job being broadcast). */
function jobNumber(job: EdgeJob): number {
  if (job !== memoJob) {
    memoNumber = parseInt(job.id, 16);
    memoJob = job;
  }
  return memoNumber;
}

/** Counts a push of job number `n` in the epoch at `at`, under either kind of id. */
function countPush(e: number[], at: number, n: number): void {
  e[at + PUSHES]!++;
  if (n < e[at + JOB_FROM]!) e[at + JOB_FROM] = n;
  if (n > e[at + JOB_TO]!) e[at + JOB_TO] = n;
}

export class IssuedJobs {
  /** Epochs, oldest first, STRIDE numbers each; the last is the current one. Allocated at the first push. */
  private epochs: number[] | undefined;
  /** The last re-push counter used. Never lowered, so re-push ids stay unique on this connection. */
  private seq = 0;
  /** The newest job number sent under its own id; -1 before any (or after `clear`). */
  private ownTo = -1;

  constructor(private readonly keep = ISSUED_EPOCHS_KEPT) {}

  /**
   * Records a push of `job` at `difficulty` at `now` (ms). Returns 0 when the job goes out under its
   * own id (the shared notify line), else the re-push counter to send it under (`repushId`).
   */
  issue(job: EdgeJob, difficulty: number, now: number): number {
    const n = jobNumber(job);
    let e = this.epochs;
    let at = e ? e.length - STRIDE : -1;
    if (!e || e[at + DIFFICULTY] !== difficulty) {
      // A new array of the exact size each time (push would leave room to grow): most clients see
      // few difficulty changes, and the array is their whole record.
      const epoch = [difficulty, n, n, Infinity, -1, this.seq + 1, 0];
      e = this.epochs = !e ? epoch : (e.length >= this.keep * STRIDE ? e.slice(STRIDE) : e).concat(epoch);
      at = e.length - STRIDE;
    }
    if (n > this.ownTo) {
      this.recordOwn(e, at, n);
      return 0;
    }
    countPush(e, at, n);
    this.seq = Math.max(this.seq + 1, Math.floor(now / 1000));
    return this.seq;
  }

  /**
   * `issue` for a broadcast's common case: `job` is newer than every job this client was sent and
   * `difficulty` is the current epoch's, so it goes out under its own id. Records it and returns
   * true; otherwise records nothing and returns false (the caller then takes `issue`).
   */
  issueOwn(job: EdgeJob, difficulty: number): boolean {
    const e = this.epochs;
    if (e === undefined) return false;
    const n = jobNumber(job);
    const at = e.length - STRIDE;
    if (n <= this.ownTo || e[at + DIFFICULTY] !== difficulty) return false;
    this.recordOwn(e, at, n);
    return true;
  }

  /** A push of job number `n` under its own id in the epoch at `at`. */
  private recordOwn(e: number[], at: number, n: number): void {
    countPush(e, at, n);
    this.ownTo = n;
    if (n < e[at + OWN_FROM]!) e[at + OWN_FROM] = n;
    e[at + OWN_TO] = n;
  }

  /**
   * The difficulty `id` was issued with, or undefined when this client was not given it. `job` is
   * the job `id` names (the feed's lookup of its leading hex): `id` is its id or a re-push id of it.
   */
  difficultyOf(id: string, job: EdgeJob): number | undefined {
    const e = this.epochs;
    if (!e || !id.startsWith(job.id)) return undefined;
    const n = jobNumber(job);
    if (id.length === job.id.length) {
      for (let at = e.length - STRIDE; at >= 0; at -= STRIDE) {
        if (n >= e[at + OWN_FROM]! && n <= e[at + OWN_TO]!) return e[at + DIFFICULTY];
      }
      return undefined;
    }
    if (id.charCodeAt(job.id.length) !== 0x2e) return undefined; // "."
    const suffix = id.slice(job.id.length + 1);
    const k = parseInt(suffix, 16);
    // Only the exact form issued: "1a2b.05" or "1a2b.5x" name nothing.
    if (!(k >= 1 && k <= this.seq) || k.toString(16) !== suffix) return undefined;
    for (let at = e.length - STRIDE, to = this.seq; at >= 0; to = e[at + SEQ_FROM]! - 1, at -= STRIDE) {
      if (k >= e[at + SEQ_FROM]! && k <= to) return n >= e[at + JOB_FROM]! && n <= e[at + JOB_TO]! ? e[at + DIFFICULTY] : undefined;
    }
    return undefined;
  }

  /** Ids issued in the epochs kept (PowerPool's job map size, the status's `jobIds`). */
  get size(): number {
    const e = this.epochs;
    let n = 0;
    if (e) for (let at = PUSHES; at < e.length; at += STRIDE) n += e[at]!;
    return n;
  }

  /** Forgets every id (the extranonce1 changed: work under the old one cannot validate). */
  clear(): void {
    this.epochs = undefined;
    this.ownTo = -1;
  }
}
