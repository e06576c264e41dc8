/**
 * @module The edge's jobs per jobmanager: the active set since the last flush, a bounded history of
 * older jobs (so a share can be told "stale" rather than "unknown"), and the fan-out to subscribers.
 * No Redis here: the stream reader (redis-feed.ts) calls `add` for every job in stream order.
 *
 * Flush semantics (PowerPool spec §5.7): a type-0 job starts a new active set, so every earlier job
 * becomes stale; push (1) and refresh (2) jobs join the current set. Every job is delivered to the
 * subscribers in order; whether to broadcast it (types 0 and 1) or keep it for the next per-client
 * push (type 2) is the stratum layer's rule.
 */
import { JobType, type JobV1 } from "../../shared/contract/index.ts";
import type { Logger } from "../../shared/log.ts";
import type { JobFeed } from "../ports.ts";
import { prepareJob, type PreparedJob } from "./prepared-job.ts";

/** Jobs remembered per jobmanager, active ones included: shares for older ids are "unknown". */
export const DEFAULT_HISTORY_JOBS = 512;
/** An active set larger than this (refreshes without a flush for hours) ages its oldest jobs out. */
export const DEFAULT_MAX_ACTIVE_JOBS = 256;

interface Entry {
  readonly current: { readonly job: PreparedJob; readonly stale: false };
  readonly stale: { readonly job: PreparedJob; readonly stale: true };
}

interface Manager {
  latest: PreparedJob | undefined;
  generation: number;
  /** Edge id → job with its two `find` answers (made once, so a lookup allocates nothing); arrival order, bounded by `historyJobs`. */
  readonly jobs: Map<string, Entry>;
  /** Active jobs (edge ids), in arrival order. */
  readonly active: Set<string>;
  /** Core ids of the remembered jobs, to drop a job delivered twice (after a resync). */
  readonly coreIds: Set<string>;
  readonly subscribers: Set<(job: PreparedJob) => void>;
  readonly waiters: ((job: PreparedJob) => void)[];
}

export interface JobCacheOptions {
  readonly log: Logger;
  /** First edge job id counter value (default random, so ids differ across restarts). */
  readonly idStart?: number;
  readonly historyJobs?: number;
  readonly maxActiveJobs?: number;
  readonly now?: () => number;
}

export class JobCache implements JobFeed {
  private readonly managers = new Map<string, Manager>();
  /** Newest job per coin, across jobmanagers: the chain tip a stale job is compared with. */
  private readonly newestByCoin = new Map<string, PreparedJob>();
  private counter: number;
  private readonly historyJobs: number;
  private readonly maxActive: number;
  private readonly now: () => number;

  constructor(private readonly opts: JobCacheOptions) {
    this.counter = opts.idStart ?? Math.floor(Math.random() * 0x1000000);
    this.historyJobs = opts.historyJobs ?? DEFAULT_HISTORY_JOBS;
    this.maxActive = Math.min(opts.maxActiveJobs ?? DEFAULT_MAX_ACTIVE_JOBS, this.historyJobs);
    this.now = opts.now ?? Date.now;
  }

  /** Adds a job from the stream; undefined when it was already known or cannot be parsed (logged). */
  add(job: JobV1): PreparedJob | undefined {
    const m = this.manager(job.jobmanager);
    if (m.coreIds.has(job.id)) return undefined;
    if (job.type === JobType.flush) {
      m.generation++;
      m.active.clear();
    }
    this.counter = (this.counter + 1) >>> 0;
    let prepared: PreparedJob;
    try {
      prepared = prepareJob(job, this.counter.toString(16), this.now(), m.generation);
    } catch (e) {
      this.opts.log.error(`job ${job.id} of ${job.jobmanager} skipped: ${(e as Error).message}`);
      return undefined;
    }
    m.jobs.set(prepared.id, { current: { job: prepared, stale: false }, stale: { job: prepared, stale: true } });
    m.coreIds.add(job.id);
    m.active.add(prepared.id);
    this.trim(m);
    m.latest = prepared;
    this.newestByCoin.set(job.coin, prepared);
    for (const w of m.waiters.splice(0)) w(prepared);
    for (const s of m.subscribers) {
      try {
        s(prepared);
      } catch (e) {
        this.opts.log.error(`job subscriber of ${job.jobmanager} threw: ${(e as Error).message}`);
      }
    }
    return prepared;
  }

  latest(jobmanager: string): PreparedJob | undefined {
    return this.managers.get(jobmanager)?.latest;
  }

  ready(jobmanager: string): Promise<PreparedJob> {
    const m = this.manager(jobmanager);
    if (m.latest) return Promise.resolve(m.latest);
    return new Promise((resolve) => m.waiters.push(resolve));
  }

  subscribe(jobmanager: string, onJob: (job: PreparedJob) => void): () => void {
    const m = this.manager(jobmanager);
    m.subscribers.add(onJob);
    return () => m.subscribers.delete(onJob);
  }

  /**
   * Ids are the edge's lower-case hex; a per-client re-push may append a suffix that starts with
   * any other character (e.g. `1a2b3c.2`), which is ignored here.
   */
  find(jobmanager: string, jobId: string): { job: PreparedJob; stale: boolean } | "unknown" {
    const m = this.managers.get(jobmanager);
    if (!m) return "unknown";
    const id = baseJobId(jobId);
    const entry = m.jobs.get(id);
    if (!entry) return "unknown";
    return m.active.has(id) ? entry.current : entry.stale;
  }

  /** The newest job seen for a coin, on any jobmanager. */
  newestOfCoin(coin: string): PreparedJob | undefined {
    return this.newestByCoin.get(coin);
  }

  private manager(jobmanager: string): Manager {
    let m = this.managers.get(jobmanager);
    if (!m) {
      m = { latest: undefined, generation: 0, jobs: new Map(), active: new Set(), coreIds: new Set(), subscribers: new Set(), waiters: [] };
      this.managers.set(jobmanager, m);
    }
    return m;
  }

  private trim(m: Manager): void {
    while (m.active.size > this.maxActive) {
      const oldest = m.active.values().next().value as string;
      m.active.delete(oldest);
    }
    while (m.jobs.size > this.historyJobs) {
      const [id, entry] = m.jobs.entries().next().value as [string, Entry];
      m.jobs.delete(id);
      m.coreIds.delete(entry.current.job.job.id);
      m.active.delete(id);
    }
  }
}

/** The leading lower-case hex run of a job id (the edge id without a re-push suffix). */
export function baseJobId(jobId: string): string {
  let i = 0;
  while (i < jobId.length) {
    const c = jobId.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) break;
    i++;
  }
  return i === jobId.length ? jobId : jobId.slice(0, i);
}
