/**
 * @module One consumer of a consumer group: reads its own pending entries first (left by a previous
 * run under the same name), then new ones with a blocking XREADGROUP, and every `claimEveryMs`
 * takes over entries other consumers left pending longer than `claimIdleMs` (XAUTOCLAIM) — a
 * consumer that died mid-batch. The handler must acknowledge (or dead-letter) every entry it is
 * given; whatever it does not finish stays pending and comes back.
 *
 * Redis errors never end the loop: it backs off, logs once per change of state, and resumes.
 * Blocking reads use their own connection so they never hold up the apply writes.
 */
import type Redis from "ioredis";
import type { Logger } from "../../shared/log.ts";
import { callBuffer } from "../../shared/redis.ts";
import { isFenced } from "../leader/fence.ts";
import { Backoff } from "./backoff.ts";
import { parseAutoClaim, parseReadGroup, type RawEntry } from "./stream-reply.ts";

export type EntryHandler = (entries: RawEntry[]) => Promise<void>;

export interface ConsumerTuning {
  /** Entries per read. */
  readonly count: number;
  readonly blockMs: number;
  /** An entry pending this long with another consumer is taken over. */
  readonly claimIdleMs: number;
  readonly claimEveryMs: number;
}

export const DEFAULT_CONSUMER_TUNING: ConsumerTuning = { count: 32, blockMs: 2000, claimIdleMs: 30_000, claimEveryMs: 5000 };

export interface ConsumerOptions {
  readonly redis: Redis;
  readonly stream: string;
  readonly group: string;
  readonly consumer: string;
  readonly handler: EntryHandler;
  readonly log: Logger;
  readonly tuning?: Partial<ConsumerTuning>;
  /**
   * The core holds the leader lease (core/leader/): every sweep claims what other consumers left
   * pending whatever its idle time — the old leader's unfinished batch, and entries Redis handed a
   * deposed core while it was paused — so they are applied now, not after `claimIdleMs`. Safe
   * because the only other consumers are deposed cores, whose writes are fenced.
   */
  readonly takeover?: boolean;
}

export interface ConsumerStatus {
  readonly stream: string;
  readonly group: string;
  readonly consumer: string;
  readonly state: "starting" | "running" | "retrying" | "stopped";
  readonly lastError: string | undefined;
  /** Entries handed to the handler since start. */
  readonly entries: number;
  readonly lastEntryAt: number | null;
}

export class StreamConsumer {
  private readonly tuning: ConsumerTuning;
  private readonly reader: Redis;
  private readonly backoff: Backoff;
  private stopping = false;
  private loop: Promise<void> | undefined;
  private groupReady = false;
  /** Where the read of our own pending entries continues; null once it is done. */
  private historyFrom: string | null = "0";
  private nextClaimAt = 0;
  private readonly takeover: boolean;
  private state: ConsumerStatus["state"] = "starting";
  private entries = 0;
  private lastEntryAt: number | null = null;

  constructor(private readonly opts: ConsumerOptions) {
    this.tuning = { ...DEFAULT_CONSUMER_TUNING, ...opts.tuning };
    this.takeover = opts.takeover ?? false;
    this.reader = opts.redis.duplicate({ connectionName: `${opts.consumer}:reader` });
    this.backoff = new Backoff(opts.log, `${opts.stream} consumer ${opts.consumer}`);
    // Without a listener ioredis prints every reconnect error; log the change of state once instead.
    let down = false;
    this.reader.on("error", (e: Error) => {
      if (!down && !this.stopping) opts.log.warn(`redis connection lost; reads wait for it to return`, { error: e.message });
      down = true;
    });
    this.reader.on("ready", () => {
      if (down) opts.log.info("redis connection back");
      down = false;
    });
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Stops reading; waits up to `timeoutMs` for the entries in hand (they stay pending if abandoned). */
  async stop(timeoutMs = 5000): Promise<void> {
    this.stopping = true;
    this.backoff.wake();
    // A read queued while the connection was down never settles once disconnect() ends its
    // reconnecting (ioredis): do not wait for it then. Unfinished entries stay pending.
    const readerUp = this.reader.status === "ready";
    this.reader.disconnect();
    if (this.loop) await Promise.race([this.loop, Bun.sleep(readerUp ? timeoutMs : Math.min(timeoutMs, 200))]);
    this.state = "stopped";
  }

  status(): ConsumerStatus {
    const { stream, group, consumer } = this.opts;
    return { stream, group, consumer, state: this.state, lastError: this.backoff.lastError, entries: this.entries, lastEntryAt: this.lastEntryAt };
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      try {
        await this.step();
        this.backoff.ok();
        this.state = "running";
      } catch (e) {
        if (this.stopping) break;
        if (isFenced(e)) {
          // Deposed (core/leader/): no write of this core can succeed again; the leader claims what we held.
          this.opts.log.warn(`this core is no longer the leader: ${this.opts.stream} reads stop; the leader claims what was pending here`);
          break;
        }
        // Whatever we held is still pending under our name: read it again first.
        this.historyFrom = "0";
        if (e instanceof Error && e.message.startsWith("NOGROUP")) this.groupReady = false;
        this.state = "retrying";
        await this.backoff.failed(e);
      }
    }
  }

  private async step(): Promise<void> {
    const { stream, group, consumer, redis } = this.opts;
    if (!this.groupReady) {
      // From 0: entries added before the group existed are shares too.
      await redis.call("XGROUP", "CREATE", stream, group, "0", "MKSTREAM").catch((e: unknown) => {
        if (!(e instanceof Error && e.message.startsWith("BUSYGROUP"))) throw e;
      });
      this.groupReady = true;
    }
    if (Date.now() >= this.nextClaimAt) {
      await this.claim();
      this.nextClaimAt = Date.now() + this.tuning.claimEveryMs;
    }
    if (this.historyFrom !== null) {
      const reply = await callBuffer(this.reader, "XREADGROUP", "GROUP", group, consumer, "COUNT", this.tuning.count, "STREAMS", stream, this.historyFrom);
      const entries = parseReadGroup(reply);
      const last = entries[entries.length - 1];
      // Continue after the last one even if the handler left it pending (it comes back via a later pass).
      this.historyFrom = last ? last.id : null;
      await this.handle(entries);
      return;
    }
    const reply = await callBuffer(this.reader, "XREADGROUP", "GROUP", group, consumer, "COUNT", this.tuning.count, "BLOCK", this.tuning.blockMs, "STREAMS", stream, ">");
    await this.handle(parseReadGroup(reply));
  }

  /** Takes over entries idle past the threshold in other consumers' pending lists, one sweep. */
  private async claim(): Promise<void> {
    const { stream, group, consumer } = this.opts;
    let cursor = "0-0";
    const idle = this.takeover ? 0 : this.tuning.claimIdleMs;
    do {
      const reply = await callBuffer(this.opts.redis, "XAUTOCLAIM", stream, group, consumer, idle, cursor, "COUNT", this.tuning.count);
      const { next, entries } = parseAutoClaim(reply);
      if (entries.length > 0) this.opts.log.info(this.takeover ? `took over ${entries.length} entries a previous leader left pending` : `took over ${entries.length} entries idle for over ${idle} ms (a consumer stopped mid-batch)`);
      await this.handle(entries);
      cursor = next;
    } while (cursor !== "0-0" && !this.stopping);
  }

  private async handle(entries: RawEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.opts.handler(entries);
    this.entries += entries.length;
    this.lastEntryAt = Date.now();
  }
}
