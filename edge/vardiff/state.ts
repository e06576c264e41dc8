/**
 * @module One connection's vardiff: its tiers, its share rate and when it last retargeted.
 *
 * Retargets run after a submit and from the port's timer once `interval` has passed since the last
 * one (PowerPool ran them only on submits and keepalive timeouts). The timer is what brings a miner
 * whose difficulty is too high back down when it sends nothing: after more than `interval` of
 * silence its rate is taken as at most one share of the current difficulty per silent period.
 */
import { idealDifficulty, nearestTier, personalTiers } from "./retarget.ts";
import { ShareRate } from "./share-rate.ts";

export interface VardiffSettings {
  /** Vardiff on for this port (a connection may turn it off with `-d`). */
  readonly enabled: boolean;
  /** Shares per minute to aim for. */
  readonly spmTarget: number;
  /** Least time between retargets, ms. */
  readonly intervalMs: number;
  /** The port's tiers, ascending. */
  readonly tiers: readonly number[];
}

export class VardiffState {
  enabled: boolean;
  private tiers: readonly number[];
  private min: number | undefined;
  private max: number | undefined;
  private readonly rate: ShareRate;
  private lastRetargetAt: number;
  /** Later of the last accepted share and the last difficulty change: silence is measured from here. */
  private quietSince: number;

  constructor(
    private readonly settings: VardiffSettings,
    now: number,
  ) {
    this.enabled = settings.enabled;
    this.tiers = settings.tiers;
    this.rate = new ShareRate(now);
    this.lastRetargetAt = now;
    this.quietSince = now;
  }

  /** Limits this connection's tiers (password --min/--max-diff, configure minimum-difficulty); undefined keeps a bound. */
  restrict(min: number | undefined, max: number | undefined): void {
    if (min !== undefined) this.min = this.min === undefined ? min : Math.max(this.min, min);
    if (max !== undefined) this.max = this.max === undefined ? max : Math.min(this.max, max);
    this.tiers = personalTiers(this.settings.tiers, this.min, this.max);
  }

  get personalTiers(): readonly number[] {
    return this.tiers;
  }

  onAccepted(difficulty: number, now: number): void {
    this.rate.add(difficulty, now);
    this.quietSince = now;
  }

  /** The difficulty changed by other means (suggest_difficulty, configure): measure afresh from now. */
  onDifficultySet(now: number): void {
    this.quietSince = now;
    this.lastRetargetAt = now;
  }

  /** True when a retarget may run. */
  due(now: number): boolean {
    return this.enabled && now - this.lastRetargetAt > this.settings.intervalMs;
  }

  /** The difficulty to move to, or undefined to stay at `current`. Restarts the interval. */
  retarget(current: number, now: number): number | undefined {
    this.lastRetargetAt = now;
    if (!this.enabled || this.tiers.length === 0) return undefined;
    let perMinute = this.rate.perMinute(now);
    const quietMs = now - this.quietSince;
    if (quietMs > this.settings.intervalMs) perMinute = Math.min(perMinute, current / (quietMs / 60_000));
    const next = nearestTier(this.tiers, idealDifficulty(perMinute, this.settings.spmTarget));
    if (next === undefined || next === current) return undefined;
    this.quietSince = now;
    return next;
  }
}
