import { describe, expect, test } from "bun:test";
import { addressValidator, parseUsername, type UsernameRules } from "./username.ts";

const LTC = "LYExXWEPs5oWjScR1fYzwSuo8DcQWNcHpF";
const BTC = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa";
const rules: UsernameRules = { isValidAddress: addressValidator(["litecoin"], []), aliases: { myalias: "Lxxx" }, donateKey: "donate" };

describe("parseUsername (spec §2.5, checklist 22–29)", () => {
  test("22: ADDR.worker with a valid address keeps both", () => {
    expect(parseUsername(`${LTC}.rig1`, rules)).toEqual({ address: LTC, worker: "rig1", via: "address" });
  });
  test("23: disallowed runs collapse to one '-', worker cut to 16", () => {
    expect(parseUsername(`${LTC}.rig 1!`, rules).worker).toBe("rig-1-");
    expect(parseUsername(`${LTC}.a.b..c[d]_e`, rules).worker).toBe("a-b-c[d]_e");
    expect(parseUsername(`${LTC}.abcdefghijklmnopqrstuvwxyz`, rules).worker).toBe("abcdefghijklmnop");
  });
  test("23: non-ASCII worker characters are disallowed characters (PowerPool crashed on them)", () => {
    expect(parseUsername(`${LTC}.rïg€€1`, rules).worker).toBe("r-g-1");
  });
  test("24: no dot → empty worker", () => {
    expect(parseUsername(LTC, rules)).toEqual({ address: LTC, worker: "", via: "address" });
  });
  test("25: an invalid address whose alphanumerics lower-cased name an alias", () => {
    expect(parseUsername("My_Alias.x", rules)).toEqual({ address: "Lxxx", worker: "x", via: "alias" });
  });
  test("26: anything else → donate key", () => {
    expect(parseUsername("testing", rules)).toEqual({ address: "donate", worker: "", via: "donate" });
    expect(parseUsername("", rules)).toEqual({ address: "donate", worker: "", via: "donate" });
    expect(parseUsername(`${BTC}.w`, rules).address).toBe("donate"); // wrong network
    expect(parseUsername("LYExXWEPs5oWjScR1fYzwSuo8DcQWNcHpé", rules).address).toBe("donate");
    expect(parseUsername("constructor", rules).address).toBe("donate"); // not an inherited property
  });
  test("27: valid_address_versions rejects other version bytes", () => {
    const strict = { ...rules, isValidAddress: addressValidator(["litecoin"], [0x32]) };
    expect(parseUsername(`${LTC}.w`, strict).address).toBe("donate");
    const ok = { ...rules, isValidAddress: addressValidator(["litecoin"], [0x30]) };
    expect(parseUsername(`${LTC}.w`, ok).address).toBe(LTC);
  });
  test("28: whitespace around the address part is ignored", () => {
    expect(parseUsername(`  ${LTC} .w`, rules)).toEqual({ address: LTC, worker: "w", via: "address" });
  });
  test("a switching port accepts an address of any of its networks", () => {
    const both = addressValidator(["litecoin", "bitcoin"], []);
    expect(both(LTC) && both(BTC)).toBe(true);
  });
});
