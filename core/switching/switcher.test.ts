/**
 * The switcher's score polling against a real private Redis: bad values are warned about once (not
 * on every poll) and stand in as score 0 / ratio 1.0; a Redis outage keeps the last scores and is
 * reported once. The coins' job managers are the real ones, never started (no jobs), so no coin is
 * chosen here: switching itself is covered end to end in test/e2e/profit-switching.test.ts.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { captureLog } from "../../test/helpers/log-capture.ts";
import { startRedis, type PrivateRedis } from "../../test/helpers/redis.ts";
import { addressChecker } from "../../shared/config/addresses.ts";
import { parseConfig } from "../../shared/config/load.ts";
import { createCoinserverPool } from "../coinserver/index.ts";
import { createJobManager, JobIdAllocator, JobPublisher } from "../jobs/index.ts";
import { createSwitchers, type ProfitSwitcher } from "./index.ts";

let redis: PrivateRedis;
let publisher: JobPublisher;
const cap = captureLog("switch");

beforeAll(async () => {
  redis = await startRedis();
  publisher = new JobPublisher({ redis: redis.client, prefix: "sw:", log: cap.log });
});
afterAll(async () => {
  await publisher?.stop();
  await redis?.stop();
});

function makeSwitcher(slowMs?: number): ProfitSwitcher {
  const coinserv = "{address: 127.0.0.1, port: 1}";
  const config = parseConfig(
    `
coins:
  BTC: {algo: sha256d, network: bcoin-regtest, pool_address: RAqS1bAuWqW2f6ufsU5H4XpKfy5Pqj2oHz, coinservs: [${coinserv}]}
  BCH: {algo: sha256d, network: bcoin-regtest, pool_address: RAqS1bAuWqW2f6ufsU5H4XpKfy5Pqj2oHz, currency: BCHX, coinservs: [${coinserv}]}
switchers:
  multi: {jobmanagers: [BTC, BCH], profit_poll_int: 3600}
monitor: {enabled: false}
`,
    "switch.yml",
    { addresses: addressChecker },
  );
  const ids = new JobIdAllocator();
  const jobs = new Map(Object.keys(config.coins).map((k) => [k, createJobManager(config, k, { pool: createCoinserverPool(config.coins[k]!, cap.log), publisher, log: cap.log, ids })]));
  const s = createSwitchers(config, { jobs: (k) => jobs.get(k), scores: redis.client, publisher, ids, log: cap.log, ...(slowMs ? { slowMs } : {}) }).get("multi");
  if (!s) throw new Error("no switcher");
  return s;
}

describe("score polling", () => {
  test("bad values: one warning per key and problem, score 0 / ratio 1.0 meanwhile; one info line when fixed", async () => {
    const sw = makeSwitcher();
    await redis.client.mset("BTC_profit", "abc", "BTC_ratio", "half");
    await redis.client.del("BCHX_profit", "BCHX_ratio");
    await sw.start();
    for (let i = 0; i < 3; i++) await sw.pollNow();
    expect(cap.count(/\[WARN\] profit switching: BTC_profit expected a decimal number, got "abc"; its profitability is 0/)).toBe(1);
    expect(cap.count(/\[WARN\] profit switching: BTC_ratio expected a decimal number, got "half"; ratio 1.0 is used/)).toBe(1);
    expect(cap.count(/\[WARN\] profit switching: BCHX_profit is not set/)).toBe(1);
    // A missing ratio is the normal case: no warning.
    expect(cap.count(/BCHX_ratio/)).toBe(0);
    let st = sw.status();
    expect(st.price_data).toEqual({ BTC: { score: 0, ratio: 1, updated_at: expect.any(Number) }, BCHX: { score: 0, ratio: 1, updated_at: expect.any(Number) } });
    // No coin has a job yet: nothing to mine, no profitability.
    expect(st.profit_data).toEqual({ BTC: null, BCHX: null });
    expect(st.current_network).toBeNull();
    expect(st.poll_error).toBeNull();
    expect(st.last_poll).toBeGreaterThan(0);

    // Another problem on the same key is a new warning.
    await redis.client.set("BTC_profit", "-4");
    await sw.pollNow();
    await sw.pollNow();
    expect(cap.count(/\[WARN\] profit switching: BTC_profit expected a score of 0 or more, got "-4"/)).toBe(1);

    await redis.client.mset("BTC_profit", '"12.5"', "BTC_ratio", "0.5", "BCHX_profit", "3");
    await sw.pollNow();
    await sw.pollNow();
    for (const key of ["BTC_profit", "BTC_ratio", "BCHX_profit"]) expect(cap.count(new RegExp(`\\[INFO\\] profit switching: ${key} is usable again`))).toBe(1);
    st = sw.status();
    expect(st.price_data.BTC).toMatchObject({ score: 12.5, ratio: 0.5 });
    expect(st.price_data.BCHX).toMatchObject({ score: 3, ratio: 1 });
    expect(st).toMatchObject({ jobmanagers: ["BTC", "BCH"], margin_switch: 1.2, profit_poll_int: 3600, switches: 0, last_switch: null });
    sw.stop();
  });

  test("a Redis outage: the last scores stand, one error line, and one line when readings work again", async () => {
    const sw = makeSwitcher(300);
    await redis.client.mset("BTC_profit", "5", "BCHX_profit", "4");
    await sw.start();
    expect(sw.status().price_data.BTC?.score).toBe(5);
    const errorsBefore = cap.count(/\[ERROR\] multi: reading profit scores failed/);
    await redis.stopServer();
    const reading = sw.pollNow();
    // The reading waits for Redis; past slowMs it counts as failing.
    const deadline = Date.now() + 5000;
    while (sw.status().poll_error === null && Date.now() < deadline) await Bun.sleep(50);
    expect(sw.status().poll_error).toBe("no answer from Redis for 300 ms");
    expect(sw.status().price_data.BTC?.score).toBe(5);
    // Polls asked for meanwhile join the reading in flight instead of piling up.
    expect(sw.pollNow()).toBe(reading);
    await redis.startServer();
    await redis.client.mset("BTC_profit", "6", "BCHX_profit", "4");
    await reading;
    await sw.pollNow();
    expect(sw.status().poll_error).toBeNull();
    expect(sw.status().price_data.BTC?.score).toBe(6);
    expect(cap.count(/\[ERROR\] multi: reading profit scores failed/) - errorsBefore).toBe(1);
    expect(cap.count(/\[INFO\] multi: reading profit scores works again/)).toBe(1);
    sw.stop();
  });
});
