/**
 * @module The block candidate stream → the submitters, ahead of everything else (spec §15 item 27:
 * submission never waits behind a miner's connection or the share backlog).
 *
 * Its own two Redis connections: one blocked in XREADGROUP on the candidate stream only, one for
 * acks, so share ingestion traffic on the core's main connection cannot delay a block. Consumer
 * group `blockGroup`, created from the stream's start, so candidates written while no core ran are
 * still submitted. At start the entries this consumer name left pending (a crash mid-submit) are
 * read first, and every 5 s entries other consumers left pending are claimed (XAUTOCLAIM): after
 * 30 s idle, or at once when this core holds the leader lease (core/leader/). Each candidate is handled as soon as it arrives, concurrently with others, and acked
 * once handled, whatever the outcome: a malformed one is logged and acked, never retried forever.
 */
import type Redis from "ioredis";
import type { Cluster } from "ioredis";
import { candidateCodec, contractNames, MESSAGE_FIELD, type BlockCandidateV1 } from "../../shared/contract/index.ts";
import type { Logger } from "../../shared/log.ts";
import type { RedisClient } from "../../shared/redis.ts";
import { attachFence, fencedTx, fenceOf, isFenced } from "../leader/fence.ts";
import type { BlockSubmitter } from "./submitter.ts";

export interface BlockConsumerOptions {
  readonly redis: RedisClient;
  /** `redis.prefix`. */
  readonly prefix: string;
  /** Stable across restarts (e.g. `core:<procname>`), so entries left pending come back to this core. */
  readonly consumer: string;
  /**
   * The submitter of a coin, or undefined when the core runs no such coin. Candidates are routed by
   * `coin`, not `jobmanager`: on a switching port the jobmanager is the switcher, and the coin's
   * submitter holds the job (core/switching registers its switch jobs in the coin's store).
   */
  readonly submitter: (coin: string) => BlockSubmitter | undefined;
  readonly log: Logger;
  /** Aux-chain candidates (merge mining, later issue); without it they are logged and acked. */
  readonly onAux?: (candidate: BlockCandidateV1, entryId: string) => Promise<void>;
  readonly blockMs?: number;
  readonly count?: number;
  readonly retryMs?: number;
  /**
   * Active/standby cores (core/leader/): asked right before each submission; false (this core was
   * deposed) leaves the candidate pending, unsubmitted, for the new leader.
   */
  readonly isLeader?: () => Promise<boolean>;
  /** The core holds the leader lease: every sweep claims candidates pending with other consumers whatever their idle time (see StreamConsumer's `takeover`). */
  readonly takeover?: boolean;
  /** Candidates pending this long with another consumer are claimed (default 30 s). */
  readonly claimIdleMs?: number;
}

export interface BlockConsumerStatus {
  readonly state: "starting" | "reading" | "retrying" | "stopped";
  readonly candidates: number;
  readonly inFlight: number;
  readonly lastError: string | null;
}

type Entry = { readonly id: string; readonly message: string | undefined; readonly deleted: boolean };

export class BlockConsumer {
  private readonly stream: string;
  private readonly group: string;
  private readonly reader: Redis | Cluster;
  private readonly writer: Redis | Cluster;
  private readonly inFlight = new Set<Promise<void>>();
  private loop: Promise<void> | undefined;
  private stopping = false;
  private groupReady = false;
  /** Where the read of our own pending entries continues; null once done. */
  private pendingFrom: string | null = "0";
  private state: BlockConsumerStatus["state"] = "starting";
  private lastError: string | null = null;
  private candidates = 0;
  private deposed = false;
  /** Min idle time of a claim sweep: 0 for a leader. */
  private readonly claimIdle: number;
  /** Ids being handled: a sweep that claims one of ours back must not handle it twice at once. */
  private readonly handling = new Set<string>();
  private nextClaimAt = 0;

  constructor(private readonly o: BlockConsumerOptions) {
    const names = contractNames(o.prefix);
    this.stream = names.candidateStream;
    this.group = names.blockGroup;
    this.reader = o.redis.duplicate();
    this.writer = o.redis.duplicate();
    this.claimIdle = o.takeover ? 0 : (o.claimIdleMs ?? 30_000);
    // Acks are fenced like every other write of the core (a duplicate connection has no fence of its own).
    const fence = fenceOf(o.redis);
    if (fence) attachFence(this.writer as Redis, fence);
    // ioredis prints reconnect errors without a listener; the read loop logs the state change once.
    for (const c of [this.reader, this.writer]) c.on("error", (e: Error) => o.log.debug(`candidate stream connection: ${e.message}`));
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Stops reading, then waits up to `timeoutMs` for submissions in flight (unfinished ones stay pending). */
  async stop(timeoutMs = 10_000): Promise<void> {
    this.stopping = true;
    // A read queued while the connection was down never settles once disconnect() ends its
    // reconnecting (ioredis): do not wait for it. Whatever it held stays pending for the leader.
    const readerUp = this.reader.status === "ready";
    this.reader.disconnect();
    const deadline = Bun.sleep(timeoutMs);
    if (this.loop) await Promise.race([this.loop, readerUp ? deadline : Bun.sleep(200)]);
    await Promise.race([Promise.all(this.inFlight), deadline]);
    this.writer.disconnect();
    this.state = "stopped";
  }

  status(): BlockConsumerStatus {
    return { state: this.state, candidates: this.candidates, inFlight: this.inFlight.size, lastError: this.lastError };
  }

  private async run(): Promise<void> {
    while (!this.stopping && !this.deposed) {
      try {
        await this.step();
        if (this.state === "retrying") this.o.log.info(`reading ${this.stream} again`);
        this.state = "reading";
        this.lastError = null;
      } catch (e) {
        if (this.stopping) break;
        const msg = (e as Error).message;
        if (msg.startsWith("NOGROUP")) this.groupReady = false;
        this.pendingFrom = "0";
        if (this.state !== "retrying") this.o.log.error(`reading ${this.stream} failed: ${msg}; block candidates wait in Redis until it works again`);
        this.state = "retrying";
        this.lastError = msg;
        await Bun.sleep(this.o.retryMs ?? 1000);
      }
    }
  }

  private async step(): Promise<void> {
    if (!this.groupReady) {
      await this.writer.call("XGROUP", "CREATE", this.stream, this.group, "0", "MKSTREAM").catch((e: unknown) => {
        if (!(e instanceof Error && e.message.startsWith("BUSYGROUP"))) throw e;
      });
      this.groupReady = true;
    }
    const count = this.o.count ?? 16;
    if (Date.now() >= this.nextClaimAt) {
      await this.claim(count);
      this.nextClaimAt = Date.now() + 5000;
    }
    const from = this.pendingFrom;
    const reply =
      from !== null
        ? await this.reader.call("XREADGROUP", "GROUP", this.group, this.o.consumer, "COUNT", count, "STREAMS", this.stream, from)
        : await this.reader.call("XREADGROUP", "GROUP", this.group, this.o.consumer, "COUNT", count, "BLOCK", this.o.blockMs ?? 1000, "STREAMS", this.stream, ">");
    const entries = parseReadGroup(reply);
    if (from !== null) this.pendingFrom = entries.length > 0 ? entries[entries.length - 1]!.id : null;
    for (const e of entries) {
      if (this.handling.has(e.id)) continue;
      const p = this.handle(e).finally(() => this.inFlight.delete(p));
      this.inFlight.add(p);
    }
  }

  /** Takes over candidates other consumers left pending (a core that died or was deposed mid-submit). */
  private async claim(count: number): Promise<void> {
    let cursor = "0-0";
    do {
      const reply = await this.writer.call("XAUTOCLAIM", this.stream, this.group, this.o.consumer, this.claimIdle, cursor, "COUNT", count);
      if (!Array.isArray(reply) || typeof reply[0] !== "string") throw new TypeError(`XAUTOCLAIM: expected [next, entries, deleted], got ${typeof reply}`);
      const entries = parseReadGroup([[this.stream, reply[1]]]).filter((e) => !this.handling.has(e.id));
      if (entries.length > 0) this.o.log.notice(`took over ${entries.length} block candidate(s) another core left pending`);
      for (const e of entries) {
        const p = this.handle(e).finally(() => this.inFlight.delete(p));
        this.inFlight.add(p);
      }
      cursor = reply[0];
    } while (cursor !== "0-0" && !this.stopping);
  }

  private async handle(e: Entry): Promise<void> {
    let ack = true;
    this.handling.add(e.id);
    try {
      if (e.deleted || e.message === undefined) {
        this.o.log.error(`candidate ${e.id}: ${e.deleted ? "trimmed from the stream before it was read" : `no "${MESSAGE_FIELD}" field`}; acked`);
        return;
      }
      let c: BlockCandidateV1;
      try {
        c = candidateCodec.decode(e.message);
      } catch (err) {
        this.o.log.error(`candidate ${e.id}: malformed, acked without submitting: ${(err as Error).message}`);
        return;
      }
      this.candidates++;
      if (this.o.isLeader && !(await this.o.isLeader())) {
        ack = false;
        this.deposed = true;
        this.o.log.warn(`${c.currency} block ${c.blockHash}: this core is no longer the leader; candidate ${e.id} left pending for the new leader`);
        return;
      }
      if (c.main) {
        const s = this.o.submitter(c.coin);
        if (s) await s.submit(c, e.id);
        else this.o.log.error(`${c.currency} BLOCK ${c.blockHash} LOST: this core runs no coin ${c.coin}`, { edge: c.edge, worker: c.worker, jobmanager: c.jobmanager, candidate: e.id });
      }
      if (c.aux.length > 0) {
        if (this.o.onAux) await this.o.onAux(c, e.id);
        else this.o.log.warn(`candidate ${e.id}: aux blocks for ${c.aux.join(", ")} not submitted (merge mining is not wired)`);
      }
    } catch (err) {
      this.o.log.error(`candidate ${e.id}: handling failed: ${(err as Error).message}`);
    } finally {
      if (ack) await this.ackOne(e.id);
      this.handling.delete(e.id);
    }
  }

  private async ackOne(id: string): Promise<void> {
    try {
      const [err] = (await fencedTx(this.writer as Redis).call("XACK", this.stream, this.group, id).exec())?.[0] ?? [null];
      if (err) throw err;
    } catch (err) {
      this.o.log.warn(`candidate ${id}: XACK failed (${(err as Error).message}); it comes back as pending and is claimed again`);
      // Deposed (core/leader/): stop reading; the leader claims what is pending here.
      if (isFenced(err)) this.deposed = true;
    }
  }
}

/** XREADGROUP with one stream: null, or [[stream, [[id, [field, value, …] | null], …]]]. */
function parseReadGroup(reply: unknown): Entry[] {
  if (reply === null) return [];
  if (!Array.isArray(reply) || !Array.isArray(reply[0]) || !Array.isArray(reply[0][1])) throw new TypeError(`XREADGROUP: expected [[stream, entries]], got ${typeof reply}`);
  return (reply[0][1] as unknown[]).map((item) => {
    if (!Array.isArray(item) || typeof item[0] !== "string") throw new TypeError(`XREADGROUP: expected [id, fields], got ${JSON.stringify(item)}`);
    const fields: unknown = item[1];
    if (!Array.isArray(fields)) return { id: item[0], message: undefined, deleted: true };
    for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === MESSAGE_FIELD && typeof fields[i + 1] === "string") return { id: item[0], message: fields[i + 1] as string, deleted: false };
    return { id: item[0], message: undefined, deleted: false };
  });
}
