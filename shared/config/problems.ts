/**
 * @module Config problems: one line per mistake, naming the key path, what was expected and what
 * was found. Schema issues (zod) and semantic checks both end up as `ConfigProblem`s.
 */
import type { z } from "zod";

export interface ConfigProblem {
  /** Key path in the YAML, e.g. `coins.LTC.coinservs[0].port`; empty for the file itself. */
  readonly path: string;
  readonly expected: string;
  /** What the file holds there, already rendered for a message; absent when the key is missing. */
  readonly found?: string;
}

export class ConfigError extends Error {
  readonly code = "CONFIG";
  constructor(
    readonly file: string,
    readonly problems: readonly ConfigProblem[],
  ) {
    super(`${file}: ${problems.length} configuration problem${problems.length === 1 ? "" : "s"}:\n${problems.map(formatProblem).join("\n")}`);
    this.name = "ConfigError";
  }
}

export function formatProblem(p: ConfigProblem): string {
  const where = p.path === "" ? "(top level)" : p.path;
  return p.found === undefined ? `  ${where}: expected ${p.expected}` : `  ${where}: expected ${p.expected}, found ${p.found}`;
}

export function joinPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out;
}

export function describeValue(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (typeof v === "string") return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return String(v);
  if (Array.isArray(v)) return `a list of ${v.length}`;
  return "a mapping";
}

/** Closest candidate by edit distance, for "did you mean" on unknown keys and references. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

/**
 * Turns zod issues into problems. `knownKeys` gives the allowed keys at a path so an unknown key
 * can come with a suggestion.
 */
export function problemsFromIssues(issues: readonly z.core.$ZodIssue[], knownKeys: (path: readonly PropertyKey[]) => readonly string[]): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const issue of issues) {
    const path = issue.path;
    const input = (issue as { input?: unknown }).input;
    switch (issue.code) {
      case "unrecognized_keys":
        for (const key of issue.keys) {
          const hint = closest(key, knownKeys(path));
          out.push({
            path: joinPath([...path, key]),
            expected: hint ? `no such key (did you mean "${hint}"?)` : `no such key (allowed here: ${knownKeys(path).join(", ") || "none"})`,
          });
        }
        break;
      case "invalid_type":
        out.push(
          input === undefined
            ? { path: joinPath(path), expected: `a value (${issue.expected}); this key is required` }
            : { path: joinPath(path), expected: article(issue.expected), found: describeValue(input) },
        );
        break;
      case "invalid_value":
        out.push({ path: joinPath(path), expected: `one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`, found: describeValue(input) });
        break;
      case "invalid_union": {
        const discriminator = (issue as { note?: string }).note;
        out.push({ path: joinPath(path), expected: discriminator ?? unionExpectation(issue.errors), found: describeValue(input) });
        break;
      }
      case "too_small":
      case "too_big": {
        const bound = issue.code === "too_small" ? issue.minimum : issue.maximum;
        const cmp = issue.code === "too_small" ? (issue.inclusive ? "at least" : "more than") : issue.inclusive ? "at most" : "less than";
        const what = issue.origin === "array" ? `a list with ${cmp} ${bound} item(s)` : issue.origin === "string" ? `text of ${cmp} ${bound} character(s)` : `a number ${cmp} ${bound}`;
        out.push({ path: joinPath(path), expected: what, found: describeValue(input) });
        break;
      }
      case "invalid_format":
        out.push({ path: joinPath(path), expected: issue.message.replace(/^Invalid string: /, "text that is ").replace(/^Invalid input: /, ""), found: describeValue(input) });
        break;
      default:
        out.push({ path: joinPath(path), expected: issue.message, found: input === undefined ? undefined : describeValue(input) });
    }
  }
  return out;
}

function article(type: string): string {
  if (type === "object") return "a mapping";
  if (type === "array") return "a list";
  if (type === "int") return "a whole number";
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function unionExpectation(branches: readonly (readonly z.core.$ZodIssue[])[]): string {
  const kinds = new Set<string>();
  for (const branch of branches) {
    const first = branch[0];
    if (first?.code === "invalid_type" && first.path.length === 0) kinds.add(article(first.expected));
    else if (first) kinds.add(first.message);
  }
  return [...kinds].join(" or ");
}
