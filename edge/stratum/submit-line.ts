/**
 * @module Recognises a `mining.submit` request in the received line's bytes, without JSON.parse,
 * a line string or any object per line: the fast path of the share path (submit.ts `submitLine`).
 *
 * It accepts only the plain shapes miners send, and says "not mine" for everything else so the
 * generic path (JSON.parse → dispatch) answers exactly as before, error codes included (spec §2):
 *  - one JSON object of the keys "id", "method", "params", each at most once, in any order, with
 *    spaces or tabs between tokens and an optional trailing "\r";
 *  - "method" exactly "mining.submit" (other spellings of the case-insensitive name fall back);
 *  - "id" a number without fraction, exponent or leading zeros (15 digits at most, not -0), a
 *    string of printable ASCII without escapes, or null: for these the JSON text the reply echoes
 *    is the bytes as received (what `idJson` would produce);
 *  - "params" five or six strings of printable ASCII without escapes.
 * Anything else (escapes, non-ASCII, other whitespace, other keys, numbers in params, null version
 * bits) is left to JSON.parse. Only the syntax is checked here; the values are submit.ts's.
 */

/** Where the parts of the last line `parseSubmitLine` accepted are (byte offsets, end exclusive). */
export class SubmitLine {
  /** The id's JSON text; idStart === idEnd when the request had no id (the reply says 1). */
  idStart = 0;
  idEnd = 0;
  /** params[1..5], contents without quotes; versionBits is absent when vbStart < 0. */
  jobStart = 0;
  jobEnd = 0;
  en2Start = 0;
  en2End = 0;
  ntimeStart = 0;
  ntimeEnd = 0;
  nonceStart = 0;
  nonceEnd = 0;
  vbStart = -1;
  vbEnd = -1;
}

const SPACE = 0x20;
const TAB = 0x09;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;

/** "mining.submit" as bytes. */
const SUBMIT = new TextEncoder().encode("mining.submit");
/** The longest integer id echoed as received: 15 digits stay exact in a double, so String(JSON.parse(t)) === t. */
const MAX_ID_DIGITS = 15;

const enum Key {
  Id = 1,
  Method = 2,
  Params = 4,
}

/** Parser state for one line; module-level because lines are parsed one at a time on one thread. */
let b: Uint8Array;
let i = 0;
let end = 0;

/** The byte at `i`, or -1 past the line's end (the buffer may hold other bytes there). */
function peek(): number {
  return i < end ? b[i]! : -1;
}

function skipSpace(): void {
  while (i < end && (b[i] === SPACE || b[i] === TAB)) i++;
}

/** A string of printable ASCII without escapes at `i` (opening quote); returns its content start and leaves `i` after the closing quote, or -1. */
function plainString(): number {
  if (peek() !== QUOTE) return -1;
  const start = ++i;
  while (i < end) {
    const c = b[i]!;
    if (c === QUOTE) {
      i++;
      return start;
    }
    if (c < 0x20 || c > 0x7e || c === BACKSLASH) return -1;
    i++;
  }
  return -1;
}

/** The key at `i` (quoted), or 0 for any other key. */
function key(): number {
  const start = plainString();
  if (start < 0) return 0;
  const n = i - 1 - start;
  if (n === 2 && b[start] === 0x69 && b[start + 1] === 0x64) return Key.Id; // id
  if (n === 6 && matches(start, "method")) return Key.Method;
  if (n === 6 && matches(start, "params")) return Key.Params;
  return 0;
}

function matches(at: number, word: string): boolean {
  for (let k = 0; k < word.length; k++) if (b[at + k] !== word.charCodeAt(k)) return false;
  return true;
}

/** An id value at `i`: see the module note. Sets out.idStart/idEnd. */
function idValue(out: SubmitLine): boolean {
  const start = i;
  const c = peek();
  if (c === QUOTE) {
    if (plainString() < 0) return false;
  } else if (c === 0x6e) {
    // null
    if (i + 4 > end || b[i + 1] !== 0x75 || b[i + 2] !== 0x6c || b[i + 3] !== 0x6c) return false;
    i += 4;
  } else {
    if (c === MINUS) i++;
    const digits = i;
    while (i < end && b[i]! >= ZERO && b[i]! <= NINE) i++;
    const n = i - digits;
    if (n === 0 || n > MAX_ID_DIGITS || (n > 1 && b[digits] === ZERO)) return false;
    if (c === MINUS && n === 1 && b[digits] === ZERO) return false; // -0 echoes as 0
  }
  out.idStart = start;
  out.idEnd = i;
  return true;
}

function methodValue(): boolean {
  const start = plainString();
  if (start < 0 || i - 1 - start !== SUBMIT.length) return false;
  for (let k = 0; k < SUBMIT.length; k++) if (b[start + k] !== SUBMIT[k]) return false;
  return true;
}

/** `[` five or six plain strings `]` at `i`. */
function paramsValue(out: SubmitLine): boolean {
  if (peek() !== 0x5b) return false; // [
  i++;
  out.vbStart = out.vbEnd = -1;
  for (let n = 0; ; n++) {
    skipSpace();
    const start = plainString();
    if (start < 0) return false;
    const stop = i - 1;
    switch (n) {
      case 1:
        out.jobStart = start;
        out.jobEnd = stop;
        break;
      case 2:
        out.en2Start = start;
        out.en2End = stop;
        break;
      case 3:
        out.ntimeStart = start;
        out.ntimeEnd = stop;
        break;
      case 4:
        out.nonceStart = start;
        out.nonceEnd = stop;
        break;
      case 5:
        out.vbStart = start;
        out.vbEnd = stop;
        break;
    }
    skipSpace();
    const c = peek();
    if (c === 0x5d) {
      // ]
      i++;
      return n === 4 || n === 5;
    }
    if (c !== COMMA || n >= 5) return false;
    i++;
  }
}

/**
 * Parses `bytes[start, stop)` (a line without its "\n") into `out`; false when it is not a
 * mining.submit of the plain shape (then `out` is partly overwritten and must not be used).
 */
export function parseSubmitLine(bytes: Uint8Array, start: number, stop: number, out: SubmitLine): boolean {
  b = bytes;
  i = start;
  end = stop;
  while (end > i && (b[end - 1] === 0x0d || b[end - 1] === SPACE || b[end - 1] === TAB)) end--;
  skipSpace();
  if (peek() !== 0x7b) return false; // {
  i++;
  let seen = 0;
  out.idStart = out.idEnd = 0;
  for (;;) {
    skipSpace();
    const k = key();
    if (k === 0 || (seen & k) !== 0) return false;
    seen |= k;
    skipSpace();
    if (peek() !== COLON) return false;
    i++;
    skipSpace();
    const ok = k === Key.Id ? idValue(out) : k === Key.Method ? methodValue() : paramsValue(out);
    if (!ok) return false;
    skipSpace();
    const c = peek();
    if (c === 0x7d) {
      // }
      i++;
      break;
    }
    if (c !== COMMA) return false;
    i++;
  }
  return i === end && (seen & (Key.Method | Key.Params)) === (Key.Method | Key.Params);
}

const decoder = new TextDecoder();

/**
 * The request id's JSON text for the reply, as `idJson` gives it for the parsed value: "1" when
 * absent, else the bytes as received (parseSubmitLine only accepts ids whose JSON text is that).
 * Integers are built from their digits, the cheapest way to a string here (~10 ns).
 */
export function idText(bytes: Uint8Array, line: SubmitLine): string {
  const start = line.idStart;
  const stop = line.idEnd;
  if (start === stop) return "1";
  const c = bytes[start]!;
  if (c === QUOTE || c === 0x6e) return decoder.decode(bytes.subarray(start, stop)); // a string or null: rare
  const negative = c === MINUS;
  let n = 0;
  for (let k = negative ? start + 1 : start; k < stop; k++) n = n * 10 + (bytes[k]! - ZERO);
  return `${negative ? -n : n}`;
}

/** Direct-mapped cache of short ASCII strings (job ids) by content; a miss replaces the slot. */
const INTERN_SLOTS = 4096;
const interned: (string | undefined)[] = new Array<string | undefined>(INTERN_SLOTS).fill(undefined);

/**
 * The string of printable-ASCII bytes `bytes[start, stop)`, the same string object as the last time
 * these bytes were seen when it is still cached: a submit's job id repeats across shares, so
 * looking it up makes no new string.
 */
export function internAscii(bytes: Uint8Array, start: number, stop: number): string {
  let h = 0x811c9dc5;
  for (let k = start; k < stop; k++) h = Math.imul(h ^ bytes[k]!, 0x01000193);
  const at = (h >>> 0) & (INTERN_SLOTS - 1);
  const cached = interned[at];
  if (cached !== undefined && cached.length === stop - start) {
    let same = true;
    for (let k = 0; k < cached.length && same; k++) same = cached.charCodeAt(k) === bytes[start + k];
    if (same) return cached;
  }
  const made = decoder.decode(bytes.subarray(start, stop));
  interned[at] = made;
  return made;
}
