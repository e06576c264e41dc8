/**
 * @module The core: wires coinservers, job managers, block submission, accounting and push-block
 * datagrams. `core/main.ts` runs it; end-to-end tests start it in-process.
 *
 * Start order: hashing self-test, Redis and accounting (so a block found at once can be recorded),
 * then per coin the coinserver pool → job manager → block submitter → tip watcher, then the profit
 * switchers over those job managers, the block candidate consumer and the datagram listener, and
 * last the monitor (its tracker is attached before the job managers start so it sees their first
 * jobs). Stop runs in reverse.
 */
import { hostname } from "node:os";
import { Cluster } from "ioredis";
import type { Config } from "../shared/config/load.ts";
import { bitsToDifficulty } from "../shared/bitcoin/index.ts";
import { JobType, type ShareRecordV1 } from "../shared/contract/index.ts";
import type { Logger } from "../shared/log.ts";
import { createPowRegistry, loadPowNative, selfTest, type PowRegistry } from "../shared/pow/index.ts";
import { connectRedis, type RedisClient } from "../shared/redis.ts";
import { createRecordCheck, type BlockRecord, type BlockRecorder } from "./accounting/index.ts";
import { CoreShareAuditor, createConfiguredAuditor, extranonceOwnerFrom, type AuditMetrics, type ShareAuditor } from "./audit/index.ts";
import { createAuxRuntime, type AuxRuntime } from "./aux/index.ts";
import { BlockConsumer, BlockSubmitter, candidateChecker, type BlockResult, type CandidateChecker } from "./blocks/index.ts";
import { createCoinserverPool, createTipWatcher, startBlockSignals, type BlockSignals, type CoinserverPool, type TipWatcher } from "./coinserver/index.ts";
import { DEFAULT_MAX_WORKERS, EdgeIdAllocator } from "./edge-ids/index.ts";
import type { Gate } from "./gate/index.ts";
import { DEFAULT_INGEST_TUNING, startAccounting, type CoreAccounting } from "./ingest/index.ts";
import { recordFoundBlock } from "./ingest/found-block.ts";
import { createJobManager, JobIdAllocator, JobPublisher, type JobManager, type StoredJob } from "./jobs/index.ts";
import { decodeStoredJob, jobArchiveKey } from "./jobs/job-archive.ts";
import { attachFence } from "./leader/fence.ts";
import type { Leadership } from "./leader/supervisor.ts";
import { MonitorTracker, startMonitor, type MonitorOptions, type RunningMonitor } from "./monitor/index.ts";
import { startConfiguredNotifyListener, type NotifyListener } from "./notify/index.ts";
import { describeCore } from "./plan.ts";
import { startReporters, type CeleryTuning, type Reporters } from "./reporters/index.ts";
import { createSwitchers, type ProfitSwitcher } from "./switching/index.ts";

export interface CoinRuntime {
  readonly key: string;
  readonly pool: CoinserverPool;
  readonly jobs: JobManager;
  readonly submitter: BlockSubmitter;
  readonly watcher: TipWatcher;
  /** ZMQ subscriptions / long poll feeding the watcher (issue 21). */
  readonly signals: BlockSignals;
}

export interface RunningCore {
  readonly redis: RedisClient;
  readonly accounting: CoreAccounting;
  /** The gate (core/gate/): edges' streams → identity check and audit → the verified streams the accounting reads. */
  readonly gate: Gate;
  /** Reporters (spec §8): Celery and double reporters beside the accounting; every found block reaches them. */
  readonly reporters: Reporters;
  readonly coins: ReadonlyMap<string, CoinRuntime>;
  readonly blocks: BlockConsumer;
  readonly notify: NotifyListener | null;
  /** Merge mining: aux chains' pools, work pollers and aux block results. */
  readonly aux: AuxRuntime;
  /** The HTTP monitor, or null when `monitor.enabled` is false. */
  readonly monitor: RunningMonitor | null;
  /** Profit switchers by key (`switchers:`), publishing their chosen coin's jobs. */
  readonly switchers: ReadonlyMap<string, ProfitSwitcher>;
  /** Assigns the edges their ids (extranonce1 prefixes); `grantedId(edge)` for the share audit. Null on a Cluster. */
  readonly edgeIds: EdgeIdAllocator | null;
  /** The share auditor's counters (the monitor shows them); null when the auditor given has none. */
  readonly audit: AuditMetrics | null;
  /** Every block result, in order (tests and the monitor listen here). */
  onBlock(listener: (r: BlockResult) => void): () => void;
  stop(): Promise<void>;
}

export interface CoreOptions {
  /** Consumer name in the Redis groups; stable across restarts so a restarted core re-reads its own pending entries. */
  readonly consumer?: string;
  /** Monitor overrides (tests: port 0, a faster hashrate history). */
  readonly monitor?: Omit<MonitorOptions, "tracker">;
  /** Celery reporter timing (tests shorten the minute and the back-off). */
  readonly celery?: Partial<CeleryTuning>;
  /**
   * Active/standby cores (core/leader/): the lease this core was started under. Every write is then
   * fenced by its epoch, pending stream entries of other consumers are claimed at once (the old
   * leader's), and block submission checks leadership first. Without it the core runs alone as before.
   */
  readonly leadership?: Leadership;
  /** Coinserver pools already running (a standby kept them warm); the caller owns and stops them. */
  readonly pools?: ReadonlyMap<string, CoinserverPool>;
  /** Checks a sample of each edge's shares against the jobs issued (core/audit/); default none. */
  readonly auditor?: ShareAuditor;
}

/**
 * Refuses to start when a configured algorithm's hash library disagrees with the known vectors;
 * returns the registry, which checks every block candidate's proof of work (blocks/verify.ts).
 */
function checkHashing(config: Config, log: Logger): PowRegistry | null {
  const algos = [...new Set([...Object.values(config.coins).map((c) => c.algo), ...Object.values(config.aux).map((a) => a.algo)])];
  if (algos.length === 0) return null;
  const native = loadPowNative({ warn: (m) => log.warn(m) });
  const registry = createPowRegistry(algos, native, config.algorithms);
  selfTest(registry.names.map((n) => registry.get(n).info), native);
  log.info(`proof of work self-test passed: ${registry.names.join(", ")}`);
  return registry;
}

export async function startCore(config: Config, log: Logger, opts: CoreOptions = {}): Promise<RunningCore> {
  for (const line of describeCore(config)) log.info(line);
  const pow = checkHashing(config, log);

  const consumer = opts.consumer ?? `${hostname()}:${config.procname}`;
  const redis = connectRedis(config.redis, { name: `core:${config.procname}` });
  // Before anything defines a script or writes: the fence travels with the connection (core/leader/fence.ts).
  if (opts.leadership && !(redis instanceof Cluster)) attachFence(redis, opts.leadership.fence);
  const takeover = opts.leadership !== undefined;
  // Without an error listener ioredis prints a stack trace for every failed reconnect attempt;
  // one line when the connection goes and one when it is back (commands wait meanwhile).
  let redisDown = false;
  redis.on("error", (e: Error) => {
    if (!redisDown) log.warn(`redis connection lost (${e.message}); accounting, jobs and block records wait for it`);
    redisDown = true;
  });
  redis.on("ready", () => {
    if (redisDown) log.notice("redis connection back");
    redisDown = false;
  });
  // With the gate in front (core/gate/): what the accounting and reporters read had its identity checked and its shares audited.
  const coins = new Map<string, CoinRuntime>();
  // Edges ask for their ids and the core assigns them (issue 20); made before the auditor, which
  // checks each share's extranonce1 prefix against the grants. (A Cluster never gets far: the accounting refuses it.)
  const edgeIds = redis instanceof Cluster ? null : new EdgeIdAllocator({ redis, prefix: config.redis.prefix, extranonce1Size: config.pool.extranonce_serv_size, log: log.child("edge-ids"), maxWorkers: (edge) => config.edges[edge]?.workers || DEFAULT_MAX_WORKERS });
  // The sampled re-hash of edges' shares (core/audit/) reads the jobs this core still holds, else the archive.
  const auditor =
    opts.auditor ??
    createConfiguredAuditor(config, { redis, archiveTtlMs: JOB_ARCHIVE_TTL_MS, local: (id) => findLocalJob(coins, id), ...(edgeIds ? { extranonceOwner: extranonceOwnerFrom(edgeIds) } : {}), log: log.child("audit") });
  const audit = auditor instanceof CoreShareAuditor ? auditor : null;
  const accounting = await startAccounting(config, redis, log.child("accounting"), { consumer, takeover, auditor, announceContract: true });
  // Edges started right after the core (the demo, a fresh deployment) then find contract v2 already announced.
  await Promise.race([accounting.gate.started, Bun.sleep(5000)]);
  // Early, since starting edges wait for their ids.
  edgeIds?.start();
  // Celery reporters read the share stream themselves: they report what the accounting's per-record check passes.
  const check = createRecordCheck(config);
  const checkRecord = (r: ShareRecordV1) => check(r, Date.now(), DEFAULT_INGEST_TUNING.seenTtlSeconds * 1000);
  const reporters = await startReporters(config, { redis, consumer, log: log.child("reporters"), checkRecord, ...(opts.celery ? { celery: opts.celery } : {}) });
  // Every found block (main and aux): the accounting records it, then the reporters of its ports get it.
  const blockAccounting = { recordBlock: withReporters(accounting.recordBlock, reporters), stats: accounting.stats, waitForShare: accounting.waitForShare };
  // Each job's rebuild data goes to Redis with it: the share audit checks shares against it, and
  // with standbys the next leader can still submit blocks found on it.
  const publisher = new JobPublisher({ redis, prefix: config.redis.prefix, log: log.child("publish"), archiveTtlMs: JOB_ARCHIVE_TTL_MS });
  const ids = new JobIdAllocator();
  const listeners = new Set<(r: BlockResult) => void>();
  const tracker = config.monitor.enabled ? new MonitorTracker() : null;
  if (tracker) listeners.add((r) => tracker.recordBlock(r));

  // Before the coins, so a parent's first job can already carry the aux work (core/aux/index.ts).
  const aux = createAuxRuntime(config, {
    redis,
    accounting: blockAccounting,
    job: (jm, id) => coins.get(jm)?.jobs.store.get(id),
    pushAux: (key, flush) => coins.get(key)?.jobs.pushAux(flush),
    log: log.child("aux"),
  });
  aux.start();
  for (const coin of Object.values(config.coins)) {
    const clog = log.child(coin.key);
    const pool = opts.pools?.get(coin.key) ?? createCoinserverPool(coin, clog.child("coinserver"));
    pool.start();
    const jobs = createJobManager(config, coin.key, { pool, publisher, log: clog.child("jobs"), ids, aux: aux.provider(coin.key) });
    jobs.subscribe((ev) =>
      accounting.stats.jobGenerated({
        currency: ev.job.currency,
        push: ev.job.type !== JobType.refresh,
        flush: ev.job.type === JobType.flush,
        newBlock: ev.newBlock,
        // Displayed like the daemons do (and PowerPool, spec §3.3): against Bitcoin's diff1 whatever the algorithm.
        difficulty: bitsToDifficulty(Number.parseInt(ev.job.bits, 16)),
        subsidy: ev.stored.coinbaseValue,
        generateMs: ev.timing.generateMs,
        height: ev.job.height - 1,
      }),
    );
    tracker?.watchJobs(coin.key, jobs);
    await jobs.start();
    const submitter = new BlockSubmitter({ jobs, pool, log: clog.child("blocks"), ...(takeover ? { archive: (id: string) => loadArchivedJob(redis, config.redis.prefix, id) } : {}) });
    submitter.subscribe((r) => {
      void recordFoundBlock(blockAccounting, mainBlockRecord(r), { share: { edge: r.edge, session: r.session, seq: r.shareSeq }, submitMs: r.shareToSubmitMs }, clog);
      for (const l of listeners) l(r);
    });
    const watcher = createTipWatcher(coin, pool, jobs, clog.child("tip"));
    watcher.start();
    const signals = startBlockSignals(coin, pool, watcher, jobs, clog.child("signals"));
    coins.set(coin.key, { key: coin.key, pool, jobs, submitter, watcher, signals });
  }

  // After the coins: a switcher starts from its coins' latest jobs and follows their job managers.
  const switchers = createSwitchers(config, { jobs: (k) => coins.get(k)?.jobs, scores: redis, publisher, ids, gauge: (cur, v) => accounting.stats.profitability(cur, v), log: log.child("switch") });
  for (const s of switchers.values()) await s.start();

  // Candidates name the coin they were mined for (a switching port's jobmanager is the switcher);
  // each one's proof of work is checked against the job this core issued before it is submitted.
  const leader = opts.leadership;
  const checkCandidate: CandidateChecker = pow
    ? candidateChecker(pow, Object.fromEntries(Object.entries(config.switchers).map(([k, s]) => [k, s.jobmanagers])))
    : () => {
        throw new Error("no proof-of-work algorithm is configured");
      };
  const blocks = new BlockConsumer({ redis, prefix: config.redis.prefix, consumer, submitter: (coin) => coins.get(coin)?.submitter, check: checkCandidate, onAux: aux.onAux, log: log.child("blocks"), takeover, ...(leader ? { isLeader: () => leader.isLeader() } : {}) });
  blocks.start();
  const notify = await startConfiguredNotifyListener(config, Object.fromEntries([...coins].map(([k, c]) => [k, c.watcher])), aux.notifyTargets, log.child("notify"));

  const onBlock = (listener: (r: BlockResult) => void) => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  };
  const stopParts = async () => {
    notify?.close();
    await edgeIds?.stop();
    await blocks.stop();
    for (const s of switchers.values()) s.stop();
    await Promise.all([...coins.values()].map((c) => c.signals.stop()));
    for (const c of coins.values()) {
      c.watcher.stop();
      c.jobs.stop();
      if (!opts.pools?.has(c.key)) c.pool.stop();
    }
    aux.stop();
    await publisher.stop();
    // Accounting first: stopping it lets blocks still waiting for their winning share be recorded, and
    // reach the reporters, which then send what they hold.
    await accounting.stop();
    await reporters.stop();
    redis.disconnect();
  };
  let monitor: RunningMonitor | null = null;
  if (tracker) {
    tracker.watchAux(aux);
    try {
      monitor = await startMonitor(config, { coins, accounting, gate: accounting.gate, audit, reporters, blocks, notify, aux, onBlock, switchers }, redis, log.child("monitor"), { ...opts.monitor, tracker });
    } catch (e) {
      // A monitor port already taken must not leave the rest of the core running unseen.
      await stopParts();
      throw new Error(`monitor could not listen on ${config.monitor.address}:${opts.monitor?.port ?? config.monitorPort}: ${(e as Error).message}`);
    }
  }

  return {
    redis,
    accounting,
    gate: accounting.gate,
    reporters,
    coins,
    blocks,
    notify,
    aux,
    monitor,
    switchers,
    edgeIds,
    audit,
    onBlock,
    async stop() {
      await monitor?.stop();
      await stopParts();
    },
  };
}

/** How long a job's rebuild data stays in Redis: far longer than any candidate takes to reach a core. */
const JOB_ARCHIVE_TTL_MS = 15 * 60_000;

/** A job any of the core's coins still holds in memory (the audit looks here before the archive). */
function findLocalJob(coins: ReadonlyMap<string, CoinRuntime>, id: string): StoredJob | undefined {
  for (const c of coins.values()) {
    const job = c.jobs.store.get(id);
    if (job) return job;
  }
  return undefined;
}

async function loadArchivedJob(redis: RedisClient, prefix: string, jobId: string): Promise<StoredJob | undefined> {
  const raw = await redis.get(jobArchiveKey(prefix, jobId));
  return raw === null ? undefined : decodeStoredJob(raw);
}

/** A main-chain block result as the accounting records it. */
function mainBlockRecord(r: BlockResult): BlockRecord {
  return {
    currency: r.currency,
    algo: r.algo,
    hash: r.hash,
    height: r.height,
    address: r.address,
    worker: r.worker,
    totalSubsidy: r.totalSubsidy,
    fees: r.fees,
    hexBits: r.hexBits,
    merged: false,
    accepted: r.accepted,
    ...(r.rejectReason ? { rejectReason: r.rejectReason } : {}),
  };
}

/** The accounting's block recorder, then the reporters (a retried call that changed nothing is not reported twice). */
function withReporters(record: BlockRecorder, reporters: Reporters): BlockRecorder {
  return async (block, nowMs) => {
    const out = await record(block, nowMs);
    if (out.kind !== "already-recorded") reporters.recordBlock(block);
    return out;
  };
}
