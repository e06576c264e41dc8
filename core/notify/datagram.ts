/**
 * @module PowerPool's push-block datagram (spec §11): ASCII words separated by spaces,
 * `<COMPONENT> <method> [arg …] [name=value …]`. Parsing only; what may run is decided in actions.ts.
 *
 * Accepted leniencies, all harmless: one trailing newline (`echo | nc` adds it, PowerPool kept it
 * inside the last value), leading/trailing spaces, and runs of spaces between words.
 */

/** Far above the longest real line (`DOGE _check_new_jobs signal=1 _single_exec=True __spawn=1 secret=…`). */
export const MAX_DATAGRAM_BYTES = 512;

/** The one table of reasons a datagram is dropped, with the text shown in logs. */
export const REJECT_TEXT = {
  oversized: `longer than ${MAX_DATAGRAM_BYTES} bytes`,
  not_ascii: "contains bytes other than printable ASCII",
  malformed: "expected `<component> <method> [args] [name=value]`",
  missing_secret: "no secret= although one is configured",
  bad_secret: "wrong secret",
  unknown_component: "no coin or aux chain with that key",
  method_not_allowed: "method not in the allow-list for that component",
  handler_error: "the refresh action threw",
} as const;

export type RejectReason = keyof typeof REJECT_TEXT;

export interface Datagram {
  readonly component: string;
  readonly method: string;
  /** Positional words (PowerPool passed them as string arguments; no allowed action uses them). */
  readonly args: readonly string[];
  /** `name=value` words, split at the first `=`. Duplicate names are rejected as malformed. */
  readonly kwargs: ReadonlyMap<string, string>;
}

export type ParseResult = { readonly ok: true; readonly datagram: Datagram } | { readonly ok: false; readonly reason: RejectReason; readonly detail: string };

export function parseDatagram(bytes: Uint8Array): ParseResult {
  if (bytes.length > MAX_DATAGRAM_BYTES) return reject("oversized", `got ${bytes.length} bytes`);
  let end = bytes.length;
  if (end > 0 && bytes[end - 1] === 0x0a) end--;
  if (end > 0 && bytes[end - 1] === 0x0d) end--;
  for (let i = 0; i < end; i++) {
    const b = bytes[i] as number;
    if (b < 0x20 || b > 0x7e) return reject("not_ascii", `got byte 0x${b.toString(16).padStart(2, "0")} at offset ${i}`);
  }
  const text = new TextDecoder("ascii").decode(bytes.subarray(0, end)).trim();
  const words = text === "" ? [] : text.split(/ +/);
  const [component, method, ...rest] = words;
  if (component === undefined || method === undefined) return reject("malformed", `got ${words.length} word(s)`);
  if (component.includes("=") || method.includes("=")) return reject("malformed", "component and method cannot contain =");
  const args: string[] = [];
  const kwargs = new Map<string, string>();
  for (const w of rest) {
    const eq = w.indexOf("=");
    if (eq < 0) {
      args.push(w);
      continue;
    }
    const name = w.slice(0, eq);
    if (name === "") return reject("malformed", "a word starts with =");
    if (kwargs.has(name)) return reject("malformed", `${name}= given twice`);
    kwargs.set(name, w.slice(eq + 1));
  }
  return { ok: true, datagram: { component, method, args, kwargs } };
}

/** The inverse of parseDatagram: the line a blocknotify script sends (no trailing newline). */
export function encodeDatagram(d: Datagram): string {
  const words = [d.component, d.method, ...d.args, ...[...d.kwargs].map(([k, v]) => `${k}=${v}`)];
  for (const w of words) {
    if (w === "" || !/^[\x21-\x7e]+$/.test(w)) throw new RangeError(`encodeDatagram: expected non-empty printable ASCII words, got ${JSON.stringify(w)}`);
  }
  return words.join(" ");
}

/** A datagram made printable and safe for a log line: secrets masked, control bytes escaped, cut short. */
export function describeDatagram(bytes: Uint8Array, max = 80): string {
  const head = bytes.subarray(0, max);
  let s = "";
  for (const b of head) s += b >= 0x20 && b <= 0x7e ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, "0")}`;
  s = s.replace(/secret=\S*/g, "secret=***");
  return bytes.length > max ? `${s}…` : s;
}

function reject(reason: RejectReason, detail: string): ParseResult {
  return { ok: false, reason, detail };
}
