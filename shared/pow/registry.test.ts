import { describe, expect, test } from "bun:test";

import { BUILTIN_ALGORITHMS, DIFF1_SCRYPT, DIFF1_SHA256D } from "./algorithms.ts";
import { CPU_FEATURE, loadPowNative } from "./native.ts";
import { createPowRegistry, resolveAlgorithm } from "./registry.ts";
import { DASH_GENESIS, LITECOIN_GENESIS, POW_VECTORS } from "./vectors.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const expected = (id: string) => POW_VECTORS.find((v) => v.id === id)!.expected;

describe("algorithm registry", () => {
  const registry = createPowRegistry(["sha256d", "sha256", "scrypt", "scryptn", "x11"], loadPowNative());

  test("binds each configured name to its numbers and hasher", () => {
    expect(registry.names).toEqual(["sha256d", "sha256", "scrypt", "scryptn", "x11"]);
    expect(registry.get("scrypt").info).toMatchObject({ pow: "scrypt", diff1: DIFF1_SCRYPT, hashesPerShare: 65536 });
    expect(registry.get("sha256").info).toMatchObject({ pow: "sha256d", diff1: DIFF1_SHA256D, hashesPerShare: 2 ** 32 });
    expect(registry.get("x11").hasher.slow).toBe(false);
    expect(registry.get("scryptn").hasher.slow).toBe(true);
    const sha = registry.get("sha256d").hasher.implementation;
    expect(registry.native.features & CPU_FEATURE.shaNi ? sha.startsWith("ffi:") : sha === "Bun.SHA256").toBe(true);
  });

  test("block hash: x11 coins use the PoW hash (pow_block_hash), scrypt coins sha256d", () => {
    expect(hex(registry.blockHash("x11", DASH_GENESIS))).toBe(expected("dash-genesis"));
    expect(hex(registry.blockHash("scrypt", LITECOIN_GENESIS))).toBe(expected("litecoin-genesis-id"));
    // a coin's own pow_block_hash setting wins over the algorithm default
    expect(hex(registry.blockHash("scrypt", LITECOIN_GENESIS, true))).toBe(expected("litecoin-genesis-pow"));
    const sha = registry.blockHash("x11", DASH_GENESIS, false);
    expect(hex(sha)).not.toBe(expected("dash-genesis"));
    // an already computed PoW hash is reused
    const pow = Uint8Array.from(Buffer.from(expected("dash-genesis"), "hex"));
    expect(hex(registry.blockHash("x11", new Uint8Array(80), true, pow))).toBe(expected("dash-genesis"));
  });

  test("custom algorithms and lookup errors", () => {
    const custom = { ...BUILTIN_ALGORITHMS.scryptn!, name: "vtcold", scryptN: { chainStartTime: 0, minNfactor: 10, maxNfactor: 10 } };
    const r = createPowRegistry([custom], loadPowNative());
    expect(r.get("vtcold").info.scryptN?.maxNfactor).toBe(10);
    expect(() => registry.get("lyra2re")).toThrow(/expected one of sha256d, sha256, scrypt, scryptn, x11, got "lyra2re"/);
    expect(() => resolveAlgorithm("nope")).toThrow(RangeError);
    expect(() => resolveAlgorithm("toString")).toThrow(RangeError);
    expect(() => createPowRegistry([{ ...BUILTIN_ALGORITHMS.x11!, name: "x_11" }], loadPowNative())).toThrow(/must not contain "_"/);
  });
});
