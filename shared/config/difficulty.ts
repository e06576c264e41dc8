/**
 * @module The difficulties a stratum port may ever give a miner: what the edge clamps every
 * miner-supplied or computed difficulty to, and what the core bounds a share record's difficulty
 * by (it does not take an edge's word for a number it can check).
 */
/** What the range is made of (a resolved port fits). */
export interface DifficultySettings {
  readonly start_difficulty: number;
  readonly minimum_manual_diff: number;
  readonly vardiff: { readonly minimum_difficulty: number; readonly maximum_difficulty: number };
  /** Ascending. */
  readonly tiers: readonly number[];
}

export interface DifficultyRange {
  /** Lowest difficulty vardiff, suggest_difficulty and configure may set. */
  readonly min: number;
  /** Lowest difficulty a password option may set (`minimum_manual_diff`, at most `max`). */
  readonly manualMin: number;
  /** Highest difficulty anything may set. */
  readonly max: number;
}

/**
 * `[vardiff.minimum_difficulty, vardiff.maximum_difficulty]`, widened to take in the start
 * difficulty and the configured tiers (a port without vardiff may start above the default maximum),
 * and down to `minimum_manual_diff` for password options.
 */
export function difficultyRange(s: DifficultySettings): DifficultyRange {
  const first = s.tiers[0] ?? s.start_difficulty;
  const last = s.tiers[s.tiers.length - 1] ?? s.start_difficulty;
  const min = Math.min(s.vardiff.minimum_difficulty, s.start_difficulty, first);
  const max = Math.max(s.vardiff.maximum_difficulty, s.start_difficulty, last);
  return { min, manualMin: Math.min(s.minimum_manual_diff, max), max };
}

/** `value` within `[lo, hi]`; NaN gives `lo` (callers refuse non-finite input before, this is the last guard). */
export function clampDifficulty(value: number, lo: number, hi: number): number {
  if (!(value >= lo)) return lo;
  return value > hi ? hi : value;
}
