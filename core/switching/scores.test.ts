import { describe, expect, test } from "bun:test";
import { parseRatio, parseScore } from "./scores.ts";

describe("<CUR>_profit values (spec §7: a JSON number or string)", () => {
  test("numbers, JSON strings and bare decimal text are scores", () => {
    expect(parseScore("0.00123")).toEqual({ value: 0.00123, problem: null });
    expect(parseScore('"0.00123"')).toEqual({ value: 0.00123, problem: null });
    expect(parseScore("12")).toEqual({ value: 12, problem: null });
    expect(parseScore("1e-3")).toEqual({ value: 0.001, problem: null });
    expect(parseScore(" 7.5 ")).toEqual({ value: 7.5, problem: null });
    expect(parseScore('"  .5"')).toEqual({ value: 0.5, problem: null });
    expect(parseScore("0")).toEqual({ value: 0, problem: null });
  });

  test("missing, unparsable, negative or infinite values score 0 and say why", () => {
    expect(parseScore(null)).toEqual({ value: 0, problem: "missing" });
    for (const bad of ["abc", '"abc"', "", "NaN", "1e999", '{"p":1}', "[1]", "true", "null", "0x10", "1,5"]) {
      const r = parseScore(bad);
      expect(r.value).toBe(0);
      expect(r.problem).toStartWith("expected a decimal number, got ");
    }
    expect(parseScore("-2")).toEqual({ value: 0, problem: 'expected a score of 0 or more, got "-2"' });
    // Long junk is cut in the message.
    expect(parseScore("x".repeat(100)).problem).toBe(`expected a decimal number, got "${"x".repeat(40)}…"`);
  });
});

describe("<CUR>_ratio values", () => {
  test("missing is 1.0 without complaint; a decimal is used as is (0 switches the coin off)", () => {
    expect(parseRatio(null)).toEqual({ value: 1, problem: null });
    expect(parseRatio("0.75")).toEqual({ value: 0.75, problem: null });
    expect(parseRatio("0")).toEqual({ value: 0, problem: null });
  });

  test("unparsable or negative ratios fall back to 1.0 and say why", () => {
    expect(parseRatio("half")).toEqual({ value: 1, problem: 'expected a decimal number, got "half"' });
    expect(parseRatio('"0.5"')).toEqual({ value: 1, problem: 'expected a decimal number, got "\\"0.5\\""' });
    expect(parseRatio("-1")).toEqual({ value: 1, problem: 'expected a ratio of 0 or more, got "-1"' });
  });
});
