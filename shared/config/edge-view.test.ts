import { describe, expect, test } from "bun:test";
import { addressChecker } from "./addresses.ts";
import { edgeConfigDocument } from "./edge-view.ts";
import { parseConfig, parseEdgeConfig, readYaml } from "./load.ts";
import { problemLines } from "./testing.ts";
import { stringify } from "yaml";

const LTC = "LYExXWEPs5oWjScR1fYzwSuo8DcQWNcHpF";
const opts = { addresses: addressChecker };

/** Every value here an edge must never see. */
const SECRETS = {
  coinserver: "ltc-rpc-secret-1",
  coinserver2: "ltc-rpc-secret-2",
  auxCoinserver: "doge-rpc-secret",
  coreRedis: "core-redis-secret-0123456789",
  broker: "celery-broker-secret",
  datagram: "datagram-secret",
  otherEdge: "us1-redis-secret-0123456789",
  btcCoinserver: "btc-rpc-secret",
};

const pool = `
defaults:
  coins:
    coinservs: [{address: 10.0.0.9, port: 9332, username: rpc, password: ${SECRETS.coinserver2}}]
pool:
  datagram: {enabled: true, secret: ${SECRETS.datagram}}
coins:
  LTC:
    algo: scrypt
    network: litecoin
    pool_address: ${LTC}
    coinservs: [{address: 10.0.0.1, port: 9332, username: rpc, password: ${SECRETS.coinserver}}]
    merged: [DOGE]
    coinbase_tag: /tag/
  BTC:
    algo: sha256d
    network: bitcoin
    pool_address: 1BoatSLRHtKNngkdXEeobR76b53LETtpyT
    coinservs: [{address: 10.0.0.3, port: 8332, username: rpc, password: ${SECRETS.btcCoinserver}}]
aux:
  DOGE:
    algo: scrypt
    coinservs: [{address: 10.0.0.2, port: 22555, password: ${SECRETS.auxCoinserver}}]
stratum:
  main: {port: 3333, jobmanager: LTC, reporter: both}
  sha: {port: 3334, jobmanager: BTC, reporter: both}
edges:
  eu1: {ports: [main], public_host: eu1.example.com, redis: {username: edge-eu1, password: eu1-redis-password-0123}}
  us1: {ports: [sha], redis: {username: edge-us1, password: ${SECRETS.otherEdge}}}
reporters:
  redis: {type: redis}
  celery: {type: celery, broker: "redis://:${SECRETS.broker}@10.0.0.5:6379/1"}
  both: {type: double, reporters: [redis, celery]}
redis: {url: "rediss://core:${SECRETS.coreRedis}@redis.example.com:6380/0", tls: {ca_file: /etc/pp/ca.pem}}
monitor: {enabled: true, port: 3855}
`;

const generate = (text: string, edge: string) => stringify(edgeConfigDocument(readYaml(text, "pool.yml") as Record<string, unknown>, parseConfig(text, "pool.yml", opts), edge));

describe("edge-config", () => {
  const eu1 = generate(pool, "eu1");

  test("the generated file holds no secret of the pool's config", () => {
    for (const [what, secret] of Object.entries(SECRETS)) expect({ what, found: eu1.includes(secret) }).toEqual({ what, found: false });
    for (const key of ["coinservs", "pool_address", "reporters", "monitor", "datagram", "coinbase_tag", "BTC", "us1", "defaults"]) expect({ key, found: eu1.includes(key) }).toEqual({ key, found: false });
  });

  test("it loads as the edge's config, with the edge's own Redis user and the pool's TLS settings", () => {
    const view = parseEdgeConfig(eu1, "eu1.yml", opts);
    expect(view.redis.url).toBe("rediss://edge-eu1:eu1-redis-password-0123@redis.example.com:6380/0");
    expect(view.redis.tls).toEqual({ ca_file: "/etc/pp/ca.pem" });
    expect(Object.keys(view.coins)).toEqual(["LTC"]);
    expect(view.coins.LTC).toMatchObject({ algo: "scrypt", network: "litecoin", merged: ["DOGE"], hashesPerShare: 65536 });
    expect(view.aux.DOGE?.algo).toBe("scrypt");
    expect(view.stratum.main).toMatchObject({ jobmanager: "LTC", reporter: undefined, listenPort: 3333 });
    expect(view.edges).toEqual({ eu1: { ports: ["main"], public_host: "eu1.example.com", workers: 1 } });
    expect(view.coreOnlyKeys).toEqual([]);
  });

  test("the core refuses it: coinservers and a payout address are required there", () => {
    expect(problemLines(() => parseConfig(eu1, "eu1.yml", opts))).toEqual([
      "coins.LTC.pool_address: a value (string); this key is required",
      "coins.LTC.coinservs: a value (array); this key is required",
      "aux.DOGE.coinservs: a value (array); this key is required",
    ]);
  });

  test("an edge given the whole pool config names the core-only secrets it holds and keeps none of them", () => {
    const view = parseEdgeConfig(pool, "pool.yml", opts);
    expect(view.coreOnlyKeys).toEqual(["coins.LTC.coinservs", "coins.BTC.coinservs", "aux.DOGE.coinservs", "reporters.celery.broker", "pool.datagram.secret", "edges.eu1.redis", "edges.us1.redis"]);
    const held = JSON.stringify(view, (_k, v: unknown) => (typeof v === "bigint" ? v.toString(16) : v));
    for (const secret of [SECRETS.coinserver, SECRETS.auxCoinserver, SECRETS.broker, SECRETS.datagram, SECRETS.otherEdge]) expect(held.includes(secret)).toBe(false);
  });

  test("a pool whose Redis needs a password and an edge without its own user: refused, not given the core's", () => {
    const noUser = pool.replace(/ {2}eu1: \{ports: \[main\], public_host: eu1\.example\.com, redis: \{[^}]*\}\}/, "  eu1: {ports: [main]}");
    expect(() => generate(noUser, "eu1")).toThrow("edges.eu1.redis: expected this edge's own Redis user (username, password): the pool's redis.url carries the core's password");
    const sentinel = noUser.replace(/redis: \{url: [^\n]*/, "redis: {sentinel: {name: m, sentinels: [{host: 10.0.0.7, port: 26379}], password: x, sentinel_password: y}, tls: {ca_file: /ca.pem}}");
    expect(() => generate(sentinel, "eu1")).toThrow("the pool's redis.sentinel.password carries the core's password");
    expect(parseEdgeConfig(generate(sentinel, "us1"), "us1.yml", opts).redis.sentinel).toMatchObject({ username: "edge-us1", password: SECRETS.otherEdge, sentinel_username: "edge-us1", sentinel_password: SECRETS.otherEdge });
    expect(() => generate(sentinel, "eu1")).toThrow("edges.eu1.redis: expected this edge's own Redis user (username, password): the pool's redis.sentinel.sentinel_password carries the core's password");
  });

  test("TLS and edge-user mistakes are reported", () => {
    const bad = pool
      .replace("rediss://core", "redis://core")
      .replace("tls: {ca_file: /etc/pp/ca.pem}", "tls: {ca_file: /etc/pp/ca.pem, cert_file: /c.pem}")
      .replace("username: edge-us1", "username: edge-eu1");
    expect(problemLines(() => parseConfig(bad, "pool.yml", opts))).toEqual([
      "redis.tls: a rediss:// url (redis.tls configures TLS, which redis:// does not use) | found redis://",
      "redis.tls.key_file: the client certificate and its key together",
      'edges.us1.redis.username: a Redis user of this edge alone (edges.eu1 has it) | found "edge-eu1"',
    ]);
  });
});
