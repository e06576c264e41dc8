import { describe, expect, test } from "bun:test";
import { parsePassword } from "./password.ts";

describe("parsePassword (spec §4.4, checklist 30–34)", () => {
  test("the forms argparse accepts", () => {
    expect(parsePassword("-d 1000")).toEqual({ diff: 1000 });
    expect(parsePassword("-d1000")).toEqual({ diff: 1000 });
    expect(parsePassword("-d=1000")).toEqual({ diff: 1000 });
    expect(parsePassword("--diff 512.5")).toEqual({ diff: 512.5 });
    expect(parsePassword("--diff=512")).toEqual({ diff: 512 });
    expect(parsePassword("--start-diff 256")).toEqual({ startDiff: 256 });
    expect(parsePassword("--max-diff 1e3 --min-diff .5")).toEqual({ maxDiff: 1000, minDiff: 0.5 });
    expect(parsePassword("  -d   64  ")).toEqual({ diff: 64 });
    expect(parsePassword("")).toEqual({});
  });
  test("unique prefixes of long options", () => {
    expect(parsePassword("--d 8")).toEqual({ diff: 8 });
    expect(parsePassword("--start 8")).toEqual({ startDiff: 8 });
    expect(parsePassword("--max 8 --mi=2")).toEqual({ maxDiff: 8, minDiff: 2 });
  });
  test("a repeated option's last value wins; negative numbers are values", () => {
    expect(parsePassword("-d 8 -d 16")).toEqual({ diff: 16 });
    expect(parsePassword("-d -5")).toEqual({ diff: -5 });
  });
  test("34: anything not valid options is ignored as a whole", () => {
    for (const p of ["x", "-d abc", "-d", "--m 5", "--diff 5 x", "-x 5", "--diff=", "-d 5 -d", "-5", "--nope 1", "-d 1_000"]) {
      expect(parsePassword(p)).toEqual({});
    }
  });
  test("non-finite values come back as such (Python's float()), for authorize to refuse", () => {
    expect(parsePassword("-d inf")).toEqual({ diff: Infinity });
    expect(parsePassword("-d=-inf")).toEqual({ diff: -Infinity });
    expect(parsePassword("--max-diff NaN")).toEqual({ maxDiff: NaN });
    expect(parsePassword("-d 1e400")).toEqual({ diff: Infinity });
    expect(parsePassword("d=Infinity")).toEqual({ diff: Infinity });
    expect(parsePassword("d=1e308")).toEqual({ diff: 1e308 });
    expect(parsePassword("d=1e-400")).toEqual({ diff: 0 });
  });
  test("-h/--help is ignored, never printed (fix of spec §15 item 19)", () => {
    expect(parsePassword("-h")).toEqual({});
    expect(parsePassword("--help -d 512")).toEqual({ diff: 512 });
    expect(parsePassword("--he --start-diff 4")).toEqual({ startDiff: 4 });
  });
  test("d=N, the other pools' convention, differs from PowerPool: read as -d N", () => {
    expect(parsePassword("d=512")).toEqual({ diff: 512 });
    expect(parsePassword("x,d=0.01")).toEqual({ diff: 0.01 });
    expect(parsePassword("D=64 x")).toEqual({ diff: 64 });
    expect(parsePassword("d=abc")).toEqual({});
  });
});
