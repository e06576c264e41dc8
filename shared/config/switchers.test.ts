/** `switchers:` in the config (PowerPool's MonitorNetworkMulti, spec §7/§12.5): defaults and the cross-reference checks. */
import { describe, expect, test } from "bun:test";
import { addressChecker } from "./addresses.ts";
import { parseConfig, type Config } from "./load.ts";
import { problemLines } from "./testing.ts";

const LTC = "LYExXWEPs5oWjScR1fYzwSuo8DcQWNcHpF";
const BTC = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4";
const parse = (yaml: string): Config => parseConfig(yaml, "test.yml", { addresses: addressChecker });

const problems = (yaml: string): string[] => problemLines(() => parse(yaml));

const coins = `
coins:
  BTC: {algo: sha256d, network: bitcoin, pool_address: ${BTC}, coinservs: [{address: 127.0.0.1, port: 8332}], max_blockheight: 900000}
  BCH: {algo: sha256d, network: bitcoin, pool_address: ${BTC}, coinservs: [{address: 127.0.0.1, port: 8432}]}
  LTC: {algo: scrypt, network: litecoin, pool_address: ${LTC}, coinservs: [{address: 127.0.0.1, port: 9332}]}
aux:
  NMC: {algo: sha256d, coinservs: [{address: 127.0.0.1, port: 8336}]}
reporters:
  redis: {type: redis}
`;

describe("switchers", () => {
  test("defaults: profit_poll_int 15 s, margin_switch 1.2; ports may name a switcher; max_blockheight per coin", () => {
    const cfg = parse(`${coins}
switchers:
  sha_multi: {jobmanagers: [BTC, BCH]}
stratum:
  multi: {jobmanager: sha_multi}
`);
    expect(cfg.switchers.sha_multi).toEqual({ jobmanagers: ["BTC", "BCH"], profit_poll_int: 15, margin_switch: 1.2 });
    expect(cfg.stratum.multi?.jobmanager).toBe("sha_multi");
    expect(cfg.coins.BTC?.max_blockheight).toBe(900000);
    expect(cfg.coins.BCH?.max_blockheight).toBeNull();
  });

  /** One switcher per cross-reference mistake. */
  const badRefs = `switchers:
  a: {jobmanagers: [BTC, BTCC]}
  b: {jobmanagers: [BTC, NMC]}
  c: {jobmanagers: [BTC, BCH, BTC]}
  d: {jobmanagers: [BTC, LTC]}
  BCH: {jobmanagers: [BTC, BCH]}
`;

  test("each mistake gets its line: unknown coin, aux chain, coin listed twice, mixed algorithms, a name taken by a coin", () => {
    const lines = problems(`${coins}
${badRefs}  e: {jobmanagers: [BTC], margin_switch: 0.9}
stratum:
  multi: {jobmanager: a}
`);
    const expected = [
      /^switchers\.e\.jobmanagers: a list with at least 2 item\(s\) \| found a list of 1$/,
      /^switchers\.e\.margin_switch: a number at least 1 \| found 0\.9$/,
    ];
    // Shape mistakes (e) come first; the reference checks run on the entries that parsed.
    for (const re of expected) if (!lines.some((l) => re.test(l))) throw new Error(`no line matches ${re}:\n${lines.join("\n")}`);
    const refs = problems(`${coins}
${badRefs}stratum:
  multi: {jobmanager: a}
`);
    expect(refs.sort()).toEqual(
      [
        'switchers.BCH: a name not already used by a coin (stratum ports name jobmanagers by key) | found "BCH"',
        'switchers.a.jobmanagers[1]: the name of a configured coin (did you mean "BTC"?) | found "BTCC"',
        'switchers.b.jobmanagers[1]: the name of a configured coin (NMC is an aux chain: merge-mined chains are mined through their parent coins) | found "NMC"',
        'switchers.c.jobmanagers[2]: a coin not already listed in this switcher | found "BTC"',
        "switchers.d.jobmanagers: coins that share one proof-of-work algorithm | found sha256d and scrypt",
      ].sort(),
    );
  });
});
