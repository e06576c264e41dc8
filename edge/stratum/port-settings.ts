/**
 * @module What a port derives from the config once: its coin(s), the version bits miners may roll,
 * the address networks usernames are checked against, vardiff settings and the timer period.
 */
import { coinNetwork } from "../../shared/config/addresses.ts";
import type { EdgeCoinView, EdgeView } from "../../shared/config/edge-view.ts";
import type { ResolvedStratum } from "../../shared/config/load.ts";
import type { VardiffSettings } from "../vardiff/state.ts";
import { addressValidator, type UsernameRules } from "./username.ts";

/** The coins a port's jobmanager can hand out work for: the coin itself, or a switcher's coins. */
export function portCoins(cfg: EdgeView, s: ResolvedStratum): EdgeCoinView[] {
  const coin = cfg.coins[s.jobmanager];
  if (coin) return [coin];
  return (cfg.switchers[s.jobmanager]?.jobmanagers ?? []).flatMap((k) => cfg.coins[k] ?? []);
}

/**
 * Bits every coin of the port lets miners roll: a switching port may move a miner to any of its
 * coins without renegotiating, so it offers only the bits all of them allow.
 */
export function allowedVersionMask(coins: readonly EdgeCoinView[]): number {
  if (coins.length === 0) return 0;
  return coins.reduce((m, c) => (m & c.version_mask) >>> 0, 0xffffffff);
}

export function usernameRules(coins: readonly EdgeCoinView[], s: ResolvedStratum): UsernameRules {
  return {
    isValidAddress: addressValidator(
      coins.map((c) => coinNetwork(c.network)),
      s.valid_address_versions,
    ),
    aliases: s.aliases,
    donateKey: s.donate_key,
  };
}

export function vardiffSettings(s: ResolvedStratum): VardiffSettings {
  return { enabled: s.vardiff.enabled && s.tiers.length > 0, spmTarget: s.vardiff.spm_target, intervalMs: s.vardiff.interval * 1000, tiers: s.tiers };
}

/** How often the port timer runs: a quarter of its shortest period, between 25 ms and 1 s. */
export function sweepPeriodMs(s: ResolvedStratum): number {
  const periods = [s.push_job_interval, s.idle_worker_threshold, s.idle_worker_disconnect_threshold, s.limits.blocked_write_timeout];
  if (s.vardiff.enabled) periods.push(s.vardiff.interval);
  return Math.min(1000, Math.max(25, (Math.min(...periods) * 1000) / 4));
}
