/**
 * @module A switcher's monitor status in PowerPool's shape (spec §7: `price_data`, `profit_data`,
 * `next_network`, `current_network`, networks named by currency), plus what an operator asks
 * next: the last switch (when, from, to, why), how many, and the score polling's health. Times are
 * float epoch seconds, as elsewhere in the monitor.
 */
import type { SwitchCoin, SwitchState } from "./state.ts";

export interface SwitcherStatus {
  /** Per currency: the score and ratio in use, and when that pair was first read (null: never read). */
  readonly price_data: Readonly<Record<string, { score: number; ratio: number; updated_at: number | null }>>;
  /** Per currency: the profitability, or null while the coin has no job. */
  readonly profit_data: Readonly<Record<string, number | null>>;
  readonly current_network: string | null;
  readonly next_network: string | null;
  readonly last_switch: { time: number; from: string | null; to: string; reason: string } | null;
  readonly switches: number;
  /** Coin keys, in configuration order. */
  readonly jobmanagers: readonly string[];
  readonly margin_switch: number;
  readonly profit_poll_int: number;
  readonly last_poll: number | null;
  readonly poll_error: string | null;
}

export interface StatusInputs {
  readonly coins: readonly SwitchCoin[];
  readonly state: SwitchState;
  readonly marginSwitch: number;
  readonly pollIntervalMs: number;
  readonly lastPollAt: number | null;
  readonly pollError: string | null;
}

export function switcherStatus(i: StatusInputs): SwitcherStatus {
  const currency = new Map(i.coins.map((c) => [c.key, c.currency]));
  const cur = (k: string | null) => (k === null ? null : (currency.get(k) ?? k));
  const price_data: Record<string, { score: number; ratio: number; updated_at: number | null }> = {};
  const profit_data: Record<string, number | null> = {};
  for (const c of i.coins) {
    const p = i.state.priceOf(c.key);
    price_data[c.currency] = { score: p?.score ?? 0, ratio: p?.ratio ?? 1, updated_at: p ? p.at / 1000 : null };
    profit_data[c.currency] = i.state.profitOf(c.key) ?? null;
  }
  const last = i.state.lastSwitch;
  return {
    price_data,
    profit_data,
    current_network: cur(i.state.current),
    next_network: cur(i.state.next),
    last_switch: last ? { time: last.at / 1000, from: cur(last.from), to: cur(last.to)!, reason: last.reason } : null,
    switches: i.state.switches,
    jobmanagers: i.coins.map((c) => c.key),
    margin_switch: i.marginSwitch,
    profit_poll_int: i.pollIntervalMs / 1000,
    last_poll: i.lastPollAt === null ? null : i.lastPollAt / 1000,
    poll_error: i.pollError,
  };
}
