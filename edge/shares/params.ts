/**
 * @module Submit parameters: strict format checks without allocating (PowerPool checked none of
 * these, spec §15 item 4). Hex is accepted in either case, as miners send it.
 */

/** Value of one hex digit, or -1. */
function nibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

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

/** True when `s` is exactly `bytes` bytes of hex. */
export function isHexOfBytes(s: string | undefined, bytes: number): boolean {
  if (typeof s !== "string" || s.length !== bytes * 2) return false;
  for (let i = 0; i < s.length; i++) if (nibble(s.charCodeAt(i)) < 0) return false;
  return true;
}

/** Latest ntime a share may carry, relative to the edge's clock: Bitcoin's 2-hour future limit. */
export const MAX_NTIME_AHEAD_SECONDS = 7200;
