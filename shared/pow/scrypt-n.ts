/**
 * @module scrypt-N's memory parameter from a block's nTime (Vertcoin's GetNfactor schedule).
 *
 * N = 2^(nFactor + 1), where nFactor grows with the time elapsed since the chain start and is
 * clamped to [minNfactor, maxNfactor]. Coins pass the header's own nTime, never the wall clock
 * (shared/spec/hashing.md §6). node-stratum-pool's and Miningcore's time tables are wrong; this
 * follows the coin's C++ formula (integer arithmetic, division truncating toward zero).
 */
import type { ScryptNSchedule } from "./algorithms.ts";

/** GetNfactor(nTime) for `schedule`. */
export function scryptNfactor(ntime: number, schedule: ScryptNSchedule): number {
  if (!Number.isInteger(ntime) || ntime < 0 || ntime > 0xffffffff) {
    throw new RangeError(`scryptNfactor: expected ntime an integer in [0, 2^32), got ${ntime}`);
  }
  if (ntime <= schedule.chainStartTime) return schedule.minNfactor;
  let s = ntime - schedule.chainStartTime; // < 2^32: unsigned shifts keep it exact
  let l = 0;
  while (s >>> 1 > 3) {
    l += 1;
    s >>>= 1;
  }
  s &= 3;
  const n = Math.max(0, Math.trunc((l * 158 + s * 28 - 2670) / 100));
  return Math.min(Math.max(n, schedule.minNfactor), schedule.maxNfactor);
}

/** The scrypt N used for a header with this nTime: 2^(nFactor + 1). */
export function scryptNForTime(ntime: number, schedule: ScryptNSchedule): number {
  return 2 ** (scryptNfactor(ntime, schedule) + 1);
}

/** nTime field of a serialized block header (bytes 68..71, little-endian). */
export function headerNtime(header: Uint8Array): number {
  if (header.length < 72) {
    throw new RangeError(`headerNtime: expected a block header of at least 72 bytes, got ${header.length}`);
  }
  return (header[68]! | (header[69]! << 8) | (header[70]! << 16) | (header[71]! << 24)) >>> 0;
}
