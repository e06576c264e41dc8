import { describe, expect, test } from "bun:test";
import { interpolateTiers } from "../../shared/config/load.ts";
import { clamp, idealDifficulty, nearestTier, personalTiers } from "./retarget.ts";
import { ShareRate } from "./share-rate.ts";
import { VardiffState, type VardiffSettings } from "./state.ts";

const T0 = 1_700_000_000_000 - (1_700_000_000_000 % 60_000); // a minute boundary
const TIERS = interpolateTiers(64, 524288);

describe("retarget maths", () => {
  test("51: the nearest tier, ties to the earlier one", () => {
    expect(nearestTier(TIERS, 0)).toBe(64);
    expect(nearestTier(TIERS, 100)).toBe(128);
    expect(nearestTier(TIERS, 96)).toBe(64); // tie between 64 and 128
    expect(nearestTier(TIERS, 1e9)).toBe(524288);
    expect(nearestTier([], 5)).toBeUndefined();
  });
  test("issue 19: extreme ideals take the end tiers (1e300 was 'equally far' from all of them in doubles), NaN changes nothing", () => {
    for (const ideal of [1e300, 1e308, Infinity]) expect(nearestTier(TIERS, ideal)).toBe(524288);
    for (const ideal of [-Infinity, -1e308, 1e-320]) expect(nearestTier(TIERS, ideal)).toBe(64);
    expect(nearestTier(TIERS, NaN)).toBeUndefined();
  });
  test("no integer division (fix of spec §15 item 22)", () => {
    expect(idealDifficulty(25, 20)).toBe(1.25);
    expect(nearestTier([0.5, 1, 2], idealDifficulty(25, 20))).toBe(1);
  });
  test("33: personal tiers are filtered by min/max and may end up empty", () => {
    expect(personalTiers(TIERS, 1000, 5000)).toEqual([1024, 2048, 4096]);
    expect(personalTiers(TIERS, 1e9, undefined)).toEqual([]);
  });
  test("clamp", () => {
    expect(clamp(0.001, 0.01, 10)).toBe(0.01);
    expect(clamp(50, 0.01, 10)).toBe(10);
  });
});

describe("ShareRate: per connection, silent minutes count (fix of spec §15 item 26)", () => {
  test("difficulty per minute over the time actually covered", () => {
    const r = new ShareRate(T0);
    for (let i = 0; i < 40; i++) r.add(64, T0 + i * 1000);
    expect(r.perMinute(T0 + 60_000)).toBeCloseTo(40 * 64, 6);
    // Two silent minutes later the same shares are spread over three minutes.
    expect(r.perMinute(T0 + 180_000)).toBeCloseTo((40 * 64) / 3, 6);
  });
  test("shares older than the window drop out", () => {
    const r = new ShareRate(T0);
    r.add(1000, T0);
    expect(r.perMinute(T0 + 12 * 60_000)).toBe(0);
  });
});

const settings = (over: Partial<VardiffSettings> = {}): VardiffSettings => ({ enabled: true, spmTarget: 20, intervalMs: 30_000, tiers: TIERS, ...over });

describe("VardiffState", () => {
  test("53: a retarget is due only after more than `interval`", () => {
    const v = new VardiffState(settings(), T0);
    expect(v.due(T0 + 30_000)).toBe(false);
    expect(v.due(T0 + 30_001)).toBe(true);
  });
  test("moves up to the tier that gives spm_target shares a minute", () => {
    const v = new VardiffState(settings(), T0);
    // 80 shares of difficulty 128 in 30 s: 20480 per minute → ideal 1024.
    for (let i = 0; i < 80; i++) v.onAccepted(128, T0 + i * 375);
    expect(v.retarget(128, T0 + 30_000)).toBe(1024);
  });
  test("a silent miner above the lowest tier comes down without sending anything", () => {
    const v = new VardiffState(settings(), T0);
    expect(v.retarget(4096, T0 + 31_000)).toBe(64);
  });
  test("a miner that was busy and goes quiet steps down on the timer", () => {
    const v = new VardiffState(settings(), T0);
    for (let i = 0; i < 200; i++) v.onAccepted(1024, T0 + i * 3000); // 20 a minute for 10 minutes
    const busy = T0 + 600_000;
    expect(v.retarget(1024, busy)).toBeUndefined();
    const first = v.retarget(1024, busy + 61_000);
    expect(first).toBeDefined();
    expect(first!).toBeLessThan(1024);
    let d = first!;
    for (let t = busy + 122_000; t < busy + 600_000; t += 61_000) d = v.retarget(d, t) ?? d;
    expect(d).toBe(64);
  });
  test("no change when the nearest tier is the current difficulty", () => {
    const v = new VardiffState(settings(), T0);
    for (let i = 0; i < 10; i++) v.onAccepted(64, T0 + i * 3000);
    expect(v.retarget(64, T0 + 30_001)).toBeUndefined();
  });
  test("disabled (password -d) or with empty personal tiers never retargets and never throws", () => {
    const off = new VardiffState(settings(), T0);
    off.enabled = false;
    expect(off.due(T0 + 1e9)).toBe(false);
    expect(off.retarget(128, T0 + 1e9)).toBeUndefined();
    const empty = new VardiffState(settings(), T0);
    empty.restrict(1e9, undefined);
    expect(empty.personalTiers).toEqual([]);
    expect(empty.retarget(128, T0 + 1e9)).toBeUndefined();
  });
  test("a port without vardiff gives every connection one inert state that nothing changes", () => {
    const off = settings({ enabled: false });
    const a = VardiffState.for(off, T0);
    expect(VardiffState.for(off, T0 + 5)).toBe(a);
    a.restrict(256, 2048);
    a.onAccepted(1024, T0 + 1000);
    a.onDifficultySet(T0 + 2000);
    a.enabled = false; // what password -d does
    expect(a.personalTiers).toBe(TIERS);
    expect(a.due(T0 + 1e9)).toBe(false);
    expect(a.retarget(128, T0 + 1e9)).toBeUndefined();
    const on = settings();
    expect(VardiffState.for(on, T0)).not.toBe(VardiffState.for(on, T0));
  });
  test("min/max restrict the tiers retargets choose from", () => {
    const v = new VardiffState(settings(), T0);
    v.restrict(256, 2048);
    expect(v.retarget(4096, T0 + 31_000)).toBe(256);
    for (let i = 0; i < 1000; i++) v.onAccepted(4096, T0 + 31_000 + i * 10);
    expect(v.retarget(256, T0 + 62_000)).toBe(2048);
  });
  test("successive restrictions keep the tightest bounds (password, then configure)", () => {
    const v = new VardiffState(settings(), T0);
    v.restrict(256, undefined);
    v.restrict(undefined, 1024);
    v.restrict(128, 4096);
    expect(v.personalTiers).toEqual([256, 512, 1024]);
  });
  test("a miner far above the target is retargeted at once, between intervals, from its recent rate", () => {
    const v = new VardiffState(settings({ tiers: [0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1] }), T0);
    // An established miner at 20 a minute at 0.001 for ten minutes…
    for (let i = 0; i < 200; i++) v.onAccepted(0.001, T0 + i * 3000);
    const t = T0 + 600_000;
    expect(v.retarget(0.001, t)).toBeUndefined();
    // …that suddenly sends 1,000 a second: due after ten shares, long before `interval`.
    for (let i = 0; i < 9; i++) v.onAccepted(0.001, t + i);
    expect(v.due(t + 9)).toBe(false);
    v.onAccepted(0.001, t + 10);
    expect(v.due(t + 10)).toBe(true);
    // 10 shares of 0.001 in (at least) a second: 0.6 a minute → ideal 0.03 → tier 0.032.
    expect(v.retarget(0.001, t + 10)).toBe(0.032);
    expect(v.due(t + 11)).toBe(false);
  });
  test("a miner at its target never takes the fast path", () => {
    const v = new VardiffState(settings(), T0);
    let last = T0;
    let early = 0;
    for (let i = 1; i <= 200; i++) {
      const t = T0 + i * 3000;
      v.onAccepted(64, t); // 20 a minute
      if (!v.due(t)) continue;
      if (t - last <= 30_000) early++;
      last = t;
      expect(v.retarget(64, t)).toBeUndefined();
    }
    expect(early).toBe(0);
  });

  test("fractional tiers work (CPU test difficulties)", () => {
    const v = new VardiffState(settings({ tiers: [0.001, 0.002, 0.004] }), T0);
    for (let i = 0; i < 20; i++) v.onAccepted(0.001, T0 + i * 1500); // 40 a minute at 0.001
    expect(v.retarget(0.001, T0 + 30_001)).toBe(0.002);
  });
});
