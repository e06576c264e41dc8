import { describe, expect, test } from "bun:test";
import { bestCoin, decideSwitch, profitability, type SwitchInputs } from "./profit.ts";

const base = { coinbaseValue: 625_000_000n, difficulty: 50, height: 100, maxBlockheight: null, score: 2, ratio: 1 };

describe("profitability (spec §7)", () => {
  test("coinbasevalue/1e8 × score / difficulty × ratio × 1e6", () => {
    // 6.25 coins × 2 / 50 × 1e6 = 250 000; a ratio of 0.5 halves it.
    expect(profitability(base)).toBeCloseTo(250_000, 6);
    expect(profitability({ ...base, ratio: 0.5 })).toBeCloseTo(125_000, 6);
    expect(profitability({ ...base, coinbaseValue: 5_000_000_000n, score: 0.001, difficulty: 4.656542373906925e-10 })).toBeCloseTo((50 * 0.001 * 1e6) / 4.656542373906925e-10, -6);
  });

  test("0 at and above max_blockheight, unchanged below it", () => {
    expect(profitability({ ...base, maxBlockheight: 100 })).toBe(0);
    expect(profitability({ ...base, maxBlockheight: 99 })).toBe(0);
    expect(profitability({ ...base, maxBlockheight: 101 })).toBeCloseTo(250_000, 6);
  });

  test("a missing score (0), a zero ratio or a broken difficulty scores 0", () => {
    expect(profitability({ ...base, score: 0 })).toBe(0);
    expect(profitability({ ...base, ratio: 0 })).toBe(0);
    expect(profitability({ ...base, difficulty: 0 })).toBe(0);
    expect(profitability({ ...base, difficulty: Number.NaN })).toBe(0);
  });
});

const inputs = (profits: Record<string, number>, over: Partial<SwitchInputs> = {}): SwitchInputs => ({
  order: ["A", "B", "C"],
  profits: new Map(Object.entries(profits)),
  current: "A",
  next: "A",
  margin: 1.2,
  ...over,
});

describe("decideSwitch", () => {
  test("before anything is mined: switch at once to the best coin that has a job", () => {
    expect(decideSwitch(inputs({ A: 1, B: 3 }, { current: null, next: null }))).toEqual({ kind: "switch-now", best: "B", reason: "start" });
    // C scores best but has no job (no profit entry): it cannot be chosen.
    expect(decideSwitch(inputs({ A: 1 }, { current: null, next: null }))).toEqual({ kind: "switch-now", best: "A", reason: "start" });
    expect(decideSwitch(inputs({}, { current: null, next: null }))).toEqual({ kind: "none" });
  });

  test("beating the current coin by more than the margin switches at once; within it, at the next block", () => {
    expect(decideSwitch(inputs({ A: 100, B: 121 }))).toEqual({ kind: "switch-now", best: "B", reason: "margin" });
    expect(decideSwitch(inputs({ A: 100, B: 119 }))).toEqual({ kind: "switch-at-next-block", best: "B" });
    // Exactly the margin is not more than it.
    expect(decideSwitch(inputs({ A: 100, B: 120 }))).toEqual({ kind: "switch-at-next-block", best: "B" });
    // A current coin scoring 0 is beaten by any positive score.
    expect(decideSwitch(inputs({ A: 0, B: 1e-9 }))).toEqual({ kind: "switch-now", best: "B", reason: "margin" });
  });

  test("the current coin still best: stay (a pending switch is dropped by the caller)", () => {
    expect(decideSwitch(inputs({ A: 100, B: 90 }, { next: "B" }))).toEqual({ kind: "stay", best: "A" });
  });

  test("ties never cause a switch: current first, then the pending next, then configuration order", () => {
    expect(bestCoin(inputs({ A: 5, B: 5, C: 5 }))).toBe("A");
    expect(bestCoin(inputs({ A: 1, B: 5, C: 5 }, { next: "C" }))).toBe("C");
    expect(bestCoin(inputs({ A: 1, B: 5, C: 5 }))).toBe("B");
    expect(decideSwitch(inputs({ A: 5, B: 5 }))).toEqual({ kind: "stay", best: "A" });
    expect(decideSwitch(inputs({ A: 0, B: 0 }, { current: null, next: null }))).toEqual({ kind: "switch-now", best: "A", reason: "start" });
  });

  test("a new best appearing while a next is pending is compared with the current coin, not the stale next (§15 item 16)", () => {
    // B was chosen as next (within the margin). C now beats A by more than the margin: at once.
    expect(decideSwitch(inputs({ A: 100, B: 110, C: 130 }, { next: "B" }))).toEqual({ kind: "switch-now", best: "C", reason: "margin" });
    // C beats B but is within A's margin: it replaces B as next.
    expect(decideSwitch(inputs({ A: 100, B: 110, C: 115 }, { next: "B" }))).toEqual({ kind: "switch-at-next-block", best: "C" });
    // PowerPool's quirk would have switched at once here because the stale next (B: 150) beats A
    // by the margin, though the new best is A itself.
    expect(decideSwitch(inputs({ A: 200, B: 150 }, { next: "B" }))).toEqual({ kind: "stay", best: "A" });
  });
});
