/**
 * @module One profit switcher at run time (PowerPool's MonitorNetworkMulti, spec §7): follows its
 * coins' job managers, polls the scores every `profit_poll_int`, and publishes the chosen coin's
 * jobs under the switcher's name, which is what stratum ports with `jobmanager: <switcher>` mine.
 *
 * Published jobs are copies (the child's job object is shared with its own stream and job store)
 * with `jobmanager` = the switcher and `coin`/`currency` unchanged, so shares are credited to the
 * coin they were mined for and block candidates go to that coin's submitter (BlockConsumer routes
 * by `coin`). A forwarded job keeps its id; a switch job gets a fresh id, registered in the coin's
 * job store, because edges drop a job id they have already seen on a stream and a switch back to
 * a coin may re-send a job that was published before.
 */
import type { JobV1 } from "../../shared/contract/index.ts";
import type { Logger } from "../../shared/log.ts";
import type { JobEvent, JobManagerStatus, StoredJob } from "../jobs/index.ts";
import { ScoreReader, type CoinScore, type ScoreStore } from "./scores.ts";
import { forwardJob, SwitchState, switchJob, type SwitchAction, type SwitchCoin } from "./state.ts";
import { switcherStatus, type SwitcherStatus } from "./status.ts";

/** A coin's job manager as the switcher uses it (core/jobs JobManager fits). */
export interface SwitchChild {
  readonly coin: SwitchCoin;
  readonly jobs: {
    subscribe(listener: (ev: JobEvent) => void): () => void;
    status(): Pick<JobManagerStatus, "lastJobId">;
    readonly store: { add(stored: StoredJob): void; get(id: string): StoredJob | undefined };
  };
}

export interface ProfitSwitcherOptions {
  /** The switcher's key: the name its jobs are published under. */
  readonly key: string;
  readonly children: readonly SwitchChild[];
  readonly marginSwitch: number;
  readonly pollIntervalMs: number;
  /** The accounting Redis (the `<CUR>_profit` / `<CUR>_ratio` keys). */
  readonly scores: ScoreStore;
  /** The core's JobPublisher. */
  readonly publisher: { publish(job: JobV1, stored?: StoredJob): Promise<boolean>; latest(jobmanager: string): Promise<JobV1 | null> };
  /** The core's JobIdAllocator (ids unique core-wide). */
  readonly ids: { next(): string; continueAfter(id: string): void };
  readonly log: Logger;
  /** statsd `<procname>.profitability.<CUR>` gauge. */
  readonly gauge?: (currency: string, value: number) => void;
  /** How long start-up waits for the first score reading before choosing without scores; default 2000 ms. */
  readonly firstPollTimeoutMs?: number;
  /** A score reading unanswered this long counts as failing; default max(5000 ms, the poll interval). */
  readonly slowMs?: number;
  readonly now?: () => number;
}

export class ProfitSwitcher {
  private readonly state: SwitchState;
  private readonly reader: ScoreReader;
  private readonly children: ReadonlyMap<string, SwitchChild>;
  private readonly now: () => number;
  private readonly offs: (() => void)[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private polling: Promise<void> | null = null;
  private running = false;
  private lastPollAt: number | null = null;
  private pollError: string | null = null;

  constructor(private readonly o: ProfitSwitcherOptions) {
    this.state = new SwitchState(o.children.map((c) => c.coin), o.marginSwitch);
    this.reader = new ScoreReader(o.scores, o.log);
    this.children = new Map(o.children.map((c) => [c.coin.key, c]));
    this.now = o.now ?? Date.now;
  }

  get key(): string {
    return this.o.key;
  }

  /** The coin key being mined, or null before the first switch. */
  get current(): string | null {
    return this.state.current;
  }

  /**
   * Follows the children (each one's latest job so far is taken from its store), makes ids
   * continue after the switcher's last published job, reads the scores once and chooses a coin.
   */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    for (const child of this.children.values()) {
      const last = child.jobs.status().lastJobId;
      const stored = last === null ? undefined : child.jobs.store.get(last);
      if (stored) this.apply(this.state.onJob(child.coin.key, stored, this.now()));
      this.offs.push(child.jobs.subscribe((ev) => this.onChildJob(child, ev)));
    }
    const wait = this.o.firstPollTimeoutMs ?? 2000;
    const latest = await Promise.race([this.o.publisher.latest(this.o.key).catch(() => null), Bun.sleep(wait).then(() => null)]);
    if (latest) this.o.ids.continueAfter(latest.id);
    const first = this.pollNow();
    const inTime = await Promise.race([first.then(() => true), Bun.sleep(wait).then(() => false)]);
    if (!inTime && this.running) {
      this.o.log.warn(`${this.o.key}: no score reading within ${wait} ms; choosing without scores until one arrives`);
      this.apply(this.state.applyScores(new Map(), this.now()).actions);
    }
    this.schedule();
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const off of this.offs.splice(0)) off();
  }

  /** Reads the scores now (one reading at a time; a call during a reading waits for it). */
  pollNow(): Promise<void> {
    this.polling ??= this.poll().finally(() => {
      this.polling = null;
    });
    return this.polling;
  }

  status(): SwitcherStatus {
    return switcherStatus({
      coins: this.o.children.map((c) => c.coin),
      state: this.state,
      marginSwitch: this.o.marginSwitch,
      pollIntervalMs: this.o.pollIntervalMs,
      lastPollAt: this.lastPollAt,
      pollError: this.pollError,
    });
  }

  private schedule(): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      void this.pollNow().finally(() => this.schedule());
    }, this.o.pollIntervalMs);
    this.timer.unref?.();
  }

  private async poll(): Promise<void> {
    const coins = [...this.children.values()].map((c) => c.coin);
    // ioredis holds commands while Redis is away: say so once the reading is overdue, and keep
    // this one reading (no new ones pile up behind it) until Redis answers.
    const slowMs = this.o.slowMs ?? Math.max(5000, this.o.pollIntervalMs);
    const slow = setTimeout(() => this.pollFailed(`no answer from Redis for ${slowMs} ms`), slowMs);
    slow.unref?.();
    let byCurrency: Map<string, CoinScore>;
    try {
      byCurrency = await this.reader.read(coins.map((c) => c.currency));
    } catch (e) {
      this.pollFailed((e as Error).message);
      return;
    } finally {
      clearTimeout(slow);
    }
    if (this.pollError !== null) this.o.log.info(`${this.o.key}: reading profit scores works again`);
    this.pollError = null;
    this.lastPollAt = this.now();
    if (!this.running) return;
    const readings = new Map<string, CoinScore>();
    for (const c of coins) readings.set(c.key, byCurrency.get(c.currency)!);
    const { changed, actions } = this.state.applyScores(readings, this.now());
    if (changed) for (const c of coins) this.sendGauge(c);
    this.apply(actions);
  }

  private pollFailed(reason: string): void {
    if (this.pollError === null) this.o.log.error(`${this.o.key}: reading profit scores failed: ${reason}; the last scores stand`);
    this.pollError = reason;
    // A first reading failing must not leave the switcher idle: it chooses without scores.
    if (this.running) this.apply(this.state.applyScores(new Map(), this.now()).actions);
  }

  private onChildJob(child: SwitchChild, ev: JobEvent): void {
    if (!this.running) return;
    const actions = this.state.onJob(child.coin.key, ev.stored, this.now());
    if (ev.job.type === 0) this.sendGauge(child.coin);
    this.apply(actions);
  }

  private sendGauge(coin: SwitchCoin): void {
    const p = this.state.profitOf(coin.key);
    if (p !== undefined) this.o.gauge?.(coin.currency, p);
  }

  private apply(actions: readonly SwitchAction[]): void {
    for (const a of actions) {
      const child = this.children.get(a.coin);
      if (!child) continue;
      let job: JobV1;
      let stored: StoredJob | undefined;
      if (a.kind === "forward") job = forwardJob(a.stored.job, this.o.key);
      else {
        job = switchJob(a.stored.job, this.o.key, this.o.ids.next(), this.now());
        stored = { ...a.stored, job };
        child.jobs.store.add(stored);
        const from = a.from === null ? "nothing" : (this.children.get(a.from)?.coin.currency ?? a.from);
        const profit = (k: string | null) => (k === null ? null : (this.state.profitOf(k) ?? null));
        this.o.log.notice(`${this.o.key}: switching from ${from} to ${child.coin.currency} (${a.reason})`, {
          job: job.id,
          height: job.height,
          profit: profit(a.coin),
          previousProfit: profit(a.from),
        });
      }
      void this.o.publisher.publish(job, stored).then((published) => {
        if (!published) this.o.log.debug(`${this.o.key}: job ${job.id} of ${child.coin.currency} not published (superseded or stopping)`);
      });
    }
  }
}
