/**
 * @module core/switching: profit switching (PowerPool's MonitorNetworkMulti, spec §7). One
 * ProfitSwitcher per `switchers.<key>` entry, over the job managers of its coins; `createSwitchers`
 * is the core's one call.
 */
import type { Config } from "../../shared/config/load.ts";
import type { Logger } from "../../shared/log.ts";
import { ProfitSwitcher, type ProfitSwitcherOptions, type SwitchChild } from "./switcher.ts";

export { bestCoin, decideSwitch, profitability, type ProfitInput, type SwitchDecision, type SwitchInputs } from "./profit.ts";
export { parseRatio, parseScore, profitKey, ratioKey, ScoreReader, type CoinScore, type ParsedValue, type ScoreStore } from "./scores.ts";
export { forwardJob, SwitchState, switchJob, type LastSwitch, type PriceRecord, type SwitchAction, type SwitchCoin, type SwitchReason } from "./state.ts";
export { switcherStatus, type SwitcherStatus } from "./status.ts";
export { ProfitSwitcher, type ProfitSwitcherOptions, type SwitchChild } from "./switcher.ts";

export type SwitcherDeps = Omit<ProfitSwitcherOptions, "key" | "children" | "marginSwitch" | "pollIntervalMs" | "log"> & {
  /** The core's coin job managers by coin key. */
  readonly jobs: (coinKey: string) => SwitchChild["jobs"] | undefined;
  readonly log: Logger;
};

/** One switcher per config entry (not started). Throws RangeError when a coin it names is not running. */
export function createSwitchers(config: Pick<Config, "switchers" | "coins">, deps: SwitcherDeps): Map<string, ProfitSwitcher> {
  const out = new Map<string, ProfitSwitcher>();
  for (const [key, s] of Object.entries(config.switchers)) {
    const children: SwitchChild[] = s.jobmanagers.map((coinKey) => {
      const coin = config.coins[coinKey];
      const jobs = deps.jobs(coinKey);
      if (!coin || !jobs) throw new RangeError(`switchers.${key}.jobmanagers: expected a coin this core runs, got ${coinKey}`);
      return { coin: { key: coinKey, currency: coin.currency, maxBlockheight: coin.max_blockheight }, jobs };
    });
    const { jobs: _jobs, log, ...rest } = deps;
    out.set(key, new ProfitSwitcher({ ...rest, key, children, marginSwitch: s.margin_switch, pollIntervalMs: s.profit_poll_int * 1000, log: log.child(key) }));
  }
  return out;
}
