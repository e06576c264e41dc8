import { describe, expect, test } from "bun:test";
import { parseTemplate, templateFees, templateFingerprint, templateRequest } from "./template.ts";
import { rawTemplate } from "./testing.ts";


describe("parseTemplate", () => {
  test("keeps what jobs need, hex lowercased, satoshis as bigint", () => {
    const t = parseTemplate(rawTemplate({ previousblockhash: "AB".repeat(32) }));
    expect(t).toMatchObject({ height: 1000, bits: "207fffff", coinbasevalue: 5_000_010_000n, previousblockhash: "ab".repeat(32), mweb: null, rules: ["csv", "!segwit"] });
    expect(t.transactions[0]).toEqual({ data: "0100", txid: "11".repeat(32), hash: "22".repeat(32), fee: 10_000n });
    expect(templateFees(t)).toBe(10_000n);
  });

  test("mintime defaults to curtime; a missing wtxid is the txid (pre-segwit nodes)", () => {
    const t = parseTemplate(rawTemplate({ mintime: undefined, transactions: [{ data: "00", txid: "44".repeat(32), fee: 0 }] }));
    expect(t.mintime).toBe(1_700_000_000);
    expect(t.transactions[0]!.hash).toBe("44".repeat(32));
  });

  test.each([
    ["previousblockhash", "xyz", /getblocktemplate\.previousblockhash: expected 64 hex digits, got "xyz"/],
    ["bits", 545259519, /getblocktemplate\.bits: expected 8 hex digits, got number 545259519/],
    ["coinbasevalue", 1.5, /getblocktemplate\.coinbasevalue: expected a whole number of satoshis/],
    ["height", -1, /getblocktemplate\.height: expected an integer/],
    ["mweb", "", /getblocktemplate\.mweb: expected MWEB block hex/],
    ["transactions", [{ data: "00", txid: "zz" }], /getblocktemplate\.transactions\[0\]\.txid: expected 64 hex digits/],
  ])("refuses a bad %s with where/expected/got", (field, value, message) => {
    expect(() => parseTemplate(rawTemplate({ [field]: value }))).toThrow(message);
  });

  test("the request carries the configured rules", () => {
    expect(templateRequest(["mweb", "segwit"])).toEqual([{ rules: ["mweb", "segwit"], capabilities: ["coinbasevalue"] }]);
  });
});

describe("templateFingerprint (the dirty check, spec §15 item 9)", () => {
  const base = templateFingerprint(parseTemplate(rawTemplate()));

  test("a template that differs only in its clock is not dirty", () => {
    expect(templateFingerprint(parseTemplate(rawTemplate({ curtime: 1_700_000_060, mintime: 1_699_999_000 })))).toBe(base);
  });

  test.each([
    ["a new transaction", { transactions: [...(rawTemplate().transactions as object[]), { data: "02", txid: "55".repeat(32), hash: "55".repeat(32), fee: 1 }] }],
    ["a changed witness", { transactions: [{ data: "0100", txid: "11".repeat(32), hash: "66".repeat(32), fee: 10_000 }] }],
    ["another previous block", { previousblockhash: "cd".repeat(32) }],
    ["a different coinbase value", { coinbasevalue: 5_000_000_000 }],
    ["different bits", { bits: "1d00ffff" }],
    ["another version", { version: 0x20000002 }],
    ["MWEB data", { mweb: "0a0b" }],
  ])("%s makes it dirty", (_name, over) => {
    expect(templateFingerprint(parseTemplate(rawTemplate(over)))).not.toBe(base);
  });
});
