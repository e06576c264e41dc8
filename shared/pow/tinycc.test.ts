import { describe, expect, test } from "bun:test";

import { loadPowNative } from "./native.ts";
import { runPowCases } from "./pow.case.ts";
import { tinyccUnitySource } from "./tinycc.ts";

describe("TinyCC fallback (Bun's cc, no C compiler needed)", () => {
  runPowCases("tinycc", () => loadPowNative({ forceTinyCC: true }));

  test("a missing library falls back to TinyCC with a warning that says how to get a compiler", () => {
    const warnings: string[] = [];
    const native = loadPowNative({ libraryPath: "/nonexistent/libpowhash.so", warn: (m) => warnings.push(m) });
    expect(native.kind).toBe("tinycc");
    expect(native.description).toBe("tinycc [portable]");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("/nonexistent/libpowhash.so does not exist");
    expect(warnings[0]).toContain("apt-get install -y gcc");
  });

  test("fallback: none refuses instead", () => {
    expect(() => loadPowNative({ libraryPath: "/nonexistent/libpowhash.so", fallback: "none" })).toThrow(
      /does not exist/,
    );
  });

  test("the unity source renames the shared sph statics and includes no SIMD kernel", () => {
    const src = tinyccUnitySource();
    expect(src).toContain("#define IV512 IV512_echo");
    expect(src).not.toContain("scrypt-avx");
    expect(src.match(/#include "[^"]*sph_[a-z]+\.c"/g)).toHaveLength(11);
  });
});
