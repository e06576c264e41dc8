/**
 * @module One connection's vardiff: its tiers, its share rate and when it last retargeted.
 *
 * Retargets run after a submit and from the port's timer once `interval` has passed since the last
 * one (PowerPool ran them only on submits and keepalive timeouts). The timer is what brings a miner
 * whose difficulty is too high back down when it sends nothing: after more than `interval` of
 * silence its rate is taken as at most one share of the current difficulty per silent period.
 *
 * A miner far above the target does not wait for `interval`: once it has sent at least
 * FAST_MIN_SHARES accepted shares since the last retarget, at more than FAST_FACTOR times
 * `spm_target`, a retarget is due at once, using the rate since the last retarget (a fast miner
 * at a low difficulty otherwise floods the edge with shares for up to `interval`). Each retarget
 * moves at most to the tier that gives the target rate, so a miner climbs in a few quick steps.
 *
 * Most connections of a big edge are idle or few-share miners, so the state is small until used:
 * the share-rate ring comes with the first accepted share, and the tiers are the port's own array
 * unless the connection narrowed them. On a port without vardiff there is nothing to remember:
 * every connection shares one inert instance (`VardiffState.for`), which no method changes.
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

/** Shares since the last retarget before a fast retarget is considered (noise guard). */
export const FAST_MIN_SHARES = 10;
/** How far above `spm_target` the rate since the last retarget must be for a fast retarget. */
export const FAST_FACTOR = 8;

/** The shared instance of each port without vardiff. */
const inert = new WeakMap<VardiffSettings, VardiffState>();

export class VardiffState {
  /** False on a port without vardiff, or once the connection turned it off (password `-d`). */
  enabled: boolean;
  /** The port's tiers narrowed by every `restrict` so far (filtering twice is filtering by both bounds). */
  private tiers: readonly number[];
  /** Since when the rate is measured; the ring is allocated at the first accepted share. */
  private readonly since: number;
  private rate: ShareRate | undefined;
  private lastRetargetAt: number;
  /** Later of the last accepted share and the last difficulty change: silence is measured from here. */
  private quietSince: number;
  /** Accepted shares and their difficulty since the last retarget (the fast retarget's rate). */
  private sinceCount = 0;
  private sinceDifficulty = 0;

  constructor(
    private readonly settings: VardiffSettings,
    now: number,
  ) {
    this.enabled = settings.enabled;
    this.tiers = settings.tiers;
    this.since = now;
    this.lastRetargetAt = now;
    this.quietSince = now;
  }

  /** A new connection's vardiff: its own when the port has vardiff, else the port's inert instance. */
  static for(settings: VardiffSettings, now: number): VardiffState {
    if (settings.enabled) return new VardiffState(settings, now);
    let v = inert.get(settings);
    if (!v) inert.set(settings, (v = new VardiffState(settings, now)));
    return v;
  }

  /** Limits this connection's tiers (password --min/--max-diff, configure minimum-difficulty); undefined keeps a bound. */
  restrict(min: number | undefined, max: number | undefined): void {
    if (!this.settings.enabled || (min === undefined && max === undefined)) return;
    this.tiers = personalTiers(this.tiers, min, max);
  }

  get personalTiers(): readonly number[] {
    return this.tiers;
  }

  onAccepted(difficulty: number, now: number): void {
    if (!this.enabled) return;
    (this.rate ??= new ShareRate(this.since)).add(difficulty, now);
    this.quietSince = now;
    this.sinceCount++;
    this.sinceDifficulty += difficulty;
  }

  /** The difficulty changed by other means (suggest_difficulty, configure): measure afresh from now. */
  onDifficultySet(now: number): void {
    if (!this.settings.enabled) return;
    this.quietSince = now;
    this.restart(now);
  }

  /** True when a retarget may run: `interval` has passed, or the miner is far above the target. */
  due(now: number): boolean {
    return this.enabled && (now - this.lastRetargetAt > this.settings.intervalMs || this.fast(now));
  }

  /** Far above the target since the last retarget (enough shares to tell). */
  private fast(now: number): boolean {
    if (this.sinceCount < FAST_MIN_SHARES) return false;
    return this.sinceCount > FAST_FACTOR * this.settings.spmTarget * this.sinceMinutes(now);
  }

  /** Minutes since the last retarget, at least one second's worth (a burst is not infinitely fast). */
  private sinceMinutes(now: number): number {
    return Math.max(now - this.lastRetargetAt, 1000) / 60_000;
  }

  private restart(now: number): void {
    this.lastRetargetAt = now;
    this.sinceCount = 0;
    this.sinceDifficulty = 0;
  }

  /** The difficulty to move to, or undefined to stay at `current`. Restarts the interval. */
  retarget(current: number, now: number): number | undefined {
    if (!this.enabled) return undefined;
    const fast = this.fast(now);
    const recent = this.sinceDifficulty / this.sinceMinutes(now);
    this.restart(now);
    if (this.tiers.length === 0) return undefined;
    let perMinute = this.rate ? this.rate.perMinute(now) : 0;
    // The long window lags a miner that just sped up; the rate since the last retarget does not.
    if (fast) perMinute = Math.max(perMinute, recent);
    const quietMs = now - this.quietSince;
    if (quietMs > this.settings.intervalMs) perMinute = Math.min(perMinute, current / (quietMs / 60_000));
    const next = nearestTier(this.tiers, idealDifficulty(perMinute, this.settings.spmTarget));
    if (next === undefined || next === current) return undefined;
    this.quietSince = now;
    return next;
  }
}
