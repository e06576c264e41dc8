import { describe, expect, test } from "bun:test";
import { captureLog } from "../../test/helpers/log-capture.ts";
import { AUX_METHODS, buildNotifyTargets, COIN_METHODS } from "./actions.ts";
import { DatagramHandler } from "./handler.ts";

const enc = (s: string) => new TextEncoder().encode(s);

function setup(secret?: string) {
  const hits = { LTC: 0, DOGE: 0 };
  const cap = captureLog("notify");
  let now = 0;
  const targets = buildNotifyTargets({ LTC: { notify: () => hits.LTC++ } }, { DOGE: { notify: () => hits.DOGE++ } });
  const h = new DatagramHandler({ targets, secret, log: cap.log, now: () => now, logBurst: 5, logWindowMs: 1000 });
  return { h, hits, ...cap, tick: (ms: number) => (now += ms), send: (s: string) => h.handle(enc(s), "127.0.0.1:5555") };
}

describe("DatagramHandler", () => {
  test("the canonical lines refresh the configured coin / aux chain", () => {
    const { send, hits, h } = setup();
    expect(send("LTC getblocktemplate signal=1 __spawn=1\n")).toEqual({ ok: true, component: "LTC", kind: "coin" });
    expect(send("DOGE _check_new_jobs signal=1 _single_exec=True __spawn=1")).toEqual({ ok: true, component: "DOGE", kind: "aux" });
    for (const m of COIN_METHODS) send(`LTC ${m}`);
    for (const m of AUX_METHODS) send(`DOGE ${m}`);
    expect(hits).toEqual({ LTC: 4, DOGE: 4 });
    expect(h.counters().accepted).toBe(8);
  });

  test("only the allow-list runs: other methods and unknown components are dropped and counted", () => {
    const { send, hits, h, count } = setup();
    expect(send("LTC stop")).toEqual({ ok: false, reason: "method_not_allowed" });
    expect(send("LTC found_block a b c")).toEqual({ ok: false, reason: "method_not_allowed" });
    expect(send("LTC __init__")).toEqual({ ok: false, reason: "method_not_allowed" });
    expect(send("DOGE getblocktemplate")).toEqual({ ok: false, reason: "method_not_allowed" });
    expect(send("BTC getblocktemplate signal=1")).toEqual({ ok: false, reason: "unknown_component" });
    expect(send("ltc getblocktemplate")).toEqual({ ok: false, reason: "unknown_component" });
    expect(send("garbage")).toEqual({ ok: false, reason: "malformed" });
    expect(hits).toEqual({ LTC: 0, DOGE: 0 });
    expect(h.counters().rejected).toMatchObject({ method_not_allowed: 4, unknown_component: 2, malformed: 1 });
    expect(count(/\[WARN\] dropped datagram from 127\.0\.0\.1:5555: method not in the allow-list/)).toBe(4);
  });

  test("with a secret configured, datagrams without it or with a wrong one are rejected; the secret is never logged", () => {
    const { send, hits, h, lines } = setup("s3cret-value");
    expect(send("LTC getblocktemplate signal=1")).toEqual({ ok: false, reason: "missing_secret" });
    expect(send("LTC getblocktemplate signal=1 secret=wrong-value")).toEqual({ ok: false, reason: "bad_secret" });
    expect(send("LTC getblocktemplate signal=1 secret=s3cret-valu")).toEqual({ ok: false, reason: "bad_secret" });
    expect(send("LTC getblocktemplate signal=1 secret=")).toEqual({ ok: false, reason: "bad_secret" });
    // Authentication comes first: an unknown component without the secret is a secret failure.
    expect(send("BTC getblocktemplate")).toEqual({ ok: false, reason: "missing_secret" });
    expect(send("LTC getblocktemplate signal=1 secret=s3cret-value")).toMatchObject({ ok: true });
    expect(hits.LTC).toBe(1);
    expect(h.counters().rejected).toMatchObject({ missing_secret: 2, bad_secret: 3 });
    expect(lines.join("\n")).not.toContain("wrong-value");
    expect(lines.join("\n")).not.toContain("s3cret");
  });

  test("a flood is counted exactly but logged at most `burst` lines per window", () => {
    const { h, count, tick, lines } = setup();
    for (let i = 0; i < 10_000; i++) h.handle(enc(`X${i} y`), "10.0.0.9:1");
    expect(h.counters().rejected.unknown_component).toBe(10_000);
    expect(count(/dropped datagram/)).toBe(5);
    tick(1000);
    h.handle(enc("LTC nope"), "10.0.0.9:1");
    expect(lines.at(-1)).toContain("(9995 similar lines suppressed before this one)");
  });

  test("a refresh action that throws is counted and logged, never thrown", () => {
    const cap = captureLog("notify");
    const h = new DatagramHandler({ targets: buildNotifyTargets({ LTC: { notify: () => { throw new Error("boom"); } } }), log: cap.log });
    expect(h.handle(enc("LTC refresh"), "127.0.0.1:1")).toEqual({ ok: false, reason: "handler_error" });
    expect(h.handle(new Uint8Array(10), "127.0.0.1:1", true)).toEqual({ ok: false, reason: "oversized" });
    expect(h.counters().rejected).toMatchObject({ handler_error: 1, oversized: 1 });
    expect(cap.count(/\[ERROR\] dropped datagram .*the refresh action threw \(boom\)/)).toBe(1);
  });

  test("a key cannot be both a coin and an aux chain", () => {
    const t = { notify() {} };
    expect(() => buildNotifyTargets({ LTC: t }, { LTC: t })).toThrow("buildNotifyTargets: expected distinct coin and aux keys, got LTC in both");
  });
});
