/**
 * @module Share and PPAgent ingest on the core: consumer-group readers of the verified streams
 * (what the gate, core/gate/, passed on from the edges' streams) that write SimpleCoin's records
 * exactly once. `startAccounting` is the core's one call: it refuses a
 * Redis Cluster, starts stats, accounting, the gate and both readers, and returns `recordBlock`,
 * `waitForShare` (a block's record waits for its winning share), a status snapshot for the monitor
 * and `stop()`.
 */
import { hostname } from "node:os";
import Redis from "ioredis";
import { contractNames } from "../../shared/contract/index.ts";
import type { Logger } from "../../shared/log.ts";
import type { RedisConfig } from "../../shared/config/schema.ts";
import { replicaWait, type RedisClient } from "../../shared/redis.ts";
import { replicatedBlockRecorder } from "../accounting/replicated.ts";
import { createAccounting, shareIdText, waitForShareRecord, type Accounting, type AccountingSettings, type BlockRecorder, type ShareId, type ShareWaitOptions } from "../accounting/index.ts";
import type { ShareAuditor } from "../audit/types.ts";
import { startGate, type Gate, type GateStatus } from "../gate/index.ts";
import { startStats, type CoreStats, type CoreStatsSettings, type StatsSnapshot } from "../stats/index.ts";
import { createAgentHandler } from "./agent-handler.ts";
import { StreamConsumer, type ConsumerStatus, type ConsumerTuning } from "./consumer.ts";
import { tidyStream, type GroupBacklog } from "./housekeeping.ts";
import { createShareHandler } from "./share-handler.ts";

export { StreamConsumer, DEFAULT_CONSUMER_TUNING, type ConsumerStatus, type ConsumerTuning } from "./consumer.ts";
export type { GroupBacklog } from "./housekeeping.ts";

export interface IngestTuning extends ConsumerTuning {
  /** Records per apply script call (one atomic unit). */
  readonly maxRecordsPerApply: number;
  /** Lifetime of an edge session's seen-set after its last write. */
  readonly seenTtlSeconds: number;
  /** Between stream trims / backlog reads; 0 turns them off. */
  readonly tidyEveryMs: number;
}

export const DEFAULT_INGEST_TUNING: Omit<IngestTuning, keyof ConsumerTuning> = { maxRecordsPerApply: 16_384, seenTtlSeconds: 3 * 86_400, tidyEveryMs: 30_000 };

export interface IngestOptions {
  /** The accounting Redis: one primary (URL or Sentinel). */
  readonly redis: Redis;
  /** `redis.prefix` of the config (the contract's stream names). */
  readonly prefix: string;
  readonly accounting: Accounting;
  readonly stats?: CoreStats;
  readonly log: Logger;
  /** Consumer name in both groups; default `<hostname>:<pid>`. A stable name re-reads its own pending entries at once after a restart. */
  readonly consumer?: string;
  readonly tuning?: Partial<IngestTuning>;
  /** Claim every entry other consumers left pending at once (a core that just took over: core/leader/). */
  readonly takeover?: boolean;
}

export interface IngestStatus {
  readonly shares: ConsumerStatus & { readonly backlog: GroupBacklog | null };
  readonly agent: ConsumerStatus & { readonly backlog: GroupBacklog | null };
}

export interface Ingest {
  status(): IngestStatus;
  stop(): Promise<void>;
}

export function startIngest(o: IngestOptions): Ingest {
  const tuning = { ...DEFAULT_INGEST_TUNING, ...o.tuning };
  const names = contractNames(o.prefix);
  const consumer = o.consumer ?? `${hostname()}:${process.pid}`;
  const reg = o.stats?.registry;
  // The gate's output (core/gate/): entries whose edge identity was checked and whose shares passed the audit.
  const shareTarget = { stream: names.verifiedShareStream, group: names.accountingGroup, deadLetter: names.deadLetter("shares"), consumer };
  const agentTarget = { stream: names.verifiedAgentStream, group: names.agentGroup, deadLetter: names.deadLetter("agent"), consumer };
  const shareCounters = reg && { applied: reg.second("ingest", "records_applied"), duplicates: reg.second("ingest", "records_duplicate"), deadLettered: reg.second("ingest", "entries_dead_lettered"), recordsDeadLettered: reg.second("ingest", "records_dead_lettered") };
  const agentCounters = reg && { applied: reg.second("ingest", "agent_records"), deadLettered: reg.second("ingest", "entries_dead_lettered") };

  const log = o.log;
  const shares = new StreamConsumer({
    redis: o.redis,
    stream: shareTarget.stream,
    group: shareTarget.group,
    consumer,
    log: log.child("shares"),
    tuning,
    takeover: o.takeover ?? false,
    handler: createShareHandler({ redis: o.redis, accounting: o.accounting, seenKey: names.seenSet, target: shareTarget, log: log.child("shares"), stats: o.stats?.shares, counters: shareCounters, seenTtlSeconds: tuning.seenTtlSeconds, maxRecordsPerApply: tuning.maxRecordsPerApply }),
  });
  const agent = new StreamConsumer({
    redis: o.redis,
    stream: agentTarget.stream,
    group: agentTarget.group,
    consumer,
    log: log.child("agent"),
    tuning,
    takeover: o.takeover ?? false,
    handler: createAgentHandler({ redis: o.redis, target: agentTarget, log: log.child("agent"), counters: agentCounters, check: o.accounting.checkAgent }),
  });
  shares.start();
  agent.start();

  const backlog: { shares: GroupBacklog | null; agent: GroupBacklog | null } = { shares: null, agent: null };
  let tidyFailing = false;
  const tidy = async () => {
    try {
      backlog.shares = await tidyStream(o.redis, shareTarget.stream, shareTarget.group, consumer);
      backlog.agent = await tidyStream(o.redis, agentTarget.stream, agentTarget.group, consumer);
      tidyFailing = false;
    } catch (e) {
      // The streams may not exist yet, or Redis is away (the consumers report that): log once.
      if (!tidyFailing) log.debug("stream tidy-up skipped", { error: e instanceof Error ? e.message : String(e) });
      tidyFailing = true;
    }
  };
  const timer = tuning.tidyEveryMs > 0 ? setInterval(() => void tidy(), tuning.tidyEveryMs) : undefined;
  timer?.unref?.();

  return {
    status: () => ({ shares: { ...shares.status(), backlog: backlog.shares }, agent: { ...agent.status(), backlog: backlog.agent } }),
    async stop() {
      if (timer) clearInterval(timer);
      await Promise.all([shares.stop(), agent.stop()]);
    },
  };
}

/** What the core's main needs from accounting. */
export interface CoreAccounting {
  /** For block submission: records a found block (see core/accounting/blocks.ts). */
  readonly recordBlock: BlockRecorder;
  /**
   * Call before `recordBlock` for an accepted block: resolves true once the ingest has applied the
   * block's winning share record (core/accounting/share-wait.ts), false after the bound or when
   * accounting stops — then logged as a warning naming `what` (the block) and the share.
   */
  waitForShare(share: ShareId, what: string): Promise<boolean>;
  readonly stats: CoreStats;
  /** The gate in front of the ingest (core/gate/): edges' streams → the verified streams. */
  readonly gate: Gate;
  readonly ingest: Ingest;
  /** For the monitor. */
  status(): { readonly ingest: IngestStatus; readonly gate: GateStatus; readonly stats: StatsSnapshot };
  stop(): Promise<void>;
}

export interface CoreAccountingSettings extends AccountingSettings, Omit<CoreStatsSettings, "stratum" | "coins"> {
  /** `wait_replicas` / `wait_timeout` / `sentinel`: found-block records wait for the replicas (core/accounting/replicated.ts). */
  readonly redis: { readonly prefix: string } & Partial<Pick<RedisConfig, "wait_replicas" | "wait_timeout" | "sentinel" | "accept_contract_v1">>;
  readonly coins: Readonly<Record<string, AccountingSettings["coins"][string] & CoreStatsSettings["coins"][string]>>;
}

export interface StartAccountingOptions {
  readonly consumer?: string;
  readonly tuning?: Partial<IngestTuning>;
  /** See IngestOptions.takeover. */
  readonly takeover?: boolean;
  /** Bounds of `waitForShare` (default 30 s, polled every 50 ms). */
  readonly shareWait?: Omit<ShareWaitOptions, "signal">;
  /** The gate's share auditor (core/audit/); default none. */
  readonly auditor?: ShareAuditor;
  /** See GateOptions.announceContract (startCore, which also assigns edge ids). */
  readonly announceContract?: boolean;
}

/** Starts stats, accounting and ingest on `redis` (from `connectRedis(cfg.redis, …)`). */
export async function startAccounting(cfg: CoreAccountingSettings, redis: RedisClient, log: Logger, opts: StartAccountingOptions = {}): Promise<CoreAccounting> {
  if (!(redis instanceof Redis)) {
    throw new TypeError("core accounting: expected a single Redis primary (redis.url or redis.sentinel), got a Cluster: SimpleCoin's keys span hash slots and each apply must be one atomic script");
  }
  const stats = await startStats(cfg, log.child("stats"));
  const accounting = createAccounting(redis, cfg, log.child("accounting"));
  const { shareWait, auditor, announceContract, ...ingestOpts } = opts;
  // Whatever the ingest reads passed the gate: identity bound by Redis, shares audited (issue 20).
  const gate = startGate({ redis, prefix: cfg.redis.prefix, log: log.child("gate"), registry: stats.registry, acceptV1: cfg.redis.accept_contract_v1 ?? true, ...(auditor ? { auditor } : {}), announceContract: announceContract ?? false, ...ingestOpts });
  const ingest = startIngest({ redis, prefix: cfg.redis.prefix, accounting, stats, log: log.child("ingest"), ...ingestOpts });
  const names = contractNames(cfg.redis.prefix);
  const stopping = new AbortController();
  const blockLog = log.child("blocks");
  return {
    recordBlock: replicatedBlockRecorder(redis, accounting.recordBlock, replicaWait(cfg.redis), blockLog, stopping.signal),
    async waitForShare(share, what) {
      const out = await waitForShareRecord(redis, names, share, { ...shareWait, signal: stopping.signal });
      if (out.kind === "applied") {
        if (out.waitedMs > 0) blockLog.debug(`${what}: waited ${out.waitedMs} ms for its winning share ${shareIdText(share)}`);
        return true;
      }
      const why = out.kind === "timeout" ? `within ${out.waitedMs} ms` : "before accounting stopped";
      blockLog.warn(`${what}: its winning share ${shareIdText(share)} was not applied ${why}; recording the block anyway (that share will count in the next round)`);
      return false;
    },
    stats,
    gate,
    ingest,
    status: () => ({ ingest: ingest.status(), gate: gate.status(), stats: stats.snapshot() }),
    async stop() {
      // A block waiting for its share is recorded now rather than after the bound.
      stopping.abort();
      await gate.stop();
      await ingest.stop();
      stats.stop();
    },
  };
}
