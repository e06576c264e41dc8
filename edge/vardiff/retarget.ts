/**
 * @module Vardiff maths, pure (PowerPool spec §4.3 with §15 items 22 and 26 fixed): no integer
 * division, and rates are per connection.
 */

/**
 * The tier nearest to `ideal`; a tie goes to the earlier tier (PowerPool). Undefined without tiers
 * or for a NaN ideal. `tiers` is ascending: an ideal beyond either end is that end's tier (without
 * this, an ideal of 1e300 is "equally far" from every tier in doubles and picked the lowest).
 */
export function nearestTier(tiers: readonly number[], ideal: number): number | undefined {
  if (Number.isNaN(ideal) || tiers.length === 0) return undefined;
  if (ideal >= tiers[tiers.length - 1]!) return tiers[tiers.length - 1];
  if (ideal <= tiers[0]!) return tiers[0];
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
