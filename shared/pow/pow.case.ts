/**
 * @module One suite run against every build of the native code (the gcc library through FFI,
 * the TinyCC fallback): known-answer vectors per algorithm and kernel, then cross-checks on
 * random inputs against independent implementations (node:crypto scrypt, pure-JS X11,
 * node:crypto SHA-256).
 */
import { describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";

import { BUILTIN_ALGORITHMS } from "./algorithms.ts";
import { createHasher, createNativeSha256dHasher, createScryptBatcher, createX11Hasher } from "./hashers.ts";
import { SCRYPT_KERNEL, type PowNative, type ScryptKernelName } from "./native.ts";
import { scryptNodeCrypto, sha256dNodeCrypto, x11PureJs } from "./reference.ts";
import { POW_VECTORS } from "./vectors.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** Kernels this build and CPU can run. */
export function availableKernels(native: PowNative): ScryptKernelName[] {
  return (Object.keys(SCRYPT_KERNEL) as ScryptKernelName[]).filter(
    (k) => k !== "auto" && native.symbols.ph_scrypt_kernel_lanes(SCRYPT_KERNEL[k]) > 0,
  );
}

function randomInputs(count: number, length: number): Uint8Array {
  return new Uint8Array(randomBytes(count * length));
}

export function runPowCases(label: string, getNative: () => PowNative): void {
  describe(`pow implementation: ${label}`, () => {
    for (const v of POW_VECTORS) {
      test(`${v.pow} vector ${v.id}`, () => {
        const native = getNative();
        const out = new Uint8Array(32);
        if (v.pow === "sha256d") {
          createHasher(BUILTIN_ALGORITHMS.sha256d!, native).hashInto(v.input, out);
          expect(hex(out)).toBe(v.expected);
          createNativeSha256dHasher(native).hashInto(v.input, out);
          expect(hex(out)).toBe(v.expected);
        } else if (v.pow === "x11") {
          createX11Hasher(native).hashInto(v.input, out);
          expect(hex(out)).toBe(v.expected);
        } else {
          // N = 65536 costs ~30 ms per hash in portable C: run it on the default kernel only.
          const kernels: ScryptKernelName[] = (v.n ?? 0) >= 65536 ? ["auto"] : ["auto", ...availableKernels(native)];
          for (const kernel of kernels) {
            createScryptBatcher(native, kernel).hashBatchInto(v.input, v.input.length, 1, out, v.n ?? 1024);
            expect(`${kernel}:${hex(out)}`).toBe(`${kernel}:${v.expected}`);
          }
        }
      });
    }

    test("x11 equals the pure-JS @dashevo/x11-hash-js on random 80-byte headers", () => {
      const x11 = createX11Hasher(getNative());
      const inputs = randomInputs(24, 80);
      const out = new Uint8Array(32);
      for (let i = 0; i < 24; i++) {
        const header = inputs.subarray(80 * i, 80 * i + 80);
        x11.hashInto(header, out);
        expect(hex(out)).toBe(hex(x11PureJs(header)));
      }
    });

    test("x11 and sha256d accept any input length", () => {
      const native = getNative();
      const out = new Uint8Array(32);
      for (const len of [0, 1, 63, 64, 65, 111, 128, 200]) {
        const input = randomInputs(1, len);
        createHasher(BUILTIN_ALGORITHMS.sha256d!, native).hashInto(input, out);
        expect(hex(out)).toBe(hex(sha256dNodeCrypto(input)));
        createNativeSha256dHasher(native).hashInto(input, out);
        expect(hex(out)).toBe(hex(sha256dNodeCrypto(input)));
        createX11Hasher(native).hashInto(input, out); // no crash; value checked by the vectors
      }
    });

    test("every scrypt kernel equals node:crypto on random headers, for every lane and ragged batches", () => {
      const native = getNative();
      for (const kernel of availableKernels(native)) {
        const batcher = createScryptBatcher(native, kernel);
        for (const count of new Set([1, batcher.laneGroup - 1, batcher.laneGroup + 1, 2 * batcher.laneGroup + 3])) {
          if (count < 1) continue;
          const input = randomInputs(count, 80);
          const out = new Uint8Array(32 * count);
          batcher.hashBatchInto(input, 80, count, out, 1024);
          for (let i = 0; i < count; i++) {
            const header = input.subarray(80 * i, 80 * i + 80);
            expect(`${kernel}/${count}/${i}:${hex(out.subarray(32 * i, 32 * i + 32))}`).toBe(
              `${kernel}/${count}/${i}:${hex(scryptNodeCrypto(header, 1024))}`,
            );
          }
        }
      }
    });

    test("scrypt-N equals node:crypto for N = 2048 and 16384, and for other input lengths", () => {
      const native = getNative();
      const batcher = createScryptBatcher(native);
      for (const [n, count, len] of [
        [2048, 5, 80],
        [16384, 2, 80],
        [1024, 3, 32],
        [1024, 2, 200],
      ] as const) {
        const input = randomInputs(count, len);
        const out = new Uint8Array(32 * count);
        batcher.hashBatchInto(input, len, count, out, n);
        for (let i = 0; i < count; i++) {
          expect(hex(out.subarray(32 * i, 32 * i + 32))).toBe(hex(scryptNodeCrypto(input.subarray(len * i, len * (i + 1)), n)));
        }
      }
    });

    test("scrypt rejects an N that is not a power of two", () => {
      const batcher = createScryptBatcher(getNative());
      const out = new Uint8Array(32);
      expect(() => batcher.hashBatchInto(new Uint8Array(80), 80, 1, out, 1000)).toThrow(/power of two/);
      expect(() => batcher.hashBatchInto(new Uint8Array(80), 80, 1, out, 2 ** 23)).toThrow(/power of two/);
      expect(() => batcher.hashBatchInto(new Uint8Array(80), 80, 2, out, 1024)).toThrow(RangeError);
    });
  });
}
