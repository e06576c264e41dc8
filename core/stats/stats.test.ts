/** Counters, rotation and hashrates, driven by a hand-moved clock (no timing assertions). */
import { expect, test } from "bun:test";
import { ShareResult } from "../../shared/contract/index.ts";
import { share, T0 } from "../ingest/testing.ts";
import { StatsRegistry } from "./registry.ts";
import { ShareStats } from "./share-stats.ts";
import { DISABLED_STATSD } from "./statsd.ts";

const MINUTE = Math.floor(T0 / 60_000) * 60_000;

test("minute counters keep the last completed minute, the hour and the total", () => {
  const reg = new StatsRegistry(MINUTE);
  const c = reg.minute("scrypt_STRAT", "acc_share_n1");
  c.incr(128);
  c.incr(64);
  reg.advance(MINUTE + 59_000);
  expect(c.snapshot()).toEqual({ total: 0, min_total: 0, hour_total: 0, min_avg: 0 });
  reg.advance(MINUTE + 60_000);
  expect(c.snapshot()).toEqual({ total: 192, min_total: 192, hour_total: 192, min_avg: 3.2 });
  c.incr(8);
  reg.advance(MINUTE + 120_500);
  expect(c.snapshot()).toEqual({ total: 200, min_total: 8, hour_total: 200, min_avg: 200 / 60 });
});

test("second counters tick every second and roll up each minute", () => {
  const reg = new StatsRegistry(MINUTE);
  const c = reg.second("ingest", "records_applied");
  c.incr(30);
  reg.advance(MINUTE + 1000);
  expect(c.snapshot()).toMatchObject({ total: 30, min_total: 0, second_avg: 0.5 });
  c.incr(30);
  reg.advance(MINUTE + 60_000);
  expect(c.snapshot()).toMatchObject({ total: 60, min_total: 60, hour_total: 60, second_avg: 1 });
  // After an hour of silence everything has rolled out except the total.
  reg.advance(MINUTE + 3_700_000);
  expect(c.snapshot()).toMatchObject({ total: 60, min_total: 0, hour_total: 0, second_avg: 0 });
});

test("share counters use PowerPool's names, count rejects too, and give hashrates", () => {
  const reg = new StatsRegistry(MINUTE);
  const stats = new ShareStats(reg, { procname: "pp_0", coins: { LTC: { currency: "LTC", hashesPerShare: 65536 } }, algorithms: { scrypt: { hashesPerShare: 65536 } } }, DISABLED_STATSD, MINUTE);
  stats.recordAll([
    share(1, { difficulty: 600 }),
    share(2, { difficulty: 600 }),
    share(3, { result: ShareResult.dup, difficulty: 128 }),
    share(4, { result: ShareResult.low, difficulty: 64 }),
    share(5, { result: ShareResult.stale, difficulty: 32 }),
    share(6, { result: ShareResult.invalid, difficulty: 16 }),
  ], MINUTE + 4_000);
  reg.advance(MINUTE + 60_000);
  const byName = Object.fromEntries(reg.counters().filter((c) => c.owner === "scrypt_STRAT").map((c) => [c.name, c.min_total]));
  expect(byName).toEqual({
    acc_share_n1: 1200,
    acc_share_count: 2,
    acc_hashes: 1200 * 65536,
    reject_dup_share_n1: 128,
    reject_dup_share_count: 1,
    reject_low_share_n1: 64,
    reject_low_share_count: 1,
    reject_stale_share_n1: 32,
    reject_stale_share_count: 1,
    reject_invalid_share_n1: 16,
    reject_invalid_share_count: 1,
  });
  // hashes_per_share × accepted difficulty over the time observed: from the first shares on…
  const young = (1200 * 65536) / 8;
  const at8s = { hps: young, mhps: young / 1e6, measuredMs: 8_000 };
  expect(stats.hashrates(MINUTE + 8_000)).toEqual({ ports: { scrypt_STRAT: at8s }, coins: { LTC: at8s } });
  // …then over the last minute, which the shares leave when they are older.
  const old = stats.hashrates(MINUTE + 58_000).coins.LTC!;
  expect([old.measuredMs, old.hps]).toEqual([58_000, (1200 * 65536) / 58]);
  expect(stats.hashrates(MINUTE + 62_000).coins.LTC).toEqual({ hps: 0, mhps: 0, measuredMs: 57_000 });
});
