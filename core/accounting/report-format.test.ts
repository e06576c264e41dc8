import { expect, test } from "bun:test";
import { compileFormat } from "./report-format.ts";

const allowed = new Set(["algo", "currency", "server_name", "chain"]);

test("renders named placeholders and brace escapes like str.format", () => {
  const f = compileFormat("{chain}-{currency}_{{x}}", allowed);
  if (!f.ok) throw new Error(f.reason);
  expect(f.render({ chain: "LTC", currency: "DOGE", algo: "scrypt", server_name: "pp_0" })).toBe("LTC-DOGE_{x}");
});

test("a placeholder missing from attrs is refused with the names that exist", () => {
  const f = compileFormat("{region}", allowed);
  expect(f).toEqual({ ok: false, reason: "placeholder {region} is not one of {algo}, {currency}, {server_name}, {chain}" });
});

test("unsupported format syntax and unbalanced braces are refused", () => {
  for (const bad of ["{chain!r}", "{chain:>8}", "{0}", "{chain", "a}b", "{a.b}"]) expect(compileFormat(bad, allowed).ok).toBe(false);
});
