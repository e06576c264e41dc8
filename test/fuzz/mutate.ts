/**
 * @module Hostile values and lines for the hostile-input suite: extreme and malformed numbers as
 * JSON text (so 1e400 reaches JSON.parse as written), strings that are not what they claim, and
 * mutations of well-formed stratum and PPAgent lines.
 */
import type { Rng } from "./rng.ts";

/** Numbers as JSON text, including ones JSON.parse turns into Infinity or 0. */
export const HOSTILE_NUMBERS = ["0", "-0", "-1", "1e308", "-1e308", "1e400", "-1e400", "1e-400", "5e-324", "1.7976931348623157e308", "9007199254740993", "4294967296", "-4294967297", "0.1", "1e+21", "123456789012345678901234567890"];
/** Strings miners send where numbers or hex belong. */
export const HOSTILE_STRINGS = ["Infinity", "-Infinity", "NaN", "inf", "nan", "1e400", "0x10", " 5", "", "\u0000", "\ud800", "é", "__proto__", "constructor", "%s%n", "a".repeat(300), "1".repeat(64), "ffffffff", "0000000g", "00000000000000000"];

/** A hostile JSON value as text. */
export function hostileValue(r: Rng, depth = 0): string {
  switch (r.int(depth > 2 ? 3 : 6)) {
    case 0:
      return r.pick(HOSTILE_NUMBERS);
    case 1:
      return JSON.stringify(r.pick(HOSTILE_STRINGS));
    case 2:
      return r.pick(["null", "true", "false", "{}", "[]"]);
    case 3:
      return `[${Array.from({ length: r.int(4) }, () => hostileValue(r, depth + 1)).join(",")}]`;
    case 4:
      return `{${Array.from({ length: r.int(3) }, () => `${JSON.stringify(r.pick(HOSTILE_STRINGS))}:${hostileValue(r, depth + 1)}`).join(",")}}`;
    default:
      return JSON.stringify(r.pick(["x", "w.1", "d=1e308", "-d 1e400", "--start-diff inf", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa.w"]));
  }
}

/** Every stratum method an edge knows, plus spellings it does not. */
export const STRATUM_METHODS = ["mining.subscribe", "mining.authorize", "mining.submit", "mining.configure", "mining.suggest_difficulty", "mining.extranonce.subscribe", "mining.get_transactions", "MINING.SUBMIT", "mining.notify", "client.reconnect", "", "mining.multi_version"];
export const AGENT_METHODS = ["hello", "worker.authenticate", "stats.submit", "nope", ""];

/** A request line for `method` with params mutated from `base` (or hostile throughout). */
export function mutatedRequest(r: Rng, method: string, base: readonly unknown[] = []): string {
  const params = base.map((p) => (r.chance(0.3) ? hostileValue(r) : JSON.stringify(p)));
  if (r.chance(0.2)) params.push(hostileValue(r));
  if (r.chance(0.1)) params.splice(r.int(params.length + 1));
  const id = r.chance(0.8) ? String(r.int(1000)) : hostileValue(r);
  const paramsText = r.chance(0.05) ? hostileValue(r) : `[${params.join(",")}]`;
  return `{"id":${id},"method":${JSON.stringify(method)},"params":${paramsText}}`;
}

/** Byte-level damage to a line: truncation, flipped bytes, inserted junk, repeats. */
export function damage(r: Rng, line: string): string {
  switch (r.int(5)) {
    case 0:
      return line.slice(0, r.int(line.length + 1));
    case 1: {
      const i = r.int(line.length);
      return line.slice(0, i) + String.fromCharCode(r.int(128)) + line.slice(i + 1);
    }
    case 2: {
      const i = r.int(line.length);
      return line.slice(0, i) + r.pick(['"', "\\", "{", "]", ",", "\r", "\t", " ", "\u00ff"]) + line.slice(i);
    }
    case 3:
      return line + line;
    default:
      return line.replace(/[0-9a-f]{8}/, (m) => m.toUpperCase());
  }
}

/** Well-formed but extreme difficulty requests: passwords, suggest_difficulty, configure. */
export function extremeDifficultyLine(r: Rng, user: string): string {
  const v = r.pick(HOSTILE_NUMBERS);
  switch (r.int(3)) {
    case 0:
      return `{"id":2,"method":"mining.authorize","params":[${JSON.stringify(user)},${JSON.stringify(r.pick(["d=", "-d ", "--start-diff ", "--min-diff ", "--max-diff ", "-d="]) + r.pick([...HOSTILE_NUMBERS, ...HOSTILE_STRINGS.slice(0, 6)]))}]}`;
    case 1:
      return `{"id":3,"method":"mining.suggest_difficulty","params":[${r.chance(0.5) ? v : JSON.stringify(r.pick(HOSTILE_STRINGS))}]}`;
    default:
      return `{"id":4,"method":"mining.configure","params":[["minimum-difficulty","version-rolling"],{"minimum-difficulty.value":${v},"version-rolling.mask":${hostileValue(r)}}]}`;
  }
}
