import { describe, expect, test } from "bun:test";
import { RateWindow } from "./rate-window.ts";

const T0 = 1_700_000_002_500; // not on a bucket boundary

describe("RateWindow", () => {
  test("the first share gives a rate over the time since the start, with that span", () => {
    const w = new RateWindow(T0);
    expect(w.estimate(T0 + 3_000)).toEqual({ perSecond: 0, spanMs: 3_000 });
    w.add(600, T0 + 3_000);
    expect(w.estimate(T0 + 3_000)).toEqual({ perSecond: 200, spanMs: 3_000 });
    expect(w.estimate(T0 + 6_000)).toEqual({ perSecond: 100, spanMs: 6_000 });
  });

  test("a share in the first instant is divided by at least a second", () => {
    const w = new RateWindow(T0);
    w.add(50, T0 + 10);
    expect(w.estimate(T0 + 10)).toEqual({ perSecond: 50, spanMs: 10 });
  });

  test("a steady rate reads the same young and old; the span stops at the window", () => {
    const w = new RateWindow(T0);
    const seen: { at: number; perSecond: number; spanMs: number }[] = [];
    for (let t = 1_000; t <= 300_000; t += 1_000) {
      w.add(10, T0 + t); // 10 per second
      if (t % 15_000 === 0) seen.push({ at: t, ...w.estimate(T0 + t) });
    }
    for (const s of seen) {
      expect(s.perSecond).toBeGreaterThan(9.5);
      expect(s.perSecond).toBeLessThan(10.5);
      if (s.at < 55_000) expect(s.spanMs).toBe(s.at);
      expect(s.spanMs).toBeLessThanOrEqual(60_000);
    }
    expect(seen.at(-1)!.spanMs).toBeGreaterThanOrEqual(55_000);
  });

  test("shares older than the window drop out; a long silence reads 0", () => {
    const w = new RateWindow(T0);
    w.add(1_000, T0 + 1_000);
    expect(w.estimate(T0 + 50_000).perSecond).toBeCloseTo(20, 9);
    expect(w.estimate(T0 + 70_000).perSecond).toBe(0);
    w.add(120, T0 + 10 * 60_000);
    const e = w.estimate(T0 + 10 * 60_000);
    expect(e.spanMs).toBeGreaterThanOrEqual(55_000);
    expect(e.perSecond).toBeCloseTo(120 / (e.spanMs / 1000), 9);
  });
});
