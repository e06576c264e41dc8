import { describe, expect, test } from "bun:test";
import { rememberAddressChecks } from "./address-cache.ts";

describe("rememberAddressChecks", () => {
  test("each address is checked once, valid or not, until it is the oldest of `size`", () => {
    const calls: string[] = [];
    const check = rememberAddressChecks((a) => (calls.push(a), a.startsWith("1")), 2);
    expect([check("1abc"), check("xyz"), check("1abc"), check("xyz")]).toEqual([true, false, true, false]);
    expect(calls).toEqual(["1abc", "xyz"]);
    check("1def"); // a third address: "1abc" (the oldest) is forgotten
    expect(check("xyz")).toBe(false);
    expect(check("1abc")).toBe(true);
    expect(calls).toEqual(["1abc", "xyz", "1def", "1abc"]);
  });
  test("a size below one is refused", () => {
    expect(() => rememberAddressChecks(() => true, 0)).toThrow(RangeError);
  });
});
