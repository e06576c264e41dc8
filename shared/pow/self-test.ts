/**
 * @module Start-up self-test: every configured algorithm is run through the exact code that
 * will validate shares (same library, same kernels, every SIMD lane) on known-answer vectors.
 * A process must refuse to start on any mismatch: bun:ffi is experimental, and a library built
 * with the wrong flags miscompiles silently (gcc -O3 without -fno-strict-aliasing on
 * multi-hashing's scrypt gives a wrong hash for every input; shared/spec/hashing.md §6).
 */
import type { AlgorithmInfo, PowFunction } from "./algorithms.ts";
import { createHasher, createScryptBatcher, scryptNFor, type Hasher, type ScryptBatcher } from "./hashers.ts";
import type { PowNative } from "./native.ts";
import { vectorsFor, type PowVector } from "./vectors.ts";

export interface SelfTestCheck {
  readonly algorithm: string;
  readonly pow: PowFunction;
  readonly implementation: string;
  readonly vector: string;
  readonly expected: string;
  readonly got: string;
  readonly ok: boolean;
}

export interface SelfTestReport {
  readonly ok: boolean;
  readonly checks: readonly SelfTestCheck[];
  readonly failures: readonly SelfTestCheck[];
}

/** Thrown by selfTest(): the report names algorithm, implementation, vector, expected and got. */
export class SelfTestError extends Error {
  readonly code = "POW_SELF_TEST";
  override readonly name = "SelfTestError";
  constructor(readonly report: SelfTestReport) {
    super(formatSelfTestFailures(report));
  }
}

export interface SelfTestOptions {
  /** Replace the hasher of a PoW function (tests use this to inject a broken one). */
  readonly hashers?: Partial<Record<PowFunction, Hasher>>;
  /** Replace the scrypt batcher the worker pool uses. */
  readonly batcher?: ScryptBatcher;
}

export function formatSelfTestFailures(report: SelfTestReport): string {
  if (report.ok) return `pow self-test passed (${report.checks.length} checks)`;
  const lines = report.failures.map(
    (f) => `  ${f.algorithm} (${f.pow}) via ${f.implementation}, vector ${f.vector}: expected ${f.expected}, got ${f.got}`,
  );
  return [
    `pow self-test FAILED: ${report.failures.length} of ${report.checks.length} checks wrong (hashes in internal byte order)`,
    ...lines,
  ].join("\n");
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

/** Run every check and return the report (never throws for a mismatch). */
export function runSelfTest(
  algorithms: readonly AlgorithmInfo[],
  native: PowNative,
  options: SelfTestOptions = {},
): SelfTestReport {
  const checks: SelfTestCheck[] = [];
  const out = new Uint8Array(32);
  const record = (algo: AlgorithmInfo, implementation: string, vector: string, expected: string, got: string) =>
    checks.push({ algorithm: algo.name, pow: algo.pow, implementation, vector, expected, got, ok: expected === got });

  for (const algo of algorithms) {
    const hasher = options.hashers?.[algo.pow] ?? createHasher(algo, native);
    const vectors = vectorsFor(algo.pow);
    if (algo.pow === "sha256d" || algo.pow === "x11") {
      for (const v of vectors) {
        hasher.hashInto(v.input, out);
        record(algo, hasher.implementation, v.id, v.expected, hex(out));
      }
      continue;
    }
    // scrypt family: the inline path on a full header (N from the algorithm), then the batch
    // path at each vector's N, then one full lane group so that every SIMD lane is checked.
    const batcher = options.batcher ?? createScryptBatcher(native);
    for (const v of vectors) {
      if (v.input.length === 80 && v.n === scryptNFor(algo, v.input)) {
        hasher.hashInto(v.input, out);
        record(algo, hasher.implementation, `${v.id} (inline)`, v.expected, hex(out));
      }
      batcher.hashBatchInto(v.input, v.input.length, 1, out, v.n ?? 1024);
      record(algo, batcher.implementation, v.id, v.expected, hex(out));
    }
    checkAllLanes(algo, batcher, vectors, record);
  }
  native.symbols.ph_release_scratch();
  const failures = checks.filter((c) => !c.ok);
  return { ok: failures.length === 0, checks, failures };
}

function checkAllLanes(
  algo: AlgorithmInfo,
  batcher: ScryptBatcher,
  vectors: readonly PowVector[],
  record: (algo: AlgorithmInfo, implementation: string, vector: string, expected: string, got: string) => void,
): void {
  // Same-length vectors at the smallest N, cycled over laneGroup + 1 slots (one group plus a
  // partial one).
  const n = Math.min(...vectors.map((v) => v.n ?? 1024));
  const same = vectors.filter((v) => (v.n ?? 1024) === n && v.input.length === vectors[0]!.input.length);
  const pick = same.length > 0 ? same : vectors.slice(0, 1);
  const len = pick[0]!.input.length;
  const count = batcher.laneGroup + 1;
  const input = new Uint8Array(len * count);
  const out = new Uint8Array(32 * count);
  for (let i = 0; i < count; i++) input.set(pick[i % pick.length]!.input, i * len);
  batcher.hashBatchInto(input, len, count, out, n);
  for (let i = 0; i < count; i++) {
    const v = pick[i % pick.length]!;
    record(algo, batcher.implementation, `${v.id} lane ${i}/${count}`, v.expected, hex(out.subarray(32 * i, 32 * i + 32)));
  }
}

/** Run the self-test and throw SelfTestError on any mismatch; returns the passing report. */
export function selfTest(
  algorithms: readonly AlgorithmInfo[],
  native: PowNative,
  options: SelfTestOptions = {},
): SelfTestReport {
  const report = runSelfTest(algorithms, native, options);
  if (!report.ok) throw new SelfTestError(report);
  return report;
}
