/**
 * @module Jobs → Redis, in generation order (spec §15 item 14: every job delivered, in order).
 *
 * Each job is one XADD to the jobmanager's job stream (trimmed to about `maxLen` entries) and a SET
 * of its latest-job key, in one MULTI so an edge never sees the key ahead of or behind the stream.
 * Redis Cluster refuses a MULTI across slots, so there the two commands go one after the other
 * (edges follow the stream and read the key only when the stream is empty).
 *
 * Redis trouble is handled here: the head job is retried every `retryMs`, one log line when
 * publishing starts failing (or stalls) and one when it works again. When more jobs wait than a
 * healthy Redis ever lets pile up (64: it is away or stalled), the queue keeps the job being written,
 * the last flush job and what follows it: edges that return get clean work, and memory stays bounded.
 */
import { Cluster } from "ioredis";
import { contractNames, jobCodec, MESSAGE_FIELD, type ContractNames, type JobV1 } from "../../shared/contract/index.ts";
import type { Logger } from "../../shared/log.ts";
import type { RedisClient } from "../../shared/redis.ts";
import { fencedTx } from "../leader/fence.ts";
import type { StoredJob } from "./build-job.ts";
import { encodeStoredJob, jobArchiveKey } from "./job-archive.ts";

export const DEFAULT_JOB_STREAM_MAXLEN = 2000;
const MAX_QUEUED = 64;
const SLOW_MS = 5000;

export interface JobPublisherOptions {
  readonly redis: RedisClient;
  /** `redis.prefix`. */
  readonly prefix: string;
  readonly log: Logger;
  readonly maxLen?: number;
  readonly retryMs?: number;
  /** A write unanswered this long counts as failing (ioredis queues commands while it reconnects); default 5000 ms. */
  readonly slowMs?: number;
  /** Keep each job's rebuild data in Redis this long (job-archive.ts: a core taking over submits blocks on its predecessor's jobs); off when absent. */
  readonly archiveTtlMs?: number;
}

interface Pending {
  readonly job: JobV1;
  /** The job as the core holds it, archived with the publication when `archiveTtlMs` is set. */
  readonly stored: StoredJob | undefined;
  readonly done: (published: boolean) => void;
}

export class JobPublisher {
  private readonly names: ContractNames;
  private readonly queue: Pending[] = [];
  private draining: Promise<void> | null = null;
  private failing: string | null = null;
  private stopped = false;

  constructor(private readonly o: JobPublisherOptions) {
    this.names = contractNames(o.prefix);
  }

  /** Queues a job; resolves true once it is in Redis, false if it was superseded during an outage or stop() came first. */
  publish(job: JobV1, stored?: StoredJob): Promise<boolean> {
    if (this.stopped) return Promise.resolve(false);
    return new Promise((done) => {
      this.queue.push({ job, stored, done });
      this.collapse();
      // `draining` is cleared inside drain() in the same tick its loop sees the queue empty, so a job
      // queued by a caller resumed from the last done() always finds either the loop or no loop.
      this.draining ??= this.drain();
    });
  }

  /** The jobmanager's latest published job (an earlier run's, at start-up), or null. */
  async latest(jobmanager: string): Promise<JobV1 | null> {
    const raw = await this.o.redis.get(this.names.latestJob(jobmanager));
    if (raw === null) return null;
    try {
      return jobCodec.decode(raw);
    } catch (e) {
      this.o.log.warn(`${this.names.latestJob(jobmanager)} holds no valid job: ${(e as Error).message}`);
      return null;
    }
  }

  /** Stops retrying; jobs still queued after `timeoutMs` resolve false. */
  async stop(timeoutMs = 2000): Promise<void> {
    if (this.draining) await Promise.race([this.draining, Bun.sleep(timeoutMs)]);
    this.stopped = true;
    for (const p of this.queue.splice(0)) p.done(false);
  }

  get queued(): number {
    return this.queue.length;
  }

  /** Never throws (write errors are retried), so `draining` is always cleared. */
  private async drain(): Promise<void> {
    while (!this.stopped && this.queue.length > 0) {
      const head = this.queue[0]!;
      const slowMs = this.o.slowMs ?? SLOW_MS;
      const slow = setTimeout(() => this.fail(`no answer from Redis for ${slowMs} ms`), slowMs);
      try {
        await this.write(head.job, head.stored);
        clearTimeout(slow);
        if (this.failing !== null) this.o.log.info(`job publishing works again`, { queued: this.queue.length - 1 });
        this.failing = null;
        this.queue.shift();
        head.done(true);
      } catch (e) {
        clearTimeout(slow);
        this.fail((e as Error).message);
        await Bun.sleep(this.o.retryMs ?? 500);
      }
    }
    this.draining = null;
  }

  private fail(reason: string): void {
    if (this.failing === null) this.o.log.error(`job publishing to Redis is failing: ${reason}; retrying, newest work kept`, { queued: this.queue.length });
    this.failing = reason;
  }

  private async write(job: JobV1, stored: StoredJob | undefined): Promise<void> {
    const stream = this.names.jobStream(job.jobmanager);
    const key = this.names.latestJob(job.jobmanager);
    const encoded = jobCodec.encode(job);
    const maxLen = this.o.maxLen ?? DEFAULT_JOB_STREAM_MAXLEN;
    const archive = stored && this.o.archiveTtlMs ? ([jobArchiveKey(this.o.prefix, job.id), encodeStoredJob(stored)] as const) : null;
    if (this.o.redis instanceof Cluster) {
      if (archive) await this.o.redis.set(archive[0], archive[1], "PX", this.o.archiveTtlMs!);
      await this.o.redis.xadd(stream, "MAXLEN", "~", maxLen, "*", MESSAGE_FIELD, encoded);
      await this.o.redis.set(key, encoded);
      return;
    }
    // fencedTx: a MULTI, or under a leader fence one script that refuses a deposed core's job.
    const tx = fencedTx(this.o.redis);
    if (archive) tx.call("SET", archive[0], archive[1], "PX", this.o.archiveTtlMs!);
    const replies = await tx.call("XADD", stream, "MAXLEN", "~", maxLen, "*", MESSAGE_FIELD, encoded).call("SET", key, encoded).exec();
    if (replies === null) throw new Error(`MULTI for ${stream}: expected replies, got an aborted transaction`);
    for (const [err] of replies) if (err) throw err;
  }

  /** Over MAX_QUEUED (an outage): drop what a later flush job supersedes, then cap the queue (newest kept). */
  private collapse(): void {
    if (this.queue.length <= MAX_QUEUED) return;
    const head = this.queue[0]!;
    let lastFlush = -1;
    for (let i = this.queue.length - 1; i > 0; i--)
      if (this.queue[i]!.job.type === 0) {
        lastFlush = i;
        break;
      }
    // The head may be mid-write: it stays. Everything between it and the last flush job is stale work.
    const dropped = lastFlush > 1 ? this.queue.splice(1, lastFlush - 1) : [];
    const over = this.queue.length - MAX_QUEUED;
    if (over > 0) {
      const flushAt = this.queue.findIndex((p, i) => i > 0 && p.job.type === 0);
      const from = flushAt === 1 ? 2 : 1;
      dropped.push(...this.queue.splice(from, over));
    }
    for (const p of dropped) p.done(false);
    if (dropped.length > 0) this.o.log.debug(`dropped ${dropped.length} unpublished jobs superseded during the Redis outage`, { head: head.job.id });
  }
}
