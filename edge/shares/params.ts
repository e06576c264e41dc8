/**
 * @module Submit parameters: strict format checks without allocating (PowerPool checked none of
 * these, spec §15 item 4). Hex is accepted in either case, as miners send it, from strings (the
 * JSON path) or straight from the received line's bytes (the fast submit path).
 */

import { hexNibble as nibble } from "../../shared/bitcoin/bytes.ts";

/** An 8-digit big-endian hex u32 (stratum's ntime, nonce, version), or -1 if `s` is not exactly that. */
export function parseHexU32(s: string | undefined): number {
  if (typeof s !== "string" || s.length !== 8) return -1;
  let v = 0;
  for (let i = 0; i < 8; i++) {
    const d = nibble(s.charCodeAt(i));
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

/** True when `s` is exactly `bytes` bytes of hex (either case). */
export function isHexOfBytes(s: unknown, bytes: number): s is string {
  if (typeof s !== "string" || s.length !== bytes * 2) return false;
  for (let i = 0; i < s.length; i++) if (nibble(s.charCodeAt(i)) < 0) return false;
  return true;
}

/** Latest ntime a share may carry, relative to the edge's clock: Bitcoin's 2-hour future limit. */
export const MAX_NTIME_AHEAD_SECONDS = 7200;

/** As `parseHexU32`, over the 8 bytes (char codes) at `bytes[at, at + 8)`; -1 unless all are hex digits. */
export function parseHexU32At(bytes: Uint8Array, at: number): number {
  if (at < 0 || at + 8 > bytes.length) return -1;
  let v = 0;
  for (let i = at; i < at + 8; i++) {
    const d = nibble(bytes[i]!);
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

/**
 * Decodes the hex (char codes, either case) at `src[start, end)` into `out` from `at`, when it is
 * exactly `bytes` bytes of hex; false (and `out` partly written) otherwise.
 */
export function hexBytesInto(src: Uint8Array, start: number, end: number, bytes: number, out: Uint8Array, at: number): boolean {
  if (end - start !== bytes * 2 || start < 0 || end > src.length || at + bytes > out.length) return false;
  for (let i = 0; i < bytes; i++) {
    const hi = nibble(src[start + 2 * i]!);
    const lo = nibble(src[start + 2 * i + 1]!);
    if (hi < 0 || lo < 0) return false;
    out[at + i] = (hi << 4) | lo;
  }
  return true;
}
