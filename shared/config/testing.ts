/** @module Config test helpers: the problems a refused config reports, one line each. */
import { ConfigError } from "./problems.ts";

/** Runs `parse` expecting a refusal and returns its problems as `path: expected | found …` lines. */
export function problemLines(parse: () => unknown): string[] {
  try {
    parse();
  } catch (e) {
    if (e instanceof ConfigError) return e.problems.map((p) => `${p.path}: ${p.expected}${p.found === undefined ? "" : ` | found ${p.found}`}`);
    throw e;
  }
  throw new Error("expected the config to be refused");
}
