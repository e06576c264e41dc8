import { afterAll, describe, expect, test } from "bun:test";
import { describeWith, nativeLibraryRequirement } from "../../test/helpers/skips.ts";

import { BUILTIN_ALGORITHMS } from "./algorithms.ts";
import { createHasher, createScryptBatcher, createScryptHasher } from "./hashers.ts";
import { ALL_CPU_FEATURES, CPU_FEATURE, loadPowNative, loadPowReferences } from "./native.ts";
import { DEFAULT_LIBRARY_PATH } from "./paths.ts";
import { availableKernels, runPowCases } from "./pow.case.ts";
import { VERTCOIN_GENESIS } from "./vectors.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const ffi = () => loadPowNative({ fallback: "none" });

describeWith(nativeLibraryRequirement(), "gcc library through FFI", () => {
  afterAll(() => {
    loadPowNative({ fallback: "none", featureMask: ALL_CPU_FEATURES }); // undo the portable-only run
  });

  runPowCases("ffi (all CPU features)", ffi);

  test("the library reports its kernels and exports only ph_* symbols", async () => {
    const native = ffi();
    expect(native.kind).toBe("ffi");
    expect(availableKernels(native)).toContain("scalar");
    if (process.arch === "x64") expect(availableKernels(native)).toContain("sse2");
    const proc = Bun.spawnSync(["nm", "-D", "--defined-only", DEFAULT_LIBRARY_PATH]);
    if (proc.exitCode === 0) {
      const names = proc.stdout.toString().trim().split("\n").map((l) => l.split(" ").at(-1)!.replace(/@.*/, ""));
      expect(names.filter((n) => n !== "POWHASH_4" && !n.startsWith("ph_"))).toEqual([]);
    }
  });

  test("scrypt-N at N = 65536 and 131072 equals multi-hashing's scryptn.c (node:crypto refuses these)", () => {
    const native = ffi();
    const refs = loadPowReferences();
    const input = new Uint8Array(80).map((_, i) => (i * 37 + 11) & 0xff);
    for (const n of [65536, 131072]) {
      const ours = new Uint8Array(64);
      const input2 = new Uint8Array(160);
      input2.set(input);
      input2.set(input.map((b) => b ^ 0x55), 80);
      createScryptBatcher(native).hashBatchInto(input2, 80, 2, ours, n);
      for (let i = 0; i < 2; i++) {
        const ref = new Uint8Array(32);
        expect(refs.ph_ref_scrypt_mh(input2.subarray(80 * i, 80 * i + 80), 80, ref, n)).toBe(0);
        expect(hex(ours.subarray(32 * i, 32 * i + 32))).toBe(hex(ref));
      }
    }
    native.symbols.ph_release_scratch();
  });

  test("scryptn takes N from the header's nTime unless ntime is given", () => {
    const native = ffi();
    const hasher = createHasher(BUILTIN_ALGORITHMS.scryptn!, native);
    const fixed = createScryptBatcher(native);
    const out = new Uint8Array(32);
    const want = new Uint8Array(32);
    hasher.hashInto(VERTCOIN_GENESIS, out); // nTime 1389311371 -> N = 2048
    fixed.hashBatchInto(VERTCOIN_GENESIS, 80, 1, want, 2048);
    expect(hex(out)).toBe(hex(want));
    hasher.hashInto(VERTCOIN_GENESIS, out, 1700000000); // 2023-11-14 -> N = 32768
    fixed.hashBatchInto(VERTCOIN_GENESIS, 80, 1, want, 32768);
    expect(hex(out)).toBe(hex(want));
    expect(() => hasher.hashInto(new Uint8Array(40), out)).toThrow(/at least 72 bytes/);
  });

  test("hashers check their arguments", () => {
    const native = ffi();
    for (const name of ["sha256d", "x11", "scrypt"]) {
      const hasher = createHasher(BUILTIN_ALGORITHMS[name]!, native);
      expect(() => hasher.hashInto(new Uint8Array(80), new Uint8Array(16))).toThrow(RangeError);
      const wide = new Uint8Array(40);
      hasher.hashInto(new Uint8Array(80), wide); // wider outputs get the first 32 bytes
      expect(wide.subarray(32).every((b) => b === 0)).toBe(true);
    }
    expect(() => createScryptHasher(native, "scryptn")).toThrow(TypeError);
  });

  describe("portable paths only (no SIMD kernels, no SHA extensions)", () => {
    runPowCases("ffi with CPU features masked off", () =>
      loadPowNative({ fallback: "none", featureMask: CPU_FEATURE.sse2 & ~CPU_FEATURE.sse2 }),
    );
  });
});
