/**
 * @module Values in the shapes PowerPool's JSON had (spec §9 "JSON conversion rules"): Python's
 * `str(timedelta)` and `str(datetime)` forms, float epoch seconds, and JSON text in which big
 * integers never lose precision (spec §15 item 31: above 2^53 they become 0x hex strings).
 */

const pad = (n: number, w = 2) => String(n).padStart(w, "0");

/** Python `str(timedelta)`: `H:MM:SS[.ffffff]`, with `N day(s), ` in front past a day. */
export function pyDuration(ms: number): string {
  const negative = ms < 0;
  const totalUs = Math.round(Math.abs(ms) * 1000);
  const us = totalUs % 1_000_000;
  const totalS = Math.floor(totalUs / 1_000_000);
  const days = Math.floor(totalS / 86_400);
  const h = Math.floor((totalS % 86_400) / 3600);
  const m = Math.floor((totalS % 3600) / 60);
  const s = totalS % 60;
  const clock = `${h}:${pad(m)}:${pad(s)}${us === 0 ? "" : `.${pad(us, 6)}`}`;
  const text = days === 0 ? clock : `${days} day${days === 1 ? "" : "s"}, ${clock}`;
  return negative ? `-${text}` : text;
}

/** Python `str(datetime)` of a UTC time: `YYYY-MM-DD HH:MM:SS.ffffff`. */
export function pyDatetime(ms: number): string {
  const d = new Date(ms);
  const date = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  const us = d.getUTCMilliseconds() * 1000;
  return `${date} ${time}${us === 0 ? "" : `.${pad(us, 6)}`}`;
}

/** ms since the epoch → float seconds (PowerPool's `time.time()` values); null stays null. */
export function epochSeconds(ms: number | null | undefined): number | null {
  return ms === null || ms === undefined ? null : ms / 1000;
}

/** bigint → number when exact, else `0x` hex (a JS client would silently round a bigger number). */
export function safeInteger(v: bigint): number | string {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : `0x${v.toString(16)}`;
}

/** JSON.stringify that accepts bigints (see safeInteger) and drops functions. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? safeInteger(v) : v));
}
