import { describe, expect, test } from "bun:test";
import { addressChecker } from "./addresses.ts";
import { allSchemaKeys, interpolateTiers, parseConfig, type Config } from "./load.ts";
import { configSchema } from "./schema.ts";
import { dumpConfig, MASK, maskUrlPassword } from "./mask.ts";
import { problemLines } from "./testing.ts";

const root = `${import.meta.dir}/../..`;
const example = await Bun.file(`${root}/config.example.yml`).text();
const LTC = "LYExXWEPs5oWjScR1fYzwSuo8DcQWNcHpF";

const parse = (yaml: string, serverNumberOffset = 0): Config => parseConfig(yaml, "test.yml", { addresses: addressChecker, serverNumberOffset });

const problems = (yaml: string): string[] => problemLines(() => parse(yaml));

const minimal = `
coins:
  LTC:
    algo: scrypt
    network: litecoin
    pool_address: ${LTC}
    coinservs: [{address: 127.0.0.1, port: 9332}]
stratum:
  main: {port: 3333}
edges:
  eu1: {}
reporters:
  redis: {type: redis}
`;

describe("config.example.yml", () => {
  test("is valid and resolves as documented", () => {
    const cfg = parse(example);
    const ltc = cfg.coins.LTC;
    expect(ltc?.currency).toBe("LTC");
    expect(ltc?.diff1).toBe(0xffffn << 224n);
    expect(ltc?.hashesPerShare).toBe(65536);
    expect(ltc?.coinservs[0]?.poll_priority).toBe(100);
    expect(cfg.stratum.scrypt_STRAT?.tiers).toEqual(interpolateTiers(64, 524288));
    expect(cfg.stratum.scrypt_STRAT?.reporter).toBe("redis");
    expect(cfg.procname).toBe("powerpool_0");
  });

  test("documents every key of the schema", () => {
    const missing = [...allSchemaKeys(configSchema)].filter((key) => !new RegExp(`(^|[\\s{,#-])${key}:`, "m").test(example));
    expect(missing).toEqual([]);
  });
});

describe("defaults and resolution", () => {
  test("a minimal config gets PowerPool's defaults", () => {
    const cfg = parse(minimal);
    const s = cfg.stratum.main;
    expect(s).toMatchObject({ address: "0.0.0.0", start_difficulty: 128, minimum_manual_diff: 64, push_job_interval: 30, idle_worker_threshold: 300, idle_worker_disconnect_threshold: 3600, donate_key: "donate", jobmanager: "LTC", reporter: "redis", listenPort: 3333, agentPort: null });
    expect(s?.vardiff).toEqual({ enabled: false, spm_target: 20, interval: 30, tiers: null, minimum_difficulty: 64, maximum_difficulty: 524288 });
    // A fixed-difficulty port without tiers starts (PowerPool refused to: spec §15 item 11).
    expect(s?.tiers).toEqual([]);
    const c = cfg.coins.LTC;
    expect(c).toMatchObject({ block_poll: 0.2, job_refresh: 15, rpc_ping_int: 2, pow_block_hash: false, polling: true, rules: ["segwit"] });
    expect(c?.coinservs[0]).toMatchObject({ username: "", password: "", poll_priority: 0, timeout: 10 });
    expect(cfg.redis.prefix).toBe("pp:");
    expect(cfg.monitor).toEqual({ enabled: true, address: "127.0.0.1", port: 3855 });
    expect(cfg.pool.datagram).toEqual({ enabled: false, host: "127.0.0.1", port: 6855 });
    expect(cfg.logging.level).toBe("info");
  });

  test("server_number and -s offset every listening port and suffix procname", () => {
    const cfg = parse(`${minimal}\npool: {server_number: 30, datagram: {enabled: true}}\n`, 1);
    expect(cfg.pool.server_number).toBe(31);
    expect(cfg.procname).toBe("powerpool_31");
    expect(cfg.stratum.main?.listenPort).toBe(3364);
    expect(cfg.monitorPort).toBe(3886);
    expect(cfg.datagramPort).toBe(6886);
  });

  test("defaults: merges per-kind values under every entry, entries win", () => {
    const cfg = parse(`${minimal}\ndefaults:\n  stratum: {start_difficulty: 256, vardiff: {enabled: true, spm_target: 30}}\n  coins: {job_refresh: 45}\n`);
    expect(cfg.stratum.main?.start_difficulty).toBe(256);
    expect(cfg.stratum.main?.vardiff).toMatchObject({ enabled: true, spm_target: 30, interval: 30 });
    expect(cfg.coins.LTC?.job_refresh).toBe(45);
  });

  test("PowerPool's upper-case log levels are accepted", () => {
    expect(parse(`${minimal}\nlogging: {level: DEBUG, components: {stratum: WARN}}\n`).logging).toMatchObject({ level: "debug", components: { stratum: "warn" } });
  });

  test("tier interpolation never overshoots and stays ascending", () => {
    expect(interpolateTiers(64, 524288)).toHaveLength(14);
    expect(interpolateTiers(64, 100)).toEqual([64, 100]);
    expect(interpolateTiers(8, 8)).toEqual([8]);
    expect(interpolateTiers(0.5, 3)).toEqual([0.5, 1, 2, 3]);
  });

  test("diff1 may be written in hex or decimal and overrides the algorithm's", () => {
    const cfg = parse(minimal.replace("algo: scrypt", 'algo: scrypt\n    diff1: "0x0000007fffff0000000000000000000000000000000000000000000000000000"'));
    expect(cfg.coins.LTC?.diff1).toBe(0x7fffffn << 208n);
  });
});

describe("mistakes: one message per problem, naming path, expectation and finding", () => {
  test("a config with many mistakes, of shape and of reference, lists every one of them", () => {
    const lines = problems(`
pool:
  extranonce_size: 12
coins:
  LTC:
    algo: scrypt
    network: litecoin
    pool_address: ${LTC}
    coinservs: [{address: 127.0.0.1, port: "9332x"}]
    job_refrsh: 30
stratum:
  main:
    port: 70000
    start_difficulty: -5
    vardiff: {enabled: yes}
  second:
    port: 3334
    jobmanager: LTCC
    reporter: other
edges:
  eu1: {ports: [main, third]}
reporters:
  redis: {type: redis}
  other: {type: mysql}
monitr: {}
`);
    const expected = [
      /^pool\.extranonce_size: a number at most 8 \| found 12$/,
      /^coins\.LTC\.coinservs\[0\]\.port: a number \| found "9332x"$/,
      /^coins\.LTC\.job_refrsh: no such key \(did you mean "job_refresh"\?\)$/,
      /^stratum\.main\.port: a number at most 65535 \| found 70000$/,
      /^stratum\.main\.start_difficulty: a number more than 0 \| found -5$/,
      /^stratum\.main\.vardiff\.enabled: a boolean \| found "yes"$/,
      /^reporters\.other\.type: /,
      /^monitr: no such key \(did you mean "monitor"\?\)$/,
      // Reference mistakes among the entries that parsed; broken entries' names still count as known.
      /^stratum\.second\.jobmanager: the name of a configured coin or switcher \(did you mean "LTC"\?\) \| found "LTCC"$/,
      /^edges\.eu1\.ports\[1\]: the name of a configured stratum port \(one of main, second\) \| found "third"$/,
    ];
    for (const re of expected) {
      if (!lines.some((l) => re.test(l))) throw new Error(`no line matches ${re}:\n${lines.join("\n")}`);
    }
    if (lines.length !== expected.length) throw new Error(`expected ${expected.length} lines, got:\n${lines.join("\n")}`);
  });

  test("reference and combination mistakes, once the shape is right, each get their line", () => {
    const lines = problems(`
coins:
  LTC:
    algo: scrypt
    network: litecoin
    pool_address: ${LTC}
    coinservs: [{address: 127.0.0.1, port: 9332}, {address: 127.0.0.1, port: 9332}]
    merged: [DOGE, NMC]
    poll: false
  BTC:
    algo: sha256
    network: bitcon
    pool_address: x
    coinservs: [{address: 127.0.0.1, port: 8332}]
aux:
  NMC:
    algo: sha256d
    coinservs: [{address: 127.0.0.1, port: 8336}]
    payout: {method: createauxblock}
stratum:
  main:
    jobmanager: LTCC
    vardiff: {enabled: true, tiers: [64, 32]}
    idle_worker_disconnect_threshold: 10
  second:
    port: 3333
    reporter: nosuch
edges:
  eu1: {ports: [main, third]}
reporters:
  redis: {type: redis}
  both: {type: double, reporters: [redis, celery]}
`);
    const expected = [
      /^coins\.LTC\.poll: true or null while pool\.datagram is disabled/,
      /^coins\.LTC\.merged\[0\]: the name of a configured aux chain \(one of NMC\) \| found "DOGE"$/,
      /^coins\.LTC\.merged\[1\]: an aux chain whose proof of work is scrypt like this coin's \(NMC checks sha256d\)/,
      /^coins\.LTC\.coinservs\[1\]: a coinserver not listed twice \| found 127\.0\.0\.1:9332$/,
      /^coins\.BTC\.network: the name of a configured network \(did you mean "bitcoin"\?\) \| found "bitcon"$/,
      /^aux\.NMC\.payout\.address: a payout address \(createauxblock needs one\)$/,
      /^stratum\.main\.jobmanager: the name of a configured coin or switcher \(did you mean "LTC"\?\) \| found "LTCC"$/,
      /^stratum\.main\.reporter: the reporter for this port's shares \(required when there are several: redis, both\)$/,
      /^stratum\.main\.vardiff\.tiers\[1\]: a strictly ascending list/,
      /^stratum\.main\.idle_worker_disconnect_threshold: at least idle_worker_threshold \(300\) \| found 10$/,
      /^stratum\.second\.jobmanager: the coin or switcher this port mines \(required when there is not exactly one; configured: LTC, BTC\)$/,
      /^stratum\.second\.reporter: the name of a configured reporter/,
      /^stratum\.second\.port: a port not already used by stratum\.main \| found 3333$/,
      /^edges\.eu1\.ports\[1\]: the name of a configured stratum port \(one of main, second\) \| found "third"$/,
      /^reporters\.both\.reporters\[1\]: the name of a configured reporter/,
    ];
    for (const re of expected) {
      if (!lines.some((l) => re.test(l))) throw new Error(`no line matches ${re}:\n${lines.join("\n")}`);
    }
    if (lines.length !== expected.length) throw new Error(`expected ${expected.length} lines, got:\n${lines.join("\n")}`);
  });

  test("an invalid pool_address is refused with the reason", () => {
    const lines = problems(minimal.replace(LTC, "LYExXWEPs5oWjScR1fYzwSuo8DcQWNcHpG"));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^coins\.LTC\.pool_address: a valid address for network litecoin \(.+\) \| found "LYExXWEPs5oWjScR1fYzwSuo8DcQWNcHpG"$/);
  });

  test("proxy_protocol: trusted entries must be addresses or CIDR blocks; required needs a trusted proxy", () => {
    const port = (pp: string) => minimal.replace("  main: {port: 3333}", `  main: {port: 3333, proxy_protocol: ${pp}}`);
    expect(parse(port("{enabled: true, trusted: [10.0.0.0/8, 192.0.2.7, '2001:db8::/32']}")).stratum.main?.proxy_protocol.trusted).toHaveLength(3);
    const bad = problems(port("{enabled: true, trusted: [10.0.0.0/33, 10.0.0/8, example.com]}"));
    expect(bad).toHaveLength(3);
    expect(bad[0]).toBe('stratum.main.proxy_protocol.trusted[0]: an IP address or CIDR block, e.g. 10.0.0.0/8 | found "10.0.0.0/33"');
    expect(problems(port("{enabled: true, required: true}"))).toEqual([
      'stratum.main.proxy_protocol.trusted: at least one load balancer address when required is true (else every connection is refused) | found []',
    ]);
  });

  test("a missing required key says it is required", () => {
    const lines = problems(minimal.replace(/    pool_address: .*\n/, ""));
    expect(lines).toEqual(["coins.LTC.pool_address: a value (string); this key is required"]);
  });

  test("broken YAML names the line", () => {
    expect(problems("coins:\n  LTC: [unclosed\n")[0]).toMatch(/^: valid YAML \| found .* at line \d+/);
    expect(problems("a: 1\na: 2\n")[0]).toMatch(/DUPLICATE_KEY at line 2/);
  });

  test("redis accepts exactly one of url, sentinel or cluster", () => {
    const lines = problems(`${minimal}\nredis: {url: "redis://x:6379", cluster: {nodes: [{host: a, port: 7000}]}}\n`);
    expect(lines).toEqual(["redis: only one of url, sentinel or cluster | found 2 of them"]);
  });
});

describe("secrets", () => {
  test("--dump-config masks passwords, secrets and URL credentials", () => {
    const cfg = parse(
      `${minimal.replace("port: 9332}", "port: 9332, username: u, password: hunter2}")}\nredis: {url: "redis://:s3cret@127.0.0.1:6379/0"}\npool: {datagram: {enabled: true, secret: longsecret1}}\n`,
    );
    const out = dumpConfig(cfg);
    expect(out).not.toContain("hunter2");
    expect(out).not.toContain("s3cret");
    expect(out).not.toContain("longsecret1");
    expect(out).toContain(MASK);
    expect(out).toContain("redis://:********@127.0.0.1:6379/0");
    expect(out).toContain("username: u");
  });

  test("URL masking keeps everything but the password", () => {
    expect(maskUrlPassword("redis://user:pw@host:1/2")).toBe("redis://user:********@host:1/2");
    expect(maskUrlPassword("redis://host:1/2")).toBe("redis://host:1/2");
  });
});
