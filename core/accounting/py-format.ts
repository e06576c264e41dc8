/**
 * @module Numbers and JSON as PowerPool (Python) wrote them into Redis, so SimpleCoin reads our
 * values exactly as it read the original's (spec §8.2: integers as `128`, floats as their shortest
 * round-trip repr, `None` for a missing value).
 *
 * A share record carries its difficulty as an f64 and cannot say whether the port configured it as
 * an int or a float. We print integral values as integers (`128`): that is what the normal case —
 * integer `start_difficulty`/vardiff tiers — printed in the original, and it parses as a number
 * everywhere. Only an integral difficulty that came from a float password option printed `512.0`
 * in the original; it prints `512` here (the same number to every reader).
 */

/** Python 3 `repr(float)`: shortest round-trip digits; exponent form below 1e-4 and from 1e16. */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  // toExponential() without an argument gives the shortest digits that round-trip, like repr().
  const [mantissa = "", expText = "0"] = x.toExponential().split("e");
  const sign = mantissa.startsWith("-") ? "-" : "";
  const digits = mantissa.replace("-", "").replace(".", "");
  const exp = Number(expText);
  if (exp < -4 || exp >= 16) {
    const frac = digits.length > 1 ? `.${digits.slice(1)}` : "";
    const e = Math.abs(exp);
    return `${sign}${digits[0]}${frac}e${exp < 0 ? "-" : "+"}${e < 10 ? `0${e}` : e}`;
  }
  if (exp < 0) return `${sign}0.${"0".repeat(-exp - 1)}${digits}`;
  const whole = digits.slice(0, exp + 1).padEnd(exp + 1, "0");
  const frac = digits.slice(exp + 1);
  return `${sign}${whole}.${frac === "" ? "0" : frac}`;
}

/** A difficulty, amount or count: integral values as integers, others as Python floats. */
export function pyNumber(x: number | bigint): string {
  if (typeof x === "bigint") return x.toString();
  return Number.isSafeInteger(x) ? String(x) : pyFloatRepr(x);
}

/** A value as Python's `str()` gave it for the types that reach Redis (None, bools, numbers, text). */
export function pyStr(v: unknown): string {
  if (v === null || v === undefined) return "None";
  if (typeof v === "boolean") return v ? "True" : "False";
  if (typeof v === "number" || typeof v === "bigint") return pyNumber(v);
  if (typeof v === "string") return v;
  return pyJsonDumps(v);
}

/** A number that is a Python float even when integral (`time.time()`): JSON prints `12.0`. */
export class PyFloat {
  constructor(readonly value: number) {}
}

/**
 * Python's `json.dumps(value)` with its defaults: `", "` and `": "` separators, non-ASCII as
 * `\uXXXX`, floats by repr. Keys keep insertion order. Only JSON-shaped values are expected.
 */
export function pyJsonDumps(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "number") {
    if (Number.isNaN(v)) return "NaN";
    if (!Number.isFinite(v)) return v > 0 ? "Infinity" : "-Infinity";
    return pyNumber(v);
  }
  if (typeof v === "bigint") return v.toString();
  if (v instanceof PyFloat) return pyFloatRepr(v.value);
  if (typeof v === "string") return pyJsonString(v);
  if (Array.isArray(v)) return `[${v.map(pyJsonDumps).join(", ")}]`;
  if (typeof v === "object") {
    const parts = Object.entries(v as Record<string, unknown>).map(([k, x]) => `${pyJsonString(k)}: ${pyJsonDumps(x)}`);
    return `{${parts.join(", ")}}`;
  }
  return pyJsonString(String(v));
}

function pyJsonString(s: string): string {
  // JSON.stringify escapes quotes, backslashes and control characters as Python does; Python
  // additionally escapes every non-ASCII UTF-16 unit (ensure_ascii=True).
  return JSON.stringify(s).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
