/**
 * @module Vardiff maths, pure (PowerPool spec §4.3 with §15 items 22 and 26 fixed): no integer
 * division, and rates are per connection.
 */

/** The tier nearest to `ideal`; a tie goes to the earlier tier (PowerPool). Undefined without tiers. */
export function nearestTier(tiers: readonly number[], ideal: number): number | undefined {
  let best: number | undefined;
  let bestDistance = Infinity;
  for (const tier of tiers) {
    const d = Math.abs(tier - ideal);
    if (d < bestDistance) {
      best = tier;
      bestDistance = d;
    }
  }
  return best;
}

/** The difficulty at which a miner with this accepted difficulty per minute sends `spmTarget` shares a minute. */
export function idealDifficulty(difficultyPerMinute: number, spmTarget: number): number {
  return difficultyPerMinute / spmTarget;
}

/**
 * A connection's own tiers: the port's, limited by the password's `--min-diff`/`--max-diff` and
 * mining.configure's minimum-difficulty. May be empty; vardiff then leaves the difficulty alone.
 */
export function personalTiers(tiers: readonly number[], min: number | undefined, max: number | undefined): number[] {
  return tiers.filter((t) => (min === undefined || t >= min) && (max === undefined || t <= max));
}

export function clamp(value: number, lo: number, hi: number): number {
  return value < lo ? lo : value > hi ? hi : value;
}
