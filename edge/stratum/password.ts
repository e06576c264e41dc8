/**
 * @module Difficulty options in the authorize password (PowerPool spec §4.4), parsed the way
 * PowerPool's argparse did: `-d X`/`--diff X`, `--start-diff X`, `--max-diff X`, `--min-diff X`,
 * with unique prefixes (`--d`, `--start`, `--max`), attached values (`-d512`, `-d=512`,
 * `--diff=512`), a repeated option's last value winning, and any unparsable password ignored as a
 * whole. Two deliberate differences: `-h`/`--help` is ignored (PowerPool printed help to its stdout
 * and dropped the miner), and the `d=N` convention of other pools works (as `-d N`) when the
 * password is not valid options.
 *
 * Values are parsed as Python's float() would, so `1e400`, `inf` and `nan` come back as the
 * non-finite numbers they are: bounding them is authorize's job, which refuses them with a clear
 * error instead of silently ignoring the password.
 */

export interface PasswordOptions {
  /** Fixed difficulty for this connection; vardiff off. */
  readonly diff?: number;
  /** Initial difficulty; vardiff stays as configured. */
  readonly startDiff?: number;
  /** Personal vardiff tiers limited to ≤ this. */
  readonly maxDiff?: number;
  /** Personal vardiff tiers limited to ≥ this. */
  readonly minDiff?: number;
}

type Key = "diff" | "startDiff" | "maxDiff" | "minDiff" | "help";
const LONG: ReadonlyArray<readonly [string, Key]> = [
  ["--diff", "diff"],
  ["--start-diff", "startDiff"],
  ["--max-diff", "maxDiff"],
  ["--min-diff", "minDiff"],
  ["--help", "help"],
];
const SHORT: Readonly<Record<string, Key>> = { d: "diff", h: "help" };
/** Python float() syntax for numbers… */
const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
/** …and for the non-finite words it also takes. */
const NON_FINITE = /^[+-]?(inf|infinity|nan)$/i;
/** What argparse takes for a negative number rather than an option. */
const NEGATIVE = /^-(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
const D_EQUALS = /^d=(.+)$/i;
const HAS_D_EQUALS = /d=/i;
const NO_OPTIONS: PasswordOptions = Object.freeze({});

/** Parses a password; returns no options when it is not a valid option string (never throws). */
export function parsePassword(password: string): PasswordOptions {
  // Most miners send "x" or a word: with no option and no d=N, nothing to parse (and nothing to allocate).
  if (!password.includes("-") && !HAS_D_EQUALS.test(password)) return NO_OPTIONS;
  const tokens = password.split(/\s+/).filter((t) => t !== "");
  return parseOptions(tokens) ?? parseDEquals(password) ?? {};
}

function parseOptions(tokens: readonly string[]): PasswordOptions | undefined {
  const out: { -readonly [K in keyof PasswordOptions]: number } = {};
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    let key: Key | undefined;
    let explicit: string | undefined;
    if (t === "--") return i === tokens.length - 1 ? out : undefined;
    if (t.startsWith("--")) {
      const eq = t.indexOf("=");
      const name = eq < 0 ? t : t.slice(0, eq);
      explicit = eq < 0 ? undefined : t.slice(eq + 1);
      const exact = LONG.find(([o]) => o === name);
      const prefixed = LONG.filter(([o]) => o.startsWith(name));
      key = exact?.[1] ?? (prefixed.length === 1 ? prefixed[0]![1] : undefined);
    } else if (t.length > 1 && t.startsWith("-") && !NEGATIVE.test(t)) {
      key = SHORT[t[1]!];
      const rest = t.slice(2);
      if (rest !== "") explicit = rest.startsWith("=") ? rest.slice(1) : rest;
    }
    if (key === undefined) return undefined; // positional word, unknown or ambiguous option
    if (key === "help") {
      if (explicit !== undefined) return undefined;
      continue;
    }
    let value = explicit;
    if (value === undefined) {
      const next = tokens[i + 1];
      if (next === undefined || (next.startsWith("-") && !NEGATIVE.test(next))) return undefined;
      value = next;
      i++;
    }
    const n = parseFloatStrict(value);
    if (n === undefined) return undefined;
    out[key] = n;
  }
  return out;
}

function parseDEquals(password: string): PasswordOptions | undefined {
  for (const part of password.split(/[\s,;]+/)) {
    const m = D_EQUALS.exec(part);
    const n = m ? parseFloatStrict(m[1]!) : undefined;
    if (n !== undefined) return { diff: n };
  }
  return undefined;
}

/** The number Python's float() makes of `text` (possibly ±Infinity or NaN), or undefined when it is not one. */
function parseFloatStrict(text: string): number | undefined {
  if (FLOAT.test(text)) return Number(text);
  if (!NON_FINITE.test(text)) return undefined;
  const word = text.replace(/^[+-]/, "").toLowerCase();
  return word === "nan" ? NaN : text.startsWith("-") ? -Infinity : Infinity;
}
