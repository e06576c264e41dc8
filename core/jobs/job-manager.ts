/**
 * @module One coin's job generation (spec §5.2/§5.3/§5.6): the tip watcher's new-block and refresh
 * ticks, a found block and aux work all end up here; each asks for a template and turns it into a
 * job when it is worth one, stores it for block rebuilding and publishes it.
 *
 * - A template on a new `previousblockhash` gives a flush job (type 0, clean_jobs).
 * - Otherwise a template whose content changed (template.ts fingerprint) gives a refresh job
 *   (type 2); an unchanged one gives nothing (spec §15 item 9: PowerPool made a job every time).
 * - Fetches run one at a time; triggers arriving meanwhile merge into one more fetch.
 * - A failed fetch is retried after `retryMs`; one log line when fetching fails, one when it works again.
 * - After a block of ours is accepted, `refreshNow("block-found")` fetches at once (§15 item 29).
 * - A template that arrives unasked (a returned long poll, `offerTemplate`) is used by the next
 *   generation instead of a fetch: the node already sent the new block's template, so asking
 *   again would only add a round trip between the block and the miners.
 * (About 240 lines: one small state machine — triggers, the serial fetch, retries — kept together.)
 */
import { bitsToDifficulty, stratumPrevhashHex, u32FromHex } from "../../shared/bitcoin/index.ts";
import { JobType } from "../../shared/contract/index.ts";
import type { Logger } from "../../shared/log.ts";
import type { NewBlockEvent, RefreshEvent, TipListener, TipSource } from "../coinserver/index.ts";
import { buildJob, NO_AUX, type AuxWork } from "./build-job.ts";
import { JobIdAllocator } from "./job-ids.ts";
import type { JobCause, JobEvent, JobManagerStatus } from "./job-events.ts";
import { JobStore } from "./job-store.ts";
import type { JobPublisher } from "./publisher.ts";
import type { JobSettings } from "./settings.ts";
import { parseTemplate, templateFingerprint, templateRequest, type BlockTemplate } from "./template.ts";

export interface JobManagerOptions {
  readonly settings: JobSettings;
  /** Where templates come from: the coin's CoinserverPool. */
  readonly source: TipSource;
  readonly publisher: JobPublisher;
  readonly log: Logger;
  readonly ids?: JobIdAllocator;
  readonly store?: JobStore;
  /** Merge-mining hook (later issue): the aux commitment and targets for the next job. */
  readonly aux?: () => AuxWork;
  /** Wait before retrying a failed template fetch; default 1000 ms. */
  readonly retryMs?: number;
}

/** After a new-block event the node may still serve the old tip's template for a moment: ask again this often. */
const STALE_TIP_RETRIES = 5;
const STALE_TIP_RETRY_MS = 200;
const LATEST_JOB_WAIT_MS = 2000;

interface Last {
  readonly template: BlockTemplate;
  readonly fingerprint: string;
}

export class JobManager implements TipListener {
  readonly store: JobStore;
  private readonly ids: JobIdAllocator;
  private readonly listeners = new Set<(ev: JobEvent) => void>();
  /** At most one pending timer per purpose, so failing fetches never multiply their retries. */
  private readonly timers = new Map<"fetch" | "tip", ReturnType<typeof setTimeout>>();
  private last: Last | null = null;
  /** The tip (stratum byte order) of the job published before this start: a restarted or new leader core on it does not flush. */
  private publishedTip: string | null = null;
  private busy = false;
  private queued: JobCause | null = null;
  /** The tip a new-block event announced, until a template on it arrives. */
  private expectTip: { hash: string; retries: number } | null = null;
  private fetchError: string | null = null;
  private offered: { readonly raw: unknown } | null = null;
  private jobCount = 0;
  private lastJob: JobEvent["job"] | null = null;
  private lastNewBlockAt: number | null = null;
  private running = false;

  constructor(private readonly o: JobManagerOptions) {
    this.store = o.store ?? new JobStore();
    this.ids = o.ids ?? new JobIdAllocator();
  }

  get jobmanager(): string {
    return this.o.settings.jobmanager;
  }

  /** Makes ids continue after the last published job (clock safety), then accepts triggers. Start the tip watcher after this. */
  async start(): Promise<void> {
    try {
      // ioredis queues commands while Redis is away: start-up does not wait on it.
      const latest = await Promise.race([this.o.publisher.latest(this.jobmanager), Bun.sleep(LATEST_JOB_WAIT_MS).then(() => "timeout" as const)]);
      if (latest === "timeout") throw new Error(`no answer from Redis in ${LATEST_JOB_WAIT_MS} ms`);
      if (latest) {
        this.ids.continueAfter(latest.id);
        this.publishedTip = latest.prevhash;
      }
    } catch (e) {
      this.o.log.warn(`${this.jobmanager}: could not read the latest published job; ids rely on the clock alone`, { error: (e as Error).message });
    }
    this.running = true;
  }

  stop(): void {
    this.running = false;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  subscribe(listener: (ev: JobEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onNewBlock(ev: NewBlockEvent): void {
    this.expectTip = { hash: ev.tip.hash.toLowerCase(), retries: 0 };
    this.request(ev.cause === "refresh" ? "poll" : ev.cause);
  }

  onRefresh(_ev: RefreshEvent): void {
    this.request("refresh");
  }

  /** Uses `raw` (a getblocktemplate result the node pushed, e.g. a returned long poll) as the next template. */
  offerTemplate(raw: unknown): void {
    if (!this.running) return;
    this.offered = { raw };
    this.request("notify");
  }

  /** Fetches a template now (e.g. right after one of our blocks was accepted). */
  refreshNow(cause: JobCause = "block-found"): void {
    this.request(cause);
  }

  /**
   * Aux work changed (spec §5.8): a job from the last template without a new fetch, type push, or
   * flush when the aux chain asks miners to drop their work.
   */
  pushAux(flush: boolean): void {
    if (!this.running) return;
    if (this.last === null) {
      this.o.log.warn(`${this.jobmanager}: cannot generate a job for new aux work: no template fetched yet`);
      return;
    }
    this.emitJob(this.last.template, this.last.fingerprint, flush ? JobType.flush : JobType.push, "aux", Date.now(), 0);
  }

  status(): JobManagerStatus {
    const t = this.last?.template;
    return {
      jobmanager: this.jobmanager,
      jobCount: this.jobCount,
      storedJobs: this.store.size,
      lastJobId: this.lastJob?.id ?? null,
      lastJobType: this.lastJob?.type ?? null,
      height: t ? t.height - 1 : null,
      prevHash: t?.previousblockhash ?? null,
      difficulty: t ? bitsToDifficulty(u32FromHex(t.bits)) : null,
      subsidy: t?.coinbasevalue ?? null,
      transactions: t?.transactions.length ?? null,
      lastNewBlockAt: this.lastNewBlockAt,
      templateError: this.fetchError,
    };
  }

  private request(cause: JobCause): void {
    if (!this.running) return;
    if (this.busy) {
      this.queued ??= cause;
      return;
    }
    void this.drain(cause);
  }

  private async drain(first: JobCause): Promise<void> {
    this.busy = true;
    let cause: JobCause | null = first;
    while (cause !== null && this.running) {
      await this.generate(cause);
      cause = this.queued;
      this.queued = null;
    }
    this.busy = false;
  }

  private async generate(cause: JobCause): Promise<void> {
    const started = Date.now();
    let t: BlockTemplate;
    try {
      const offered = this.offered;
      this.offered = null;
      t = parseTemplate(offered ? offered.raw : await this.o.source.call("getblocktemplate", templateRequest(this.o.settings.rules)));
    } catch (e) {
      const msg = (e as Error).message;
      if (this.fetchError === null) this.o.log.error(`${this.jobmanager}: getblocktemplate failing: ${msg}; retrying every ${this.o.retryMs ?? 1000} ms`);
      this.fetchError = msg;
      this.later("fetch", this.o.retryMs ?? 1000, cause);
      return;
    }
    if (this.fetchError !== null) this.o.log.info(`${this.jobmanager}: getblocktemplate works again`);
    this.fetchError = null;
    const fetchMs = Date.now() - started;
    if (!this.running) return;
    this.checkExpectedTip(t);
    const fingerprint = templateFingerprint(t);
    if (this.last === null) {
      // The first job after a start. Miners already hold the previous core's job (a takeover, a
      // restart): on the same tip it goes out as a push, so their shares in flight on that job
      // still count instead of being refused as stale by a needless clean_jobs.
      const sameTip = this.publishedTip !== null && stratumPrevhashHex(t.previousblockhash) === this.publishedTip;
      this.publishedTip = null;
      this.emitJob(t, fingerprint, sameTip ? JobType.push : JobType.flush, cause, started, fetchMs);
      return;
    }
    const newBlock = t.previousblockhash !== this.last.template.previousblockhash;
    if (!newBlock && fingerprint === this.last.fingerprint) {
      this.o.log.debug(`${this.jobmanager}: template unchanged (${cause}); no new job`, { height: t.height });
      return;
    }
    this.emitJob(t, fingerprint, newBlock ? JobType.flush : JobType.refresh, cause, started, fetchMs);
  }

  /** A new-block event named a tip the template does not build on yet: ask again shortly, a few times. */
  private checkExpectedTip(t: BlockTemplate): void {
    const e = this.expectTip;
    if (e === null) return;
    if (t.previousblockhash === e.hash || e.retries >= STALE_TIP_RETRIES) {
      if (t.previousblockhash !== e.hash) this.o.log.warn(`${this.jobmanager}: templates still build on ${t.previousblockhash}, not the announced tip ${e.hash}`);
      this.expectTip = null;
      return;
    }
    e.retries++;
    this.later("tip", STALE_TIP_RETRY_MS, "retry");
  }

  private emitJob(t: BlockTemplate, fingerprint: string, type: JobType, cause: JobCause, started: number, fetchMs: number): void {
    const buildStart = Date.now();
    const built = buildJob(t, this.o.settings, this.ids.next(), type, this.o.aux?.() ?? NO_AUX);
    const { stored } = built;
    if (built.commitmentMismatch)
      this.o.log.error(`${this.jobmanager}: our witness commitment differs from the node's; using the node's`, { height: t.height, ...built.commitmentMismatch });
    this.store.add(stored);
    this.last = { template: t, fingerprint };
    this.lastJob = stored.job;
    // This core's first job is its first sight of the tip (stats, height), even when sent as a push.
    const newBlock = (type === JobType.flush && cause !== "aux") || this.jobCount === 0;
    this.jobCount++;
    if (newBlock) this.lastNewBlockAt = Date.now();
    const buildMs = Date.now() - buildStart;
    const line = `${this.jobmanager}: ${type === JobType.flush ? "FLUSH" : type === JobType.push ? "PUSH" : "REFRESH"} job ${stored.job.id}: ${t.transactions.length} transactions, height ${t.height}`;
    const fields = { cause, subsidy: String(t.coinbasevalue), fees: String(stored.fees), difficulty: bitsToDifficulty(u32FromHex(t.bits)), mweb: t.mweb !== null, segwit: stored.segwitActive };
    if (type === JobType.refresh) this.o.log.debug(line, fields);
    else this.o.log.info(line, fields);
    const publishStart = Date.now();
    void this.o.publisher.publish(stored.job, stored).then((published) => {
      const now = Date.now();
      const ev: JobEvent = { job: stored.job, stored, cause, newBlock, published, timing: { fetchMs, buildMs, publishMs: now - publishStart, generateMs: now - started } };
      for (const l of this.listeners) {
        try {
          l(ev);
        } catch (err) {
          this.o.log.error(`${this.jobmanager}: job listener threw`, { error: err });
        }
      }
    });
  }

  private later(purpose: "fetch" | "tip", ms: number, cause: JobCause): void {
    if (!this.running || this.timers.has(purpose)) return;
    const timer = setTimeout(() => {
      this.timers.delete(purpose);
      this.request(cause);
    }, ms);
    this.timers.set(purpose, timer);
  }
}
