/**
 * @module Jobs from the core: per jobmanager, the latest job at start, then the job stream with
 * XREAD BLOCK, into the JobCache. Reads only; the one edge module that writes Redis is forward/.
 *
 * One connection per jobmanager: XREAD BLOCK holds its connection, and per-stream reads keep each
 * command on one key (Redis Cluster would refuse a multi-key XREAD across slots).
 *
 * Resync, at start and after every reconnect, reads the stream's last entry. If the stream still
 * reaches our position we just continue from the last id we saw, so the jobs published meanwhile
 * arrive in order. If it went backwards (the Redis server lost its data) or we have no position
 * yet, that last entry is the latest job (the core writes it and the latest-job key in one MULTI)
 * and we follow from there; only when the stream is empty do we read the latest-job key. Reading
 * the entry rather than the key keeps the job and the position consistent without a MULTI over two
 * keys (which Redis Cluster would refuse).
 */
import type { RedisOptions } from "ioredis";
import type { RedisConfig } from "../../shared/config/schema.ts";
import { contractNames, jobCodec, MESSAGE_FIELD, type ContractNames, type JobV1 } from "../../shared/contract/index.ts";
import type { Logger } from "../../shared/log.ts";
import { connectRedis, type RedisClient } from "../../shared/redis.ts";
import type { JobCache } from "./job-cache.ts";

const DEFAULT_BLOCK_MS = 2000;
const RETRY_MS = 250;
/** An XREAD BLOCK this late past its block time sits on a dead (half-open) socket: reconnect. */
const STALL_MS = 5000;

/** Commands fail at once when the link is down, so the loop notices and resyncs after reconnecting. */
const FEED_REDIS_OPTIONS: RedisOptions = { maxRetriesPerRequest: 0, enableOfflineQueue: false, autoResendUnfulfilledCommands: false };

export interface RedisJobFeedOptions {
  readonly redis: RedisConfig;
  readonly cache: JobCache;
  readonly jobmanagers: readonly string[];
  readonly log: Logger;
  /** CLIENT LIST name prefix, e.g. `edge:eu1`. */
  readonly clientName: string;
  readonly blockMs?: number;
  /** Extra ioredis options (tests shorten the reconnect delay). */
  readonly overrides?: RedisOptions;
}

type StreamEntry = [id: string, fields: string[]];

export class RedisJobFeed {
  private readonly names: ContractNames;
  private readonly clients: RedisClient[] = [];
  private readonly loops: Promise<void>[] = [];
  private stopped = false;

  constructor(private readonly opts: RedisJobFeedOptions) {
    this.names = contractNames(opts.redis.prefix);
  }

  /**
   * Starts one reader per jobmanager; resolves once each has read its latest job, or after
   * `waitMs` (Redis unreachable: the readers keep trying, and `JobCache.ready` waits for the job).
   */
  async start(waitMs = 10_000): Promise<void> {
    const firsts: Promise<void>[] = [];
    for (const jm of this.opts.jobmanagers) {
      const client = connectRedis(this.opts.redis, { name: `${this.opts.clientName}:jobs:${jm}`, overrides: { ...FEED_REDIS_OPTIONS, ...this.opts.overrides } });
      this.clients.push(client);
      let first!: () => void;
      firsts.push(new Promise((r) => (first = r)));
      this.loops.push(this.follow(jm, client, first));
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<"late">((resolve) => (timer = setTimeout(() => resolve("late"), waitMs)));
    const outcome = await Promise.race([Promise.all(firsts), late]);
    clearTimeout(timer);
    if (outcome === "late") this.opts.log.warn(`job feed: no latest job read within ${waitMs} ms (Redis unreachable?); still trying`);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const c of this.clients) c.disconnect();
    await Promise.all(this.loops);
  }

  private async follow(jm: string, client: RedisClient, firstDone: () => void): Promise<void> {
    const log = this.opts.log;
    const stream = this.names.jobStream(jm);
    let lastId: string | undefined;
    let healthy = true;
    let needResync = true;
    client.on("error", (e: Error) => log.debug(`job feed ${jm}: redis error: ${e.message}`));
    while (!this.stopped) {
      try {
        await waitReady(client, () => this.stopped);
        if (this.stopped) break;
        if (needResync) {
          lastId = await this.resync(jm, client, lastId);
          needResync = false;
          firstDone();
        }
        if (!healthy) log.notice(`job feed ${jm}: following ${stream} again from ${lastId}`);
        healthy = true;
        const blockMs = this.opts.blockMs ?? DEFAULT_BLOCK_MS;
        const read = client.xread("COUNT", 100, "BLOCK", blockMs, "STREAMS", stream, lastId ?? "0-0") as Promise<[string, StreamEntry[]][] | null>;
        const reply = await stallGuard(read, blockMs + STALL_MS, () => client.disconnect(true));
        for (const [id, fields] of reply?.[0]?.[1] ?? []) {
          lastId = id;
          this.apply(jm, fieldValue(fields), `${stream} ${id}`);
        }
      } catch (e) {
        if (this.stopped) break;
        if (healthy) log.warn(`job feed ${jm}: lost ${stream} (${(e as Error).message}); serving the jobs held until Redis is back`);
        healthy = false;
        needResync = true;
        await Bun.sleep(RETRY_MS);
      }
    }
    firstDone();
  }

  private async resync(jm: string, client: RedisClient, lastId: string | undefined): Promise<string> {
    const stream = this.names.jobStream(jm);
    const rev = (await client.xrevrange(stream, "+", "-", "COUNT", 1)) as StreamEntry[];
    const end = rev[0];
    if (lastId !== undefined && end && compareStreamIds(end[0], lastId) >= 0) return lastId;
    if (lastId !== undefined && lastId !== "0-0") this.opts.log.warn(`job feed ${jm}: ${stream} no longer reaches ${lastId} (Redis lost its data?); taking the latest job`);
    if (end) {
      this.apply(jm, fieldValue(end[1]), `${stream} ${end[0]}`);
      return end[0];
    }
    // No stream (yet): the latest-job key, then everything the core adds from the start.
    const latest = await client.get(this.names.latestJob(jm));
    if (latest !== null) this.apply(jm, latest, this.names.latestJob(jm));
    return "0-0";
  }

  private apply(jm: string, raw: string | undefined, where: string): void {
    let job: JobV1;
    try {
      if (raw === undefined) throw new Error(`no "${MESSAGE_FIELD}" field`);
      job = jobCodec.decode(raw);
    } catch (e) {
      this.opts.log.error(`job feed: ${where}: skipped malformed job: ${(e as Error).message}`);
      return;
    }
    if (job.jobmanager !== jm) {
      this.opts.log.error(`job feed: ${where}: expected jobmanager ${jm}, got ${job.jobmanager}; skipped`);
      return;
    }
    this.opts.cache.add(job);
  }
}

function fieldValue(fields: string[]): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === MESSAGE_FIELD) return fields[i + 1];
  return undefined;
}

/** Orders stream ids `ms-seq` numerically. */
export function compareStreamIds(a: string, b: string): number {
  const [am = "0", as = "0"] = a.split("-");
  const [bm = "0", bs = "0"] = b.split("-");
  const d = BigInt(am) - BigInt(bm) || BigInt(as) - BigInt(bs);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

async function waitReady(client: RedisClient, stopped: () => boolean): Promise<void> {
  while (client.status !== "ready" && !stopped()) {
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        client.off("ready", done);
        resolve();
      };
      const timer = setTimeout(done, RETRY_MS);
      client.once("ready", done);
    });
  }
}

/** `p`, unless it takes longer than `ms`: then `onStall` (which must make `p` settle, e.g. by dropping the connection). */
async function stallGuard<T>(p: Promise<T>, ms: number, onStall: () => void): Promise<T> {
  const timer = setTimeout(onStall, ms);
  try {
    return await p;
  } finally {
    clearTimeout(timer);
  }
}
