/**
 * @module The jobs the auditor checks shares against: the core's job archive
 * (`<prefix>core:jobdata:<id>`, core/jobs/job-archive.ts, written in the same fenced transaction
 * as the job's publication, kept `archiveTtlMs`), read with GET and decoded once per job into a
 * bounded LRU; misses are remembered briefly so a stream of made-up ids costs one GET each.
 *
 * "Never issued" vs "expired": job ids sort in issue order (core/jobs/job-ids.ts: boot-time prefix
 * and counter, a later core continuing after the last published id), and every archived job lives
 * `archiveTtlMs` from its publication. So when the archive lacks id X but the core knows an issued
 * job Y < X whose archive entry must still live (created less than archiveTtlMs − margin ago), X,
 * had it been issued, would have been published after Y and still be there: the core never issued
 * X. When no such Y is known, X may just have expired: unverifiable, not a failure. This judges by
 * the core's clock and its own job data only, never by the record's claimed time (an edge could
 * backdate it); and an honest share on a job older than the archive TTL (an edge keeps up to 256
 * jobs between flushes, about an hour of refreshes) is never taken for an invented one.
 * Known issued jobs come from the archive reads and, when those do not decide, from the
 * jobmanager's latest published job (`<prefix>job:<jobmanager>`).
 */
import { contractNames, jobCodec } from "../../shared/contract/index.ts";
import type { StoredJob } from "../jobs/index.ts";
import { decodeStoredJob, jobArchiveKey } from "../jobs/job-archive.ts";

/** The Redis reads the source makes (an ioredis client fits). */
export interface ArchiveReader {
  get(key: string): Promise<string | null>;
}

export type JobLookup =
  | { readonly kind: "job"; readonly job: StoredJob }
  | { readonly kind: "missing" }
  /** The archive holds something that does not decode (a newer core's format?): cannot check against it. */
  | { readonly kind: "corrupt"; readonly message: string };

export interface AuditJobSource {
  /** Rejects on a Redis error (the gate retries the entry later). */
  lookup(jobId: string): Promise<JobLookup>;
  /** For an id `lookup` found missing: true when the core cannot have issued it (see the module note). */
  neverIssued(jobId: string, jobmanager: string): Promise<boolean>;
  /** Decoded jobs held in memory. */
  readonly cached: number;
}

export interface ArchivedJobSourceOptions {
  readonly redis: ArchiveReader;
  readonly prefix: string;
  /** The publisher's archive TTL (core/app.ts JOB_ARCHIVE_TTL_MS). */
  readonly archiveTtlMs: number;
  /** Decoded jobs kept (each holds the template's transactions: a few MB on a busy chain). Default 64. */
  readonly maxJobs?: number;
  /** How long a miss is remembered. Default 2 s. */
  readonly missTtlMs?: number;
  /**
   * Slack for "must still be archived": publication after creation, clocks of successive leaders,
   * issue order vs publication order. Default 60 s.
   */
  readonly marginMs?: number;
  /** The core's own jobs in memory, looked up before the archive (a core without the archive has only these). */
  readonly local?: (jobId: string) => StoredJob | undefined;
  readonly now?: () => number;
}

/** Ids this core's JobIdAllocator makes: 12 hex digits of boot ms, 8 of counter. Lexical order = issue order. */
const ISSUED_ID = /^[0-9a-f]{20}$/;
const MAX_MISSES = 4096;
const MAX_KNOWN = 4096;

export class ArchivedJobSource implements AuditJobSource {
  private readonly jobs = new Map<string, StoredJob>();
  private readonly misses = new Map<string, number>();
  private readonly pending = new Map<string, Promise<JobLookup>>();
  /** Issued jobs (id, createdAt), ascending by id; pruned once their archive entry may be gone. */
  private known: { id: string; createdAt: number }[] = [];
  private readonly latestRead = new Map<string, number>();
  private readonly maxJobs: number;
  private readonly missTtlMs: number;
  private readonly marginMs: number;
  private readonly now: () => number;

  constructor(private readonly o: ArchivedJobSourceOptions) {
    if (!(o.archiveTtlMs > 0)) throw new RangeError(`ArchivedJobSource: expected archiveTtlMs > 0, got ${o.archiveTtlMs}`);
    this.maxJobs = o.maxJobs ?? 64;
    this.missTtlMs = o.missTtlMs ?? 2000;
    this.marginMs = o.marginMs ?? 60_000;
    this.now = o.now ?? Date.now;
  }

  get cached(): number {
    return this.jobs.size;
  }

  lookup(jobId: string): Promise<JobLookup> {
    const hit = this.jobs.get(jobId);
    if (hit) {
      // LRU: a Map iterates in insertion order, so re-inserting marks it most recent.
      this.jobs.delete(jobId);
      this.jobs.set(jobId, hit);
      return Promise.resolve({ kind: "job", job: hit });
    }
    const local = this.o.local?.(jobId);
    if (local) {
      this.remember(local);
      return Promise.resolve({ kind: "job", job: local });
    }
    const missUntil = this.misses.get(jobId);
    if (missUntil !== undefined) {
      if (missUntil > this.now()) return Promise.resolve({ kind: "missing" });
      this.misses.delete(jobId);
    }
    // Concurrent audits of one job (several edges' batches) share one GET.
    let p = this.pending.get(jobId);
    if (!p) {
      p = this.fetch(jobId).finally(() => this.pending.delete(jobId));
      this.pending.set(jobId, p);
    }
    return p;
  }

  async neverIssued(jobId: string, jobmanager: string): Promise<boolean> {
    // The core issues no other shape of id.
    if (!ISSUED_ID.test(jobId)) return true;
    if (this.issuedBefore(jobId)) return true;
    await this.readLatest(jobmanager);
    return this.issuedBefore(jobId);
  }

  private async fetch(jobId: string): Promise<JobLookup> {
    const raw = await this.o.redis.get(jobArchiveKey(this.o.prefix, jobId));
    if (raw === null) {
      if (this.misses.size >= MAX_MISSES) this.misses.clear();
      this.misses.set(jobId, this.now() + this.missTtlMs);
      return { kind: "missing" };
    }
    let job: StoredJob;
    try {
      job = decodeStoredJob(raw);
    } catch (e) {
      return { kind: "corrupt", message: (e as Error).message };
    }
    // The key names the job: an entry under another id is not this job.
    if (job.job.id !== jobId) return { kind: "corrupt", message: `archive entry of ${jobId} holds job ${job.job.id}` };
    this.remember(job);
    return { kind: "job", job };
  }

  private remember(job: StoredJob): void {
    this.jobs.set(job.job.id, job);
    while (this.jobs.size > this.maxJobs) this.jobs.delete(this.jobs.keys().next().value!);
    this.learn(job.job.id, job.job.createdAt);
  }

  /** Notes an issued job's id and creation time (kept sorted by id, few entries). */
  private learn(id: string, createdAt: number): void {
    if (!ISSUED_ID.test(id)) return;
    const k = this.known;
    let i = k.length;
    while (i > 0 && k[i - 1]!.id > id) i--;
    if (i > 0 && k[i - 1]!.id === id) return;
    k.splice(i, 0, { id, createdAt });
    if (k.length > MAX_KNOWN) k.shift();
  }

  /** True when an issued job older than `jobId` must still be archived. */
  private issuedBefore(jobId: string): boolean {
    const deadline = this.now() - this.o.archiveTtlMs + this.marginMs;
    // Entries created before `deadline` may have expired: they decide nothing any more.
    this.known = this.known.filter((k) => k.createdAt > deadline);
    const first = this.known[0];
    return first !== undefined && first.id < jobId;
  }

  /** The jobmanager's latest published job, read at most once a second per jobmanager. */
  private async readLatest(jobmanager: string): Promise<void> {
    const now = this.now();
    if ((this.latestRead.get(jobmanager) ?? -Infinity) > now - 1000) return;
    if (this.latestRead.size >= MAX_MISSES) this.latestRead.clear();
    this.latestRead.set(jobmanager, now);
    const raw = await this.o.redis.get(contractNames(this.o.prefix).latestJob(jobmanager));
    if (raw === null) return;
    try {
      const job = jobCodec.decode(raw);
      this.learn(job.id, job.createdAt);
    } catch {
      // Not a job we can read: it decides nothing.
    }
  }
}
