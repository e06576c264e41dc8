/** The `audit:` config section: defaults by PoW function, overrides, refusals, and edges ignoring it. */
import { expect, test } from "bun:test";
import { addressChecker } from "../../shared/config/addresses.ts";
import { edgeConfigDocument } from "../../shared/config/edge-view.ts";
import { parseConfig, parseEdgeConfig, readYaml } from "../../shared/config/load.ts";
import { problemLines } from "../../shared/config/testing.ts";
import { stringify } from "yaml";
import { auditRates, DEFAULT_AUDIT_RATES } from "./settings.ts";

const opts = { addresses: addressChecker };
const pool = (audit: string) => `
pool:
  algorithms:
    vtc: {pow: scryptn, scryptn: {chain_start_time: 1389306217, min_nfactor: 10, max_nfactor: 30}}
coins:
  LTC:
    algo: scrypt
    network: litecoin
    pool_address: LYExXWEPs5oWjScR1fYzwSuo8DcQWNcHpF
    coinservs: [{address: 127.0.0.1, port: 9332}]
stratum:
  main: {port: 3333}
edges:
  eu1: {}
${audit}
`;

test("config.example.yml's audit section loads", async () => {
  const cfg = parseConfig(await Bun.file(`${import.meta.dir}/../../config.example.yml`).text(), "config.example.yml", opts);
  expect(auditRates(cfg)("sha256d")).toEqual({ perHour: 7200, minFraction: 0.01 });
});

test("unset algorithms take their PoW function's defaults; set keys override one by one", () => {
  const rates = auditRates(parseConfig(pool("audit:\n  scrypt: {min_fraction: 0.002}\n  sha256: {per_hour: 100}"), "pool.yml", opts));
  expect(rates("scrypt")).toEqual({ perHour: 1800, minFraction: 0.002 });
  expect(rates("sha256")).toEqual({ perHour: 100, minFraction: 0.01 });
  expect(rates("sha256d")).toEqual(DEFAULT_AUDIT_RATES.sha256d);
  expect(rates("x11")).toEqual(DEFAULT_AUDIT_RATES.x11);
  expect(rates("vtc")).toEqual(DEFAULT_AUDIT_RATES.scryptn); // a pool.algorithms entry, by its pow
  expect(auditRates(parseConfig(pool(""), "pool.yml", opts))("scrypt")).toEqual(DEFAULT_AUDIT_RATES.scrypt);
});

test("refused with clear errors: unknown algorithms, fractions outside 0–1, negative rates, unknown keys", () => {
  expect(problemLines(() => parseConfig(pool("audit:\n  scrpyt: {per_hour: 10}"), "pool.yml", opts))).toEqual(['audit.scrpyt: the name of a configured algorithm (did you mean "scrypt"?) | found "scrpyt"']);
  const lines = problemLines(() => parseConfig(pool("audit:\n  scrypt: {min_fraction: 1.5, per_hour: -1, rate: 3}"), "pool.yml", opts));
  expect(lines.length).toBe(3);
  expect(lines.find((l) => l.startsWith("audit.scrypt.min_fraction"))).toContain("1");
  expect(lines.find((l) => l.startsWith("audit.scrypt.per_hour"))).toContain("0");
  expect(lines.some((l) => l.includes("rate"))).toBe(true);
});

test("an edge's config needs no audit section, and an edge keeps none", () => {
  const text = pool("audit:\n  scrypt: {per_hour: 10}");
  const doc = edgeConfigDocument(readYaml(text, "pool.yml") as Record<string, unknown>, parseConfig(text, "pool.yml", opts), "eu1");
  expect("audit" in doc).toBe(false);
  const view = parseEdgeConfig(stringify(doc), "eu1.yml", opts);
  expect("audit" in view).toBe(false);
  expect("audit" in parseEdgeConfig(text, "pool.yml", opts)).toBe(false);
});
