/**
 * @module PowerPool's CeleryReporter for SimpleCoin 0.7 (spec §8.3) on the core. It reads the
 * verified share and PPAgent streams (what the gate, core/gate/, passed on) through its OWN consumer groups (its own cursor: a broker
 * outage never holds up the Redis accounting or the edges), keeps the original's batching in
 * memory (celery/aggregate.ts), and at each checkpoint writes the tasks to its durable outbox and
 * acknowledges the entries they carry in one MULTI. The outbox drains to the broker with retry
 * (celery/outbox.ts). Found blocks go straight to the outbox.
 *
 * Delivery is at-least-once: a crash loses the in-memory batches, but their entries were not
 * acknowledged, so they are read again; a crash between a broker write and its outbox trim resends
 * that batch.
 */
import type Redis from "ioredis";
import { agentRecordCodec, contractNames, decodeShareBatch, type ShareRecordV1 } from "../../../shared/contract/index.ts";
import type { ReporterConfig } from "../../../shared/config/schema.ts";
import type { Logger } from "../../../shared/log.ts";
import { connectRedis } from "../../../shared/redis.ts";
import type { BlockRecord } from "../../accounting/index.ts";
import type { PoolReport } from "../../accounting/routing.ts";
import { Backoff } from "../../ingest/backoff.ts";
import { fencedTx } from "../../leader/fence.ts";
import { StreamConsumer, type ConsumerTuning } from "../../ingest/index.ts";
import type { RawEntry } from "../../ingest/stream-reply.ts";
import type { Reporter } from "../types.ts";
import { ShareAggregator } from "./aggregate.ts";
import { encodeCeleryMessage, type CeleryTask } from "./message.ts";
import { Outbox, type OutboxTuning } from "./outbox.ts";
import { addBlockTask, agentReceiveTask } from "./tasks.ts";

export type CeleryReporterConfig = Extract<ReporterConfig, { type: "celery" }>;

export interface CeleryTuning {
  /** Bucket width in seconds: 60 in production (SimpleCoin's minute); tests shorten it. */
  readonly minuteSeconds: number;
  /** A minute is reported this long after it ends, for shares still on their way (PowerPool: ~1 s). */
  readonly graceMs: number;
  /** Time `stop()` gives the outbox to reach the broker. */
  readonly stopDrainMs: number;
  readonly outbox: Partial<OutboxTuning>;
  readonly consumer: Partial<ConsumerTuning>;
}

export const DEFAULT_CELERY_TUNING: Omit<CeleryTuning, "outbox" | "consumer"> = { minuteSeconds: 60, graceMs: 1000, stopDrainMs: 5000 };

export interface CeleryReporterOptions {
  readonly key: string;
  readonly config: CeleryReporterConfig;
  /** The accounting Redis (the streams and the outbox). */
  readonly redis: Redis;
  /** `redis.prefix`. */
  readonly prefix: string;
  /** Consumer name in the reporter's groups and the drain lease (stable across restarts). */
  readonly consumer: string;
  /** `headers.origin` of the messages. */
  readonly origin: string;
  /** Stratum ports whose shares this reporter reports. */
  readonly ports: ReadonlySet<string>;
  /** Why a share record cannot be reported (core/accounting/record-check.ts), or undefined; the accounting dead-letters those. */
  readonly checkRecord?: (r: ShareRecordV1) => string | undefined;
  readonly poolReports: readonly PoolReport[];
  readonly log: Logger;
  readonly tuning?: Partial<CeleryTuning>;
}

export interface CeleryReporterStatus {
  /** Tasks waiting for the broker (the outbox). */
  readonly queue_size: number;
  /** Addresses with valid shares not yet sent in an add_share. */
  readonly unrep_shares: number;
  /** One-minute aggregates not yet reported. */
  readonly open_minutes: number;
  /** Tasks handed to the broker since start. */
  readonly sent: number;
  /** Tasks queued (outbox) since start. */
  readonly queued: number;
  /** ISO time sending started failing, or null. */
  readonly failing_since: string | null;
  readonly last_error: string | null;
  readonly broker_connected: boolean;
}

export class CeleryReporter implements Reporter {
  readonly type = "celery" as const;
  readonly key: string;
  private readonly tuning: Omit<CeleryTuning, "outbox" | "consumer"> & Pick<CeleryTuning, "outbox" | "consumer">;
  private readonly broker: Redis;
  private readonly outbox: Outbox;
  private readonly aggregator: ShareAggregator;
  private readonly shares: StreamConsumer;
  private readonly agent: StreamConsumer;
  private readonly names: ReturnType<typeof contractNames>;
  private readonly group: string;
  private readonly checkpointBackoff: Backoff;
  /** Serialises aggregation and checkpoints (nothing may be added between a checkpoint and its commit). */
  private lock: Promise<unknown> = Promise.resolve();
  /** Ids acknowledged by the last two checkpoints: an entry read again just before its ack is not counted twice. */
  private recentlyAcked: [Set<string>, Set<string>] = [new Set(), new Set()];
  private queued = 0;
  private checkpointError: string | null = null;
  private checkpointFailingSince: number | null = null;
  private stopping = false;
  private timerLoop: Promise<void> | undefined;
  private wakeTimer: (() => void) | undefined;
  private warnedBad = false;

  constructor(private readonly o: CeleryReporterOptions) {
    this.key = o.key;
    this.tuning = { ...DEFAULT_CELERY_TUNING, outbox: {}, consumer: {}, ...o.tuning };
    this.names = contractNames(o.prefix);
    this.group = this.names.reporterGroup(o.key);
    // Fail fast while the broker is away (the outbox retries); never queue commands in memory.
    this.broker = connectRedis(
      { url: o.config.broker, prefix: "" },
      { name: `${o.consumer}:celery:${o.key}`, overrides: { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 10_000, enableAutoPipelining: false, retryStrategy: (n) => Math.min(200 * 2 ** Math.min(n, 5), 5000) } },
    ) as Redis;
    // The outbox's back-off logs the outage once; ioredis would print every reconnect attempt.
    this.broker.on("error", () => undefined);
    this.outbox = new Outbox({ redis: o.redis, broker: this.broker, outboxKey: this.names.reporterOutbox(o.key), leaseKey: this.names.reporterDrainLease(o.key), queue: o.config.queue, owner: o.consumer, log: o.log, tuning: this.tuning.outbox });
    this.aggregator = new ShareAggregator({ taskPrefix: o.config.celery_task_prefix, poolReports: o.poolReports, shareBatchSeconds: o.config.share_batch_interval, minuteSeconds: this.tuning.minuteSeconds });
    this.checkpointBackoff = new Backoff(o.log, `celery reporter ${o.key}: writing its outbox`, 200, 30_000);
    // Entries stay pending with this consumer until their minute and add_share batch are reported:
    // another core's consumer must not take them over before that.
    const holdMs = (this.tuning.minuteSeconds + o.config.share_batch_interval) * 2000 + 60_000;
    const consumerTuning = { claimIdleMs: holdMs, ...this.tuning.consumer };
    this.shares = new StreamConsumer({ redis: o.redis, stream: this.names.verifiedShareStream, group: this.group, consumer: o.consumer, log: o.log.child("shares"), tuning: consumerTuning, handler: (e) => this.onShareEntries(e) });
    this.agent = new StreamConsumer({ redis: o.redis, stream: this.names.verifiedAgentStream, group: this.group, consumer: o.consumer, log: o.log.child("agent"), tuning: consumerTuning, handler: (e) => this.onAgentEntries(e) });
  }

  async start(): Promise<void> {
    // A first connection before reading, so a broker that is simply slow to answer is not logged as failing.
    await Promise.race([new Promise<void>((resolve) => this.broker.once("ready", () => resolve())), Bun.sleep(2000)]);
    this.outbox.start();
    this.shares.start();
    this.agent.start();
    this.timerLoop = this.runTimer();
  }

  recordBlock(b: BlockRecord, seen: Set<string>): void {
    if (seen.has(this.key)) return;
    seen.add(this.key);
    try {
      this.outbox.push([this.encode(addBlockTask(this.o.config.celery_task_prefix, b))]);
      this.queued++;
      this.o.log.info(`add_block queued for ${b.merged ? `merged ${b.currency}` : b.currency} block ${b.hash} at height ${b.height}`);
    } catch (e) {
      this.o.log.error(`could not build add_block for block ${b.hash}`, { error: e instanceof Error ? e.message : String(e) });
    }
  }

  status(): CeleryReporterStatus {
    const out = this.outbox.status();
    const since = out.failingSince ?? this.checkpointFailingSince;
    return {
      queue_size: out.queued,
      unrep_shares: this.aggregator.unreportedAddresses,
      open_minutes: this.aggregator.openBuckets,
      sent: out.sent,
      queued: this.queued,
      failing_since: since === null ? null : new Date(since).toISOString(),
      last_error: out.lastError ?? this.checkpointError,
      broker_connected: this.broker.status === "ready",
    };
  }

  /** Stops reading, reports everything held (the current minute and add_share batch too), then gives the outbox `stopDrainMs` to reach the broker. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all([this.shares.stop(), this.agent.stop()]);
    this.wakeTimer?.();
    this.checkpointBackoff.wake();
    await Promise.race([this.timerLoop, Bun.sleep(this.tuning.stopDrainMs)]);
    try {
      // Bounded: with Redis away the write would wait for it. The MULTI is atomic, so giving up
      // leaves the entries pending (reported after a restart) or, if it lands later, done.
      const done = await Promise.race([this.serial(() => this.checkpoint(true)).then(() => true), Bun.sleep(this.tuning.stopDrainMs).then(() => false)]);
      if (!done) throw new Error(`no answer from Redis within ${this.tuning.stopDrainMs} ms`);
    } catch (e) {
      this.o.log.warn(`final report could not be written to the outbox; its stream entries stay pending and are reported after a restart`, { error: e instanceof Error ? e.message : String(e) });
    }
    await this.outbox.stop(this.tuning.stopDrainMs);
    const left = this.outbox.status().queued;
    if (left > 0) this.o.log.warn(`${left} celery tasks remain in the outbox; they are sent after the next start`);
    this.broker.disconnect();
  }

  private encode(task: CeleryTask): string {
    return encodeCeleryMessage(task, { queue: this.o.config.queue, origin: this.o.origin });
  }

  private serial<T>(fn: () => Promise<T> | T): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  private wasAcked(id: string): boolean {
    return this.recentlyAcked[0].has(id) || this.recentlyAcked[1].has(id);
  }

  private async onShareEntries(entries: RawEntry[]): Promise<void> {
    await this.serial(async () => {
      const now = Date.now();
      const ackNow: string[] = [];
      for (const entry of entries) {
        if (this.aggregator.holds(entry.id) || this.wasAcked(entry.id)) continue;
        const records = this.routedRecords(entry);
        if (records === null || records.length === 0) ackNow.push(entry.id);
        else this.aggregator.addEntry(entry.id, records, now);
      }
      if (ackNow.length > 0) {
        const [err] = (await fencedTx(this.o.redis).call("XACK", this.names.verifiedShareStream, this.group, ...ackNow).exec())?.[0] ?? [null];
        if (err) throw err;
      }
    });
    this.wakeTimer?.();
  }

  /** This reporter's records of an entry; null when the entry is unusable (the accounting group dead-letters it). */
  private routedRecords(entry: RawEntry): ShareRecordV1[] | null {
    if (entry.deleted || !entry.message) {
      this.o.log.error(`share entry ${entry.id} was ${entry.deleted ? "trimmed from the stream" : "empty"} before this reporter read it; its shares are not reported to celery`);
      return null;
    }
    try {
      const check = this.o.checkRecord;
      return decodeShareBatch(entry.message).records.filter((r) => this.o.ports.has(r.port) && (check === undefined || check(r) === undefined));
    } catch (e) {
      if (!this.warnedBad) this.o.log.warn(`skipping malformed share entries (the accounting dead-letters them), first ${entry.id}`, { error: e instanceof Error ? e.message : String(e) });
      this.warnedBad = true;
      return null;
    }
  }

  /** PPAgent data → agent_receive(address, worker, type, data, stamp), written with the entries' ack. */
  private async onAgentEntries(entries: RawEntry[]): Promise<void> {
    const decoder = new TextDecoder();
    const messages: string[] = [];
    for (const entry of entries) {
      if (entry.deleted || !entry.message) continue;
      try {
        const rec = agentRecordCodec.decode(decoder.decode(entry.message));
        // Records from edges that predate `port` go to every celery reporter.
        if (rec.port !== undefined && !this.o.ports.has(rec.port)) continue;
        messages.push(this.encode(agentReceiveTask(this.o.config.celery_task_prefix, rec)));
      } catch {
        // Malformed: the accounting's agent group dead-letters it with the reason.
      }
    }
    await this.persist(messages, this.names.verifiedAgentStream, entries.map((e) => e.id));
  }

  /** Writes messages to the outbox and acknowledges their entries, atomically. */
  private async persist(messages: readonly string[], stream: string, ackIds: readonly string[]): Promise<void> {
    if (messages.length === 0 && ackIds.length === 0) return;
    const tx = fencedTx(this.o.redis);
    if (messages.length > 0) tx.call("RPUSH", this.names.reporterOutbox(this.key), ...messages);
    if (ackIds.length > 0) tx.call("XACK", stream, this.group, ...ackIds);
    const results = await tx.exec();
    const failed = results?.find(([err]) => err);
    if (!results || failed) throw new Error(`outbox write: expected the MULTI to commit, got ${failed?.[0]?.message ?? "an aborted transaction"}`);
    this.queued += messages.length;
    if (messages.length > 0) this.outbox.written(Number(results[0]?.[1] ?? 0));
  }

  private async checkpoint(final: boolean): Promise<void> {
    const cp = this.aggregator.checkpoint(Date.now(), final);
    if (cp.tasks.length === 0 && cp.ackIds.length === 0) {
      cp.commit(); // moves the next add_share time on
      return;
    }
    await this.persist(cp.tasks.map((t) => this.encode(t)), this.names.verifiedShareStream, cp.ackIds);
    cp.commit();
    this.recentlyAcked = [new Set(cp.ackIds), this.recentlyAcked[0]];
  }

  /** Checkpoints when a minute (plus grace) or the add_share interval is over; retried with back-off. */
  private async runTimer(): Promise<void> {
    while (!this.stopping) {
      const due = this.aggregator.dueAt();
      const wait = due === null ? 1000 : Math.max(0, due + this.tuning.graceMs - Date.now());
      if (wait > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, Math.min(wait, 1000));
          function done() {
            clearTimeout(timer);
            resolve();
          }
          this.wakeTimer = done;
        });
        this.wakeTimer = undefined;
        continue;
      }
      try {
        await this.serial(() => this.checkpoint(false));
        this.checkpointBackoff.ok();
        this.checkpointError = null;
        this.checkpointFailingSince = null;
      } catch (e) {
        if (this.stopping) break;
        this.checkpointFailingSince ??= Date.now();
        this.checkpointError = e instanceof Error ? e.message : String(e);
        await this.checkpointBackoff.failed(e);
      }
    }
  }
}
