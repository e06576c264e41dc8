/**
 * @module What a skipped test group leaves for the end of `bun run test`: one JSON line per skip in
 * the file $POWERPOOL_TEST_SKIP_LOG names (test/helpers/skips.ts writes, scripts/test/run.ts reads),
 * and whether this is CI, where a skip is a failure.
 */

export const SKIP_LOG_ENV = "POWERPOOL_TEST_SKIP_LOG";

/** One skipped group. */
export interface SkipRecord {
  readonly title: string;
  readonly missing: string;
  readonly install: string;
}

/** CI=true (or any value but "", "0", "false"): a missing component fails instead of skipping. */
export function isCI(env: Record<string, string | undefined> = process.env): boolean {
  const v = env.CI?.trim().toLowerCase();
  return v !== undefined && v !== "" && v !== "0" && v !== "false";
}
