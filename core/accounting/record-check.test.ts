/** Issue 19 §2: each share record checked on its own against the config before it is planned. */
import { describe, expect, test } from "bun:test";
import { ShareResult, type AgentRecordV1, type ShareRecordV1 } from "../../shared/contract/index.ts";
import { ADDR_A, share, T0, testPort, testSettings } from "../ingest/testing.ts";
import { createAgentCheck, createRecordCheck, MAX_AHEAD_MS } from "./record-check.ts";

const settings = testSettings("rc:");
const check = createRecordCheck({ ...settings, stratum: { ...settings.stratum, aliased: testPort("redis", { aliases: { bob: ADDR_A }, donate_key: "DONATE" }) } });
const NOW = T0 + 3_600_000;
const AGE = 86_400_000;
const run = (r: ShareRecordV1) => check(r, NOW, AGE);

describe("createRecordCheck", () => {
  test("ordinary records pass: accepted with aux, stale without a job, the donate key and an alias target", () => {
    expect(run(share(1, { aux: ["DOGE"] }))).toBeUndefined();
    expect(run(share(2, { result: ShareResult.stale, jobId: "", aux: [] }))).toBeUndefined();
    expect(run(share(3, { result: ShareResult.invalid, jobId: "", currency: "LTC", algo: "" }))).toBeUndefined();
    expect(run(share(4, { port: "aliased", address: "DONATE" }))).toBeUndefined();
    expect(run(share(5, { address: "donate", worker: "" }))).toBeUndefined();
    expect(run(share(6, { difficulty: 2 ** 20, time: NOW + MAX_AHEAD_MS }))).toBeUndefined();
    expect(run(share(7, { time: NOW - AGE }))).toBeUndefined();
  });

  test.each([
    ["unknown port", { port: "nope" }, 'port "nope" is not configured'],
    ["another jobmanager", { jobmanager: "DOGE" }, 'jobmanager "DOGE" is not port scrypt_STRAT\'s (LTC)'],
    ["difficulty above the port's maximum (the four-line attack)", { difficulty: 1e308 }, "difficulty 1e+308 is outside port scrypt_STRAT's (0, 1048576]"],
    ["difficulty Infinity", { difficulty: Infinity }, "difficulty Infinity is outside"],
    ["difficulty NaN", { difficulty: NaN }, "difficulty NaN is outside"],
    ["difficulty 0", { difficulty: 0 }, "difficulty 0 is outside"],
    ["difficulty negative", { difficulty: -5 }, "difficulty -5 is outside"],
    ["time too old (beyond the seen-set lifetime)", { time: NOW - AGE - 1 }, "is outside [now - 86400000 ms"],
    ["time far ahead", { time: NOW + MAX_AHEAD_MS + 1 }, "is outside [now"],
    ["time NaN", { time: NaN }, "time NaN is outside"],
    ["unconfigured currency", { currency: "BTC" }, 'currency "BTC" is not port scrypt_STRAT\'s'],
    ["a key-name injection in the currency", { currency: "LTC_scrypt\nx" }, "currency"],
    ["unconfigured algo", { algo: "sha256d" }, 'algo "sha256d" is not port scrypt_STRAT\'s'],
    ["unconfigured aux", { aux: ["DOGE", "NMC"] }, 'aux currency "NMC" is not configured'],
    ["accepted without a job", { jobId: "" }, "an accepted share without a job"],
    ["aux without a job", { result: ShareResult.stale, jobId: "", aux: ["DOGE"] }, "aux currencies without a job"],
    ["invalid address", { address: "LKrhhGFfLw1p3VZp1ZPHEbdKTJsdbPvFEA" }, "is not valid for port scrypt_STRAT's coins"],
    ["a bitcoin address on a litecoin port", { address: "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa" }, "is not valid"],
    ["an alias target of another port", { address: "DONATE" }, "is not valid"],
    ["worker with ':' (would split a slice entry)", { worker: "a:1" }, "is not a SimpleCoin worker name"],
    ["worker with a newline", { worker: "a\nb" }, "is not a SimpleCoin worker name"],
    ["worker too long", { worker: "w".repeat(65) }, "is not a SimpleCoin worker name"],
  ] as const)("%s is refused", (_what, over, reason) => {
    expect(run(share(1, over as Partial<ShareRecordV1>))).toContain(reason);
  });
});

describe("createAgentCheck", () => {
  const agent = createAgentCheck(settings);
  const rec = (over: Partial<AgentRecordV1> = {}): AgentRecordV1 => ({ v: 1, edge: "eu1", port: "scrypt_STRAT", address: ADDR_A, worker: "rig1", type: "hashrate", data: [1], stamp: 1_700_000_000, ...over });
  test("ordinary records pass, with or without a port (edges that predate it)", () => {
    expect(agent(rec())).toBeUndefined();
    expect(agent(rec({ port: undefined }))).toBeUndefined();
    expect(agent(rec({ address: "donate", worker: "" }))).toBeUndefined();
  });
  test.each([
    ["unknown port", { port: "nope" }, 'port "nope" is not configured'],
    ["an address no port accepts", { address: "status_x" }, 'address "status_x" is not valid for port scrypt_STRAT\'s coins'],
    ["an address no port accepts, without a port", { port: undefined, address: "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa" }, "is not valid for any configured port"],
    ["a worker with ':'", { worker: "a:b" }, "is not a SimpleCoin worker name"],
    ["a stamp of 1e308 (it names a key)", { stamp: 1e308 }, "stamp 1e+308 is not a time"],
    ["a stamp of Infinity", { stamp: Infinity }, "stamp Infinity is not a time"],
  ] as const)("%s is refused", (_what, over, reason) => {
    expect(agent(rec(over as Partial<AgentRecordV1>))).toContain(reason);
  });
});
