import { expect, test } from "bun:test";
import { addressToScript } from "../../shared/bitcoin/index.ts";
import { addressChecker } from "../../shared/config/addresses.ts";
import { parseConfig } from "../../shared/config/load.ts";
import { captureLog } from "../../test/helpers/log-capture.ts";
import { createJobManager } from "./from-config.ts";
import { jobSettings } from "./settings.ts";

test("config.example.yml → a job manager per coin: rules with mweb, extranonce split, payout script", async () => {
  const text = await Bun.file(`${import.meta.dir}/../../config.example.yml`).text();
  const cfg = parseConfig(text, "config.example.yml", { addresses: addressChecker });
  const ltc = cfg.coins.LTC!;
  expect(jobSettings(ltc, cfg.pool)).toMatchObject({
    jobmanager: "LTC",
    currency: "LTC",
    algo: "scrypt",
    rules: ["segwit", "mweb"],
    extranonce1Size: cfg.pool.extranonce_serv_size,
    extranonce2Size: cfg.pool.extranonce_size,
    payoutScript: addressToScript(ltc.pool_address, "litecoin"),
    diff1: 0xffffn << 224n,
  });
  const { log } = captureLog();
  const never = { call: () => Promise.reject(new Error("not called")) };
  for (const key of Object.keys(cfg.coins)) expect(createJobManager(cfg, key, { pool: never, publisher: {} as never, log }).jobmanager).toBe(key);
  expect(() => createJobManager(cfg, "NOPE", { pool: never, publisher: {} as never, log })).toThrow(/createJobManager: expected one of LTC, got NOPE/);
});
