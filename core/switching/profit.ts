/**
 * @module Profit switching arithmetic and the switch decision (spec §7), pure so every rule can be
 * checked without a chain or a Redis.
 *
 *   profitability = coinbasevalue/1e8 × score / network difficulty × ratio × 1 000 000
 *
 * and 0 at or above the coin's `max_blockheight`. The decision fixes PowerPool's quirk (spec §15
 * item 16): the margin is applied to the NEW best coin against the current one, not to the
 * previously chosen "next" coin.
 */

/** What one coin's profitability is computed from. */
export interface ProfitInput {
  /** The latest job's coinbasevalue, satoshis. */
  readonly coinbaseValue: bigint;
  /** Network difficulty of the latest job's bits. */
  readonly difficulty: number;
  /** Height of the block the latest job mines. */
  readonly height: number;
  /** `coins.<key>.max_blockheight`; null: no limit. */
  readonly maxBlockheight: number | null;
  /** `<CUR>_profit` (0 when missing or unparsable). */
  readonly score: number;
  /** `<CUR>_ratio` (1 when missing). */
  readonly ratio: number;
}

const COIN = 1e8;
const SCALE = 1_000_000;

export function profitability(p: ProfitInput): number {
  if (p.maxBlockheight !== null && p.height >= p.maxBlockheight) return 0;
  // A zero or broken difficulty would make any score infinitely good: score it 0 instead.
  if (!(p.difficulty > 0) || !Number.isFinite(p.difficulty)) return 0;
  const value = ((Number(p.coinbaseValue) / COIN) * p.score / p.difficulty) * p.ratio * SCALE;
  return Number.isFinite(value) && value > 0 ? value : 0;
}

export interface SwitchInputs {
  /** Coin keys in configuration order (the last tie-break). */
  readonly order: readonly string[];
  /** Profitability of every coin that has a job; coins without one cannot be mined. */
  readonly profits: ReadonlyMap<string, number>;
  /** The coin the switcher publishes, or null before the first switch. */
  readonly current: string | null;
  /** The coin to switch to at the current coin's next block (equals current when none is pending). */
  readonly next: string | null;
  /** `margin_switch`. */
  readonly margin: number;
}

export type SwitchDecision =
  /** Switch at once: nothing mined yet, or `best` beats the current coin by more than the margin. */
  | { readonly kind: "switch-now"; readonly best: string; readonly reason: "start" | "margin" }
  /** `best` is better but within the margin: switch at the current coin's next block. */
  | { readonly kind: "switch-at-next-block"; readonly best: string }
  /** The current coin is (still) the best: any pending switch is cancelled. */
  | { readonly kind: "stay"; readonly best: string }
  /** No coin has a job yet. */
  | { readonly kind: "none" };

/**
 * The most profitable coin. Ties go to the current coin, then the pending next one, then the
 * earlier in the configuration, so equal scores never cause a switch.
 */
export function bestCoin(i: Pick<SwitchInputs, "order" | "profits" | "current" | "next">): string | undefined {
  const ranked = [...new Set([i.current, i.next, ...i.order])].filter((k): k is string => k !== null && i.profits.has(k));
  let best: string | undefined;
  for (const k of ranked) if (best === undefined || i.profits.get(k)! > i.profits.get(best)!) best = k;
  return best;
}

export function decideSwitch(i: SwitchInputs): SwitchDecision {
  const best = bestCoin(i);
  if (best === undefined) return { kind: "none" };
  if (i.current === null || !i.profits.has(i.current)) return { kind: "switch-now", best, reason: "start" };
  if (best === i.current) return { kind: "stay", best };
  if (i.profits.get(best)! > i.profits.get(i.current)! * i.margin) return { kind: "switch-now", best, reason: "margin" };
  return { kind: "switch-at-next-block", best };
}
