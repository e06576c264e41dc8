/**
 * @module The Celery reporter's batching (spec §8.1, §8.3), kept in memory between checkpoints:
 * - one-minute buckets per (user, worker, algo, type) → `add_one_minute`, for the miner and for
 *   every pool report (`pool_report_configs`, with `report_merge` per aux currency), reported once
 *   their minute is over;
 * - valid-share difficulty per address → `add_share`, every `share_batch_interval` seconds
 *   (aligned to the clock, like PowerPool's precise loop) and on shutdown.
 *
 * It also remembers which stream entries fed it, so an entry is acknowledged only by the
 * checkpoint that reports everything it carried (at-least-once: a crash re-reads it).
 *
 * A checkpoint is computed, made durable by the caller, then committed; nothing may be added in
 * between (the caller serialises both).
 */
import { ShareResult, type ShareRecordV1 } from "../../../shared/contract/index.ts";
import type { SimpleCoinShareType } from "../../accounting/keys.ts";
import type { PoolReport } from "../../accounting/routing.ts";
import type { CeleryTask } from "./message.ts";
import { addOneMinuteTask, addShareTask } from "./tasks.ts";

export interface AggregatorOptions {
  /** `celery_task_prefix`. */
  readonly taskPrefix: string;
  readonly poolReports: readonly PoolReport[];
  /** `share_batch_interval`, seconds. */
  readonly shareBatchSeconds: number;
  /** Bucket width; 60 (SimpleCoin's minute) except in tests that cannot wait a minute. */
  readonly minuteSeconds?: number;
}

export interface Checkpoint {
  readonly tasks: CeleryTask[];
  /** Stream entries whose every record the tasks (and earlier checkpoints) report. */
  readonly ackIds: string[];
  /** Forgets what this checkpoint reported; call once its tasks and acknowledgements are durable. */
  commit(): void;
}

interface Bucket {
  readonly user: string;
  readonly worker: string;
  readonly type: SimpleCoinShareType;
  amount: number;
}

interface HeldEntry {
  /** Newest minute it added to; null when it added nothing. */
  lastMinute: number | null;
  /** The add_share generation its valid shares went into; null when it had none. */
  shareGen: number | null;
}

const TYPE_OF: Record<ShareResult, SimpleCoinShareType | undefined> = { 0: "acc", 1: "dup", 2: "low", 3: "stale", 4: undefined };

export class ShareAggregator {
  private readonly minuteS: number;
  private readonly minutes = new Map<number, Map<string, Bucket>>();
  private readonly shares = new Map<string, number>();
  private shareGen = 0;
  private readonly held = new Map<string, HeldEntry>();
  private nextShareFlushMs: number | null = null;

  constructor(private readonly o: AggregatorOptions) {
    this.minuteS = o.minuteSeconds ?? 60;
    if (!(this.minuteS > 0) || !(o.shareBatchSeconds > 0)) throw new RangeError(`ShareAggregator: expected positive intervals, got minute ${this.minuteS} s, share batch ${o.shareBatchSeconds} s`);
  }

  /** Whether the entry is already counted and waiting for a checkpoint (a redelivery). */
  holds(id: string): boolean {
    return this.held.has(id);
  }

  /** Addresses with valid shares not yet sent in an add_share (PowerPool's `unrep_shares`). */
  get unreportedAddresses(): number {
    return this.shares.size;
  }

  /** Open one-minute buckets. */
  get openBuckets(): number {
    let n = 0;
    for (const m of this.minutes.values()) n += m.size;
    return n;
  }

  /** Entries counted and not yet acknowledged. */
  get heldEntries(): number {
    return this.held.size;
  }

  /** Counts an entry's records (already filtered to this reporter's ports). */
  addEntry(id: string, records: readonly ShareRecordV1[], nowMs: number): void {
    if (this.held.has(id)) return;
    const entry: HeldEntry = { lastMinute: null, shareGen: null };
    const current = this.minuteOf(nowMs);
    for (const r of records) {
      const type = TYPE_OF[r.result];
      if (type === undefined) continue;
      // A share stamped in a future minute (an edge's clock ahead) counts in the current one.
      const minute = Math.min(this.minuteOf(r.time), current);
      this.addBucket(minute, r.address, r.worker, r.algo, type, r.difficulty);
      const hasJob = r.jobId !== "";
      for (const pr of this.o.poolReports) {
        this.addBucket(minute, pr.user, pr.worker(r.algo, hasJob ? r.currency : "UNKNOWN"), r.algo, type, r.difficulty);
        if (pr.reportMerge && hasJob) for (const aux of r.aux) this.addBucket(minute, pr.user, pr.worker(r.algo, aux), r.algo, type, r.difficulty);
      }
      entry.lastMinute = Math.max(entry.lastMinute ?? minute, minute);
      if (type === "acc") {
        this.shares.set(r.address, (this.shares.get(r.address) ?? 0) + r.difficulty);
        entry.shareGen = this.shareGen;
      }
    }
    this.held.set(id, entry);
    this.nextShareFlushMs ??= this.nextShareBoundary(nowMs);
  }

  /** When the next checkpoint is due: the end of the oldest open minute or the add_share interval; null when nothing waits. */
  dueAt(): number | null {
    let due: number | null = null;
    for (const stamp of this.minutes.keys()) {
      const end = (stamp + this.minuteS) * 1000;
      if (due === null || end < due) due = end;
    }
    if (this.shares.size > 0 && this.nextShareFlushMs !== null && (due === null || this.nextShareFlushMs < due)) due = this.nextShareFlushMs;
    if (due === null && this.held.size > 0) due = this.nextShareFlushMs ?? 0;
    return due;
  }

  /**
   * Tasks for every minute before `nowMs`'s (all minutes when `final`) and, when the interval is
   * up (or `final`), one add_share per address.
   */
  checkpoint(nowMs: number, final = false): Checkpoint {
    const cutoff = final ? Number.POSITIVE_INFINITY : this.minuteOf(nowMs);
    const tasks: CeleryTask[] = [];
    const stamps: number[] = [];
    for (const [stamp, buckets] of [...this.minutes].sort((a, b) => a[0] - b[0])) {
      if (stamp >= cutoff) continue;
      stamps.push(stamp);
      for (const b of buckets.values()) tasks.push(addOneMinuteTask(this.o.taskPrefix, b.user, b.worker, stamp, b.type, b.amount));
    }
    const flushShares = final || (this.nextShareFlushMs !== null && nowMs >= this.nextShareFlushMs);
    if (flushShares) for (const [address, shares] of this.shares) tasks.push(addShareTask(this.o.taskPrefix, address, shares));
    const ackIds: string[] = [];
    for (const [id, e] of this.held) {
      const minutesDone = e.lastMinute === null || e.lastMinute < cutoff;
      // Its add_share went out in an earlier checkpoint, or goes out in this one.
      const sharesDone = e.shareGen === null || e.shareGen < this.shareGen || flushShares;
      if (minutesDone && sharesDone) ackIds.push(id);
    }
    return {
      tasks,
      ackIds,
      commit: () => {
        for (const s of stamps) this.minutes.delete(s);
        if (flushShares) {
          this.shares.clear();
          this.shareGen++;
          this.nextShareFlushMs = this.nextShareBoundary(nowMs);
        }
        for (const id of ackIds) this.held.delete(id);
      },
    };
  }

  private minuteOf(ms: number): number {
    return Math.floor(ms / 1000 / this.minuteS) * this.minuteS;
  }

  /** The next multiple of the interval after `nowMs` (PowerPool's precise loop). */
  private nextShareBoundary(nowMs: number): number {
    const step = this.o.shareBatchSeconds * 1000;
    return (Math.floor(nowMs / step) + 1) * step;
  }

  private addBucket(minute: number, user: string, worker: string, algo: string, type: SimpleCoinShareType, amount: number): void {
    let m = this.minutes.get(minute);
    if (!m) this.minutes.set(minute, (m = new Map()));
    // JSON of the tuple: no separator can be forged by a worker name.
    const key = JSON.stringify([user, worker, algo, type]);
    const b = m.get(key);
    if (b) b.amount += amount;
    else m.set(key, { user, worker, type, amount });
  }
}
