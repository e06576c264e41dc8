import { describe, expect, test } from "bun:test";

import { VERTCOIN_SCRYPTN } from "./algorithms.ts";
import { headerNtime, scryptNfactor, scryptNForTime } from "./scrypt-n.ts";
import { VERTCOIN_GENESIS } from "./vectors.ts";

describe("Vertcoin scrypt-N schedule (GetNfactor)", () => {
  test("the genesis nTime gives nFactor 10, N = 2048", () => {
    expect(headerNtime(VERTCOIN_GENESIS)).toBe(1389311371);
    expect(scryptNfactor(1389311371, VERTCOIN_SCRYPTN)).toBe(10);
    expect(scryptNForTime(1389311371, VERTCOIN_SCRYPTN)).toBe(2048);
  });

  // First second of each nFactor by the coin's C formula (integer shifts, truncating division).
  // shared/spec/hashing.md §6 gives the same dates; its 1859068297 for nFactor 15 is 32 s late.
  const transitions: [nfactor: number, ntime: number, date: string][] = [
    [11, 1456415081, "2016-02-25"],
    [12, 1506746729, "2017-09-30"],
    [13, 1557078377, "2019-05-05"],
    [14, 1657741673, "2022-07-13"],
    [15, 1859068265, "2028-11-28"],
    [16, 2060394857, "2035-04-17"],
  ];
  for (const [nfactor, ntime, date] of transitions) {
    test(`nFactor ${nfactor} (N = ${2 ** (nfactor + 1)}) starts at ${ntime} (${date})`, () => {
      expect(new Date(ntime * 1000).toISOString().slice(0, 10)).toBe(date);
      expect(scryptNfactor(ntime - 1, VERTCOIN_SCRYPTN)).toBe(nfactor - 1);
      expect(scryptNfactor(ntime, VERTCOIN_SCRYPTN)).toBe(nfactor);
      expect(scryptNForTime(ntime, VERTCOIN_SCRYPTN)).toBe(2 ** (nfactor + 1));
    });
  }

  test("today's N is 32768, and the whole 32-bit nTime range stays exact", () => {
    expect(scryptNForTime(1763900000, VERTCOIN_SCRYPTN)).toBe(32768); // 2025-11
    expect(scryptNfactor(0xffffffff, VERTCOIN_SCRYPTN)).toBe(19); // elapsed > 2^31: no sign flip
  });

  test("clamps to the schedule's bounds", () => {
    expect(scryptNfactor(0, VERTCOIN_SCRYPTN)).toBe(10);
    expect(scryptNfactor(VERTCOIN_SCRYPTN.chainStartTime, VERTCOIN_SCRYPTN)).toBe(10);
    const capped = { ...VERTCOIN_SCRYPTN, maxNfactor: 14 };
    expect(scryptNfactor(2060394857, capped)).toBe(14);
    expect(scryptNfactor(1389311371, { ...VERTCOIN_SCRYPTN, minNfactor: 4 })).toBe(4);
  });

  test("rejects nTime outside 32 bits and short headers", () => {
    expect(() => scryptNfactor(-1, VERTCOIN_SCRYPTN)).toThrow(RangeError);
    expect(() => scryptNfactor(2 ** 32, VERTCOIN_SCRYPTN)).toThrow(RangeError);
    expect(() => scryptNfactor(1.5, VERTCOIN_SCRYPTN)).toThrow(RangeError);
    expect(() => headerNtime(new Uint8Array(71))).toThrow(/at least 72 bytes/);
  });
});
