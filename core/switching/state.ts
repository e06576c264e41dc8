/**
 * @module One switcher's state machine (spec §7, quirks of §15 item 16 fixed), with no I/O: child
 * jobs and score readings go in, "publish this job" actions come out. switcher.ts does the I/O.
 *
 * - Scores change → every coin's profitability is recomputed and the best coin chosen.
 * - A flush job of any coin → that coin's profitability is recomputed and the best coin chosen.
 * - Choosing: before the first switch, or when the best beats the current coin by more than
 *   `margin_switch`, the switch happens at once; a best within the margin becomes "next" and the
 *   switch happens at the current coin's next block (its next flush job).
 * - A job of the current coin that does not end in a switch is forwarded as it is.
 * - Nothing is chosen before the first score reading (`markReady`), so the first coin mined is the
 *   one the scores favour, not simply the first with a job.
 */
import { bitsToDifficulty, u32FromHex } from "../../shared/bitcoin/index.ts";
import { JobType, type JobV1 } from "../../shared/contract/index.ts";
import type { StoredJob } from "../jobs/index.ts";
import { decideSwitch, profitability } from "./profit.ts";
import type { CoinScore } from "./scores.ts";

export interface SwitchCoin {
  /** The coin key (its jobmanager). */
  readonly key: string;
  readonly currency: string;
  readonly maxBlockheight: number | null;
}

export type SwitchReason = "start" | "margin" | "next-block";

export type SwitchAction =
  /** Publish this job of the current coin under the switcher, type unchanged. */
  | { readonly kind: "forward"; readonly coin: string; readonly stored: StoredJob }
  /** Switch to `coin`: publish its latest job under the switcher as a flush job. */
  | { readonly kind: "switch"; readonly coin: string; readonly stored: StoredJob; readonly from: string | null; readonly reason: SwitchReason };

export interface PriceRecord extends CoinScore {
  /** When this (score, ratio) pair was first read (ms). */
  readonly at: number;
}

export interface LastSwitch {
  readonly at: number;
  readonly from: string | null;
  readonly to: string;
  readonly reason: SwitchReason;
}

export class SwitchState {
  private readonly coins: ReadonlyMap<string, SwitchCoin>;
  private readonly latest = new Map<string, StoredJob>();
  private readonly prices = new Map<string, PriceRecord>();
  private readonly profits = new Map<string, number>();
  private cur: string | null = null;
  private nxt: string | null = null;
  private ready = false;
  private last: LastSwitch | null = null;
  private count = 0;

  constructor(
    coins: readonly SwitchCoin[],
    private readonly margin: number,
  ) {
    if (coins.length === 0) throw new RangeError("SwitchState: expected at least one coin, got none");
    this.coins = new Map(coins.map((c) => [c.key, c]));
  }

  get current(): string | null {
    return this.cur;
  }

  get next(): string | null {
    return this.nxt;
  }

  get lastSwitch(): LastSwitch | null {
    return this.last;
  }

  get switches(): number {
    return this.count;
  }

  profitOf(coin: string): number | undefined {
    return this.profits.get(coin);
  }

  priceOf(coin: string): PriceRecord | undefined {
    return this.prices.get(coin);
  }

  latestOf(coin: string): StoredJob | undefined {
    return this.latest.get(coin);
  }

  /**
   * New readings, keyed by coin key (coins left out keep theirs). Returns whether any (score,
   * ratio) pair changed and what to publish; the first call also makes the switcher ready.
   */
  applyScores(readings: ReadonlyMap<string, CoinScore>, now: number): { changed: boolean; actions: SwitchAction[] } {
    let changed = false;
    for (const [coin, r] of readings) {
      if (!this.coins.has(coin)) continue;
      const prior = this.prices.get(coin);
      if (prior && prior.score === r.score && prior.ratio === r.ratio) continue;
      this.prices.set(coin, { score: r.score, ratio: r.ratio, at: now });
      changed = true;
    }
    const first = !this.ready;
    this.ready = true;
    if (!changed && !first) return { changed, actions: [] };
    for (const coin of this.latest.keys()) this.recompute(coin);
    return { changed, actions: this.choose(now) };
  }

  /** A child job (in the child's order). Returns what to publish under the switcher. */
  onJob(coin: string, stored: StoredJob, now: number): SwitchAction[] {
    if (!this.coins.has(coin)) return [];
    this.latest.set(coin, stored);
    this.recompute(coin);
    if (!this.ready) return [];
    const flush = stored.job.type === JobType.flush;
    if (flush) {
      const chosen = this.choose(now);
      if (chosen.length > 0) return chosen;
    }
    if (coin !== this.cur) return [];
    // The current coin's next block: the moment a pending switch happens.
    if (flush && this.nxt !== null && this.nxt !== this.cur) {
      const target = this.latest.get(this.nxt);
      if (target) return [this.switchTo(this.nxt, target, "next-block", now)];
    }
    return [{ kind: "forward", coin, stored }];
  }

  private recompute(coin: string): void {
    const c = this.coins.get(coin);
    const s = this.latest.get(coin);
    if (!c || !s) return;
    const price = this.prices.get(coin);
    this.profits.set(
      coin,
      profitability({
        coinbaseValue: s.coinbaseValue,
        difficulty: bitsToDifficulty(u32FromHex(s.job.bits)),
        height: s.job.height,
        maxBlockheight: c.maxBlockheight,
        score: price?.score ?? 0,
        ratio: price?.ratio ?? 1,
      }),
    );
  }

  private choose(now: number): SwitchAction[] {
    const d = decideSwitch({ order: [...this.coins.keys()], profits: this.profits, current: this.cur, next: this.nxt, margin: this.margin });
    switch (d.kind) {
      case "none":
        return [];
      case "stay":
        this.nxt = this.cur;
        return [];
      case "switch-at-next-block":
        this.nxt = d.best;
        return [];
      case "switch-now":
        return [this.switchTo(d.best, this.latest.get(d.best)!, d.reason, now)];
    }
  }

  private switchTo(coin: string, stored: StoredJob, reason: SwitchReason, now: number): SwitchAction {
    const from = this.cur;
    this.cur = coin;
    this.nxt = coin;
    this.last = { at: now, from, to: coin, reason };
    this.count++;
    return { kind: "switch", coin, stored, from, reason };
  }
}

/**
 * The job a switch publishes: a copy (the child's job object is shared with its own stream and
 * store) under the switcher's name, as a flush so miners drop the other coin's work.
 */
export function switchJob(job: JobV1, switcher: string, id: string, now: number): JobV1 {
  return { ...job, id, jobmanager: switcher, type: JobType.flush, createdAt: now };
}

/** A forwarded job: the same id (the coin's store holds it under that id), under the switcher's name. */
export function forwardJob(job: JobV1, switcher: string): JobV1 {
  return { ...job, jobmanager: switcher };
}
