/**
 * @module A Celery reporter's durable outbox: ready-to-send broker messages in a Redis list on the
 * accounting Redis (contractNames().reporterOutbox), moved to the broker's queue by one drain loop.
 *
 * Share and agent tasks enter the outbox in the same MULTI that acknowledges their stream entries
 * (so the stream → outbox step is exactly once); found blocks are pushed here as soon as they are
 * recorded. The drain copies a batch to the broker (one LPUSH, order kept: workers BRPOP the other
 * end), then trims it from the outbox. That step is at-least-once: a crash between the two resends
 * that batch (SimpleCoin would count it twice); nothing is ever dropped.
 *
 * A failing broker (or Redis) is retried with exponential back-off up to `maxBackoffMs`: one log
 * line when failing starts, one when it recovers, never a hot loop (spec §15 item 32). Several
 * cores may share a reporter: a short lease picks the one that drains.
 */
import type Redis from "ioredis";
import type { Logger } from "../../../shared/log.ts";
import { defineScript, type ScriptRunner } from "../../accounting/scripts.ts";
import { Backoff } from "../../ingest/backoff.ts";
import { fencedTx } from "../../leader/fence.ts";

export interface OutboxOptions {
  /** The accounting Redis, which holds the outbox list. */
  readonly redis: Redis;
  /** The Celery broker. Commands should fail fast while it is away (no offline queue). */
  readonly broker: Redis;
  readonly outboxKey: string;
  readonly leaseKey: string;
  /** Broker list (Celery queue) the messages go to. */
  readonly queue: string;
  /** This core's name, the lease holder. */
  readonly owner: string;
  readonly log: Logger;
  readonly tuning?: Partial<OutboxTuning>;
}

export interface OutboxTuning {
  /** Messages per broker write. */
  readonly batch: number;
  /** Look at the outbox this often when idle (another core may fill it). */
  readonly pollMs: number;
  readonly minBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly leaseMs: number;
}

export const DEFAULT_OUTBOX_TUNING: OutboxTuning = { batch: 500, pollMs: 1000, minBackoffMs: 200, maxBackoffMs: 30_000, leaseMs: 30_000 };

export interface OutboxStatus {
  /** Messages waiting: the outbox list as last seen plus any not yet written to it. */
  readonly queued: number;
  /** Messages written to the broker since start. */
  readonly sent: number;
  /** ms since the epoch when sending started failing; null while it works. */
  readonly failingSince: number | null;
  readonly lastError: string | null;
  /** Whether this core holds the drain lease. */
  readonly draining: boolean;
}

const LEASE_LUA = `
local v = redis.call('GET', KEYS[1])
if v == false or v == ARGV[1] then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0
`;
const RELEASE_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

export class Outbox {
  private readonly tuning: OutboxTuning;
  private readonly backoff: Backoff;
  private readonly lease: ScriptRunner;
  private readonly release: ScriptRunner;
  /** Messages not yet in the Redis list (a block recorded while Redis was away). */
  private memory: string[] = [];
  private listLength = 0;
  private sent = 0;
  private failingSince: number | null = null;
  private lastError: string | null = null;
  private leased = false;
  private stopping = false;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private wakeIdle: (() => void) | undefined;

  constructor(private readonly o: OutboxOptions) {
    this.tuning = { ...DEFAULT_OUTBOX_TUNING, ...o.tuning };
    this.backoff = new Backoff(o.log, `sending to the celery broker (queue ${o.queue})`, this.tuning.minBackoffMs, this.tuning.maxBackoffMs);
    this.lease = defineScript(o.redis, "ppReporterLease", LEASE_LUA);
    this.release = defineScript(o.redis, "ppReporterRelease", RELEASE_LUA);
  }

  /** Queues messages (a block): written to the Redis list by the drain loop, first thing. */
  push(messages: readonly string[]): void {
    if (this.stopped) {
      // A block recorded while the core shuts down: straight into the durable outbox for the next start.
      this.save(messages).catch((e: unknown) => this.o.log.error(`${messages.length} celery messages (found blocks) could not be saved to the outbox and are lost`, { error: String(e), messages: messages.join("\n") }));
      return;
    }
    this.memory.push(...messages);
    this.wakeIdle?.();
  }

  /** Says the list has new messages (a checkpoint wrote some; `length` is the list's length RPUSH answered). */
  written(length: number): void {
    this.listLength = Math.max(this.listLength, length);
    // Out of an idle wait, not out of a back-off pause: new tasks do not bring the broker back.
    this.wakeIdle?.();
  }

  /** RPUSH to the outbox list (refused for a deposed core: core/leader/fence.ts); the list's new length. */
  private async save(messages: readonly string[]): Promise<number> {
    const results = await fencedTx(this.o.redis).call("RPUSH", this.o.outboxKey, ...messages).exec();
    const [err, length] = results?.[0] ?? [new Error("outbox RPUSH: expected a reply, got an aborted transaction"), null];
    if (err) throw err;
    return Number(length);
  }

  /** Wakes the drain loop, also out of a back-off pause (stopping). */
  private wake(): void {
    this.wakeIdle?.();
    this.backoff.wake();
  }

  status(): OutboxStatus {
    return { queued: this.listLength + this.memory.length, sent: this.sent, failingSince: this.failingSince, lastError: this.lastError, draining: this.leased };
  }

  start(): void {
    this.loop ??= this.run();
  }

  /**
   * Stops after sending what it can within `deadlineMs`. What is left stays in the outbox for the
   * next start; messages that never reached Redis are logged (they are lost only if Redis and the
   * broker were both unreachable for the whole time).
   */
  async stop(deadlineMs: number): Promise<void> {
    const until = Date.now() + deadlineMs;
    while (Date.now() < until && this.failingSince === null && (this.memory.length > 0 || (this.leased && this.listLength > 0))) {
      this.wake();
      await Bun.sleep(20);
    }
    this.stopping = true;
    this.wake();
    // A step waiting on an unreachable Redis is abandoned: each of its writes is atomic.
    await Promise.race([this.loop, Bun.sleep(Math.max(0, until - Date.now()) + 1000)]);
    // From here on, push() writes straight to the Redis list.
    this.stopped = true;
    if (this.memory.length > 0) {
      try {
        const saved = await Promise.race([this.save(this.memory), Bun.sleep(1000).then(() => null)]);
        if (saved === null) throw new Error("no answer from Redis");
        this.memory = [];
      } catch (e) {
        this.o.log.error(`${this.memory.length} celery messages (found blocks) could not be saved to the outbox and are lost`, { error: String(e), messages: this.memory.join("\n") });
      }
    }
    if (this.leased) await Promise.race([this.release([this.o.leaseKey], [this.o.owner]).catch(() => undefined), Bun.sleep(1000)]);
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      try {
        const busy = await this.step();
        this.backoff.ok();
        this.failingSince = null;
        this.lastError = null;
        if (!busy) await this.idle();
      } catch (e) {
        if (this.stopping) break;
        this.failingSince ??= Date.now();
        this.lastError = e instanceof Error ? e.message : String(e);
        await this.backoff.failed(e);
      }
    }
  }

  /** One move; true when it sent something (look again at once). */
  private async step(): Promise<boolean> {
    const { redis, broker, outboxKey } = this.o;
    if (this.memory.length > 0) {
      const batch = this.memory.slice();
      this.listLength = await this.save(batch);
      this.memory.splice(0, batch.length);
    }
    this.leased = (await this.lease([this.o.leaseKey], [this.o.owner, this.tuning.leaseMs])) === 1;
    if (!this.leased) {
      this.listLength = await redis.llen(outboxKey);
      return false;
    }
    const items = await redis.lrange(outboxKey, 0, this.tuning.batch - 1);
    if (items.length === 0) {
      this.listLength = 0;
      return false;
    }
    this.listLength = await redis.llen(outboxKey);
    try {
      await broker.lpush(this.o.queue, ...items);
    } catch (e) {
      throw new Error(`celery broker: ${e instanceof Error ? e.message : String(e)}`);
    }
    // Only this lease holder removes from the head; producers append at the tail meanwhile.
    await redis.ltrim(outboxKey, items.length, -1);
    this.sent += items.length;
    this.listLength = await redis.llen(outboxKey);
    return true;
  }

  private idle(): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, this.tuning.pollMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeIdle = () => {
        this.wakeIdle = undefined;
        done();
      };
    });
  }
}
