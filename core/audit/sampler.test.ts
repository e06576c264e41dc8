/** The audit draw's pieces: the probability formula, the rate window on the core's clock, the generators. */
import { expect, test } from "bun:test";
import { auditProbability, cryptoRandom, RateWindow, seededRandom } from "./sampler.ts";

test("p = clamp(max(min_fraction, per_hour / R), 0, 1)", () => {
  expect(auditProbability(7200, 0.01, 3600)).toBe(1);
  expect(auditProbability(7200, 0.01, 72_000)).toBe(0.1);
  expect(auditProbability(7200, 0.01, 7_200_000)).toBe(0.01);
  expect(auditProbability(7200, 0.01, 0)).toBe(1);
  expect(auditProbability(0, 0, 0)).toBe(0);
  expect(auditProbability(0, 0.002, 1e9)).toBe(0.002);
});

test("the rate: events over the last window by the caller's clock, at least a minute's span", () => {
  const w = new RateWindow(600_000, 20);
  const t = 1_800_000_000_000;
  w.add("e", 100, t);
  expect(w.perHour("e", t)).toBe(6000); // 100 over the one-minute minimum span
  expect(w.perHour("e", t, 100)).toBe(12_000);
  for (let i = 1; i <= 40; i++) w.add("e", 100, t + i * 30_000);
  // Ten minutes of 30 s buckets: the last 20 adds.
  expect(w.perHour("e", t + 40 * 30_000)).toBe(12_000);
  expect(w.perHour("e", t + 80 * 30_000)).toBe(0);
  w.prune(t + 80 * 30_000);
  expect(w.size).toBe(0);
});

test("draws: uniform in [0, 1), the same for a seed, different for crypto-seeded generators", () => {
  const a = seededRandom(5);
  const b = seededRandom(5);
  const xs = Array.from({ length: 100_000 }, () => a.next());
  expect(xs.slice(0, 10)).toEqual(Array.from({ length: 10 }, () => b.next()));
  expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
  expect(Math.max(...xs)).toBeLessThan(1);
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  expect(Math.abs(mean - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / xs.length));
  const below = xs.filter((x) => x < 0.01).length;
  expect(Math.abs(below - 1000)).toBeLessThan(5 * Math.sqrt(100_000 * 0.01 * 0.99));
  const c = cryptoRandom();
  const d = cryptoRandom();
  expect(Array.from({ length: 4 }, () => c.next())).not.toEqual(Array.from({ length: 4 }, () => d.next()));
});
