import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findCCompiler } from "../../scripts/test/components.ts";
import { describeWith, systemRequirement } from "../../test/helpers/skips.ts";

import { BUILTIN_ALGORITHMS } from "./algorithms.ts";
import { createSha256dHasher, type Hasher } from "./hashers.ts";
import { startPow } from "./index.ts";
import { loadPowNative, type PowNative } from "./native.ts";
import { MULTI_HASHING_SRC_DIR } from "./paths.ts";
import { createPowPool } from "./pool.ts";
import { runSelfTest, selfTest, SelfTestError } from "./self-test.ts";

const ALL = ["sha256d", "scrypt", "scryptn", "x11"].map((n) => BUILTIN_ALGORITHMS[n]!);
const native = (): PowNative => loadPowNative();

describe("self-test on the real library", () => {
  test("passes for every algorithm and checks every lane of the scrypt kernel", () => {
    const report = selfTest(ALL, native());
    expect(report.ok).toBe(true);
    expect(report.failures).toEqual([]);
    const lanes = native().symbols.ph_scrypt_kernel_lanes(0);
    const scryptLaneChecks = report.checks.filter((c) => c.pow === "scrypt" && c.vector.includes(" lane "));
    expect(scryptLaneChecks).toHaveLength(lanes + 1);
    expect(new Set(report.checks.map((c) => c.pow))).toEqual(new Set(["sha256d", "scrypt", "scryptn", "x11"]));
  });

  test("a broken hasher is reported with algorithm, implementation, vector, expected and got", () => {
    const real = createSha256dHasher();
    const broken: Hasher = {
      ...real,
      implementation: "broken-for-test",
      hashInto(header, out) {
        real.hashInto(header, out);
        out[31] = out[31]! ^ 1; // one bit off
      },
    };
    const report = runSelfTest([BUILTIN_ALGORITHMS.sha256d!], native(), { hashers: { sha256d: broken } });
    expect(report.ok).toBe(false);
    expect(report.failures.length).toBe(report.checks.length);
    const first = report.failures[0]!;
    expect(first).toMatchObject({ algorithm: "sha256d", pow: "sha256d", implementation: "broken-for-test", ok: false });
    expect(first.got).not.toBe(first.expected);
    expect(() => selfTest([BUILTIN_ALGORITHMS.sha256d!], native(), { hashers: { sha256d: broken } })).toThrow(
      /sha256d \(sha256d\) via broken-for-test, vector bitcoin-genesis: expected 6fe28c0ab6f1b372c1a6a246ae63f74f931e8365e15a089c68d6190000000000, got /,
    );
  });
});

// The deliberately wrong library: multi-hashing's scrypt compiled with -O3 and strict aliasing
// (the real miscompile of shared/spec/hashing.md §6) and a stub x11. Needs gcc.
const gcc = findCCompiler();

describeWith(systemRequirement("a C compiler (cc)"), "self-test catches a wrong library", () => {
  let dir = "";
  let wrongPath = "";

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "powhash-wrong-"));
    wrongPath = join(dir, "libwrong.so");
    const mh = MULTI_HASHING_SRC_DIR;
    const fixture = new URL("./testdata/wrong-powhash.c", import.meta.url).pathname;
    const build = Bun.spawnSync([gcc!, "-O3", "-w", "-shared", "-fPIC", `-I${mh}/crypto`, fixture, `${mh}/scryptn.c`, `${mh}/crypto/sha256.c`, "-o", wrongPath]);
    if (build.exitCode !== 0) throw new Error(`building the wrong library failed: ${build.stderr.toString()}`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("runSelfTest reports every scrypt and x11 vector of the wrong library, and none of Bun.SHA256", () => {
    const wrong = loadPowNative({ libraryPath: wrongPath, fallback: "none" });
    const report = runSelfTest(ALL, wrong);
    expect(report.ok).toBe(false);
    const failed = new Set(report.failures.map((f) => f.pow));
    expect(failed).toEqual(new Set(["scrypt", "scryptn", "x11"]));
    expect(report.failures.every((f) => f.implementation.includes(wrongPath))).toBe(true);
    // the exact -O3 strict-aliasing result hashing.md recorded for the Miningcore vector
    expect(report.failures.find((f) => f.vector === "miningcore-scrypt")?.got).toStartWith("97b6666f");
    expect(report.checks.filter((c) => c.pow === "sha256d").every((c) => c.ok)).toBe(true);
  });

  test("startPow refuses to start with it", async () => {
    const start = startPow({ algorithms: ["x11"], libraryPath: wrongPath, fallback: "none" });
    await expect(start).rejects.toBeInstanceOf(SelfTestError);
    await start.catch((error: unknown) => {
      expect(String(error)).toContain("x11 (x11) via ffi:");
      expect(String(error)).toContain("vector dash-genesis: expected b67a40f3");
    });
  });

  test("a worker pool refuses to become ready with it (each worker self-tests)", async () => {
    const pool = createPowPool({ algorithms: ["scrypt"], workers: 1, libraryPath: wrongPath, fallback: "none" });
    await expect(pool.ready).rejects.toBeInstanceOf(SelfTestError);
    await pool.ready.catch(() => {});
    await expect(pool.hash("scrypt", new Uint8Array(80))).rejects.toBeInstanceOf(SelfTestError);
    await pool.close();
  });
});
