/**
 * @module The hash functions behind each proof-of-work algorithm, one Hasher per PowFunction.
 *
 * Every hasher writes 32 bytes in internal order (as the hash function produces them); the pool
 * compares them as a little-endian 256-bit integer, and only display code reverses them.
 *
 *   sha256d  our C on the CPU's SHA extensions through FFI when present (~4.4 M/s per core),
 *            else Bun.SHA256 twice into preallocated buffers (~3 M/s; our portable C is ~1 M/s)
 *   x11      our glue over the sphlib primitives, through FFI (or the TinyCC fallback)
 *   scrypt   our lane kernels (several hashes interleaved in SIMD registers); N = 1024
 *   scryptn  the same with N from the header's nTime; N >= 65536 works (node:crypto refuses it)
 *
 * scrypt hashes take 0.1-1 ms (scrypt) or 10+ ms (scrypt-N) each: on an event-loop thread, send
 * them to the worker pool (pool.ts), which batches concurrent shares into the SIMD lanes.
 */
import type { AlgorithmInfo, PowFunction, ScryptNSchedule } from "./algorithms.ts";
import { CPU_FEATURE, PH_OK, SCRYPT_KERNEL, scryptErrorMessage, type PowNative, type ScryptKernelName } from "./native.ts";
import { headerNtime, scryptNForTime } from "./scrypt-n.ts";

export interface Hasher {
  readonly pow: PowFunction;
  /** Which code computes it, e.g. "Bun.SHA256" or "ffi:/…/libpowhash.so [avx512 …]". */
  readonly implementation: string;
  /** True when one hash holds the thread long enough that an event loop should use the pool. */
  readonly slow: boolean;
  /**
   * PoW hash of `header` into out32[0..32]. `ntime` only matters for scrypt-N (default: the
   * header's own nTime, bytes 68..71). Throws RangeError on a bad argument.
   */
  hashInto(header: Uint8Array, out32: Uint8Array, ntime?: number): void;
}

/** scrypt with an explicit N, for the pool's batches and the benchmark. */
export interface ScryptBatcher {
  readonly implementation: string;
  /** Hashes per ROMix group of the kernel in use (lanes x interleaved vectors). */
  readonly laneGroup: number;
  /**
   * scrypt(N, r=1, p=1) of `count` inputs of `inputLength` bytes stored back to back in `input`,
   * 32 bytes each into `out`.
   */
  hashBatchInto(input: Uint8Array, inputLength: number, count: number, out: Uint8Array, n: number): void;
}

export const SCRYPT_N_LITECOIN = 1024;

function checkOut(where: string, out32: Uint8Array): void {
  if (!(out32 instanceof Uint8Array) || out32.length < 32) {
    throw new RangeError(`${where}: expected out32 a Uint8Array of at least 32 bytes, got ${out32?.length}`);
  }
}

function checkInput(where: string, header: Uint8Array): void {
  if (!(header instanceof Uint8Array)) throw new TypeError(`${where}: expected header a Uint8Array`);
}

/** sha256d through Bun's BoringSSL SHA-256, with no allocation per call. */
export function createSha256dHasher(): Hasher {
  const mid = new Uint8Array(32);
  const full = new Uint8Array(32);
  return {
    pow: "sha256d",
    implementation: "Bun.SHA256",
    slow: false,
    hashInto(header, out32) {
      checkInput("sha256d", header);
      checkOut("sha256d", out32);
      Bun.SHA256.hash(header, mid);
      if (out32.length === 32) {
        Bun.SHA256.hash(mid, out32);
      } else {
        Bun.SHA256.hash(mid, full);
        out32.set(full);
      }
    },
  };
}

/** sha256d in our C (SHA extensions when present); benchmarked against Bun.SHA256. */
export function createNativeSha256dHasher(native: PowNative): Hasher {
  const fn = native.symbols.ph_sha256d;
  return {
    pow: "sha256d",
    implementation: native.description,
    slow: false,
    hashInto(header, out32) {
      checkInput("sha256d", header);
      checkOut("sha256d", out32);
      fn(header, header.length, out32);
    },
  };
}

export function createX11Hasher(native: PowNative): Hasher {
  const fn = native.symbols.ph_x11;
  return {
    pow: "x11",
    implementation: native.description,
    slow: false,
    hashInto(header, out32) {
      checkInput("x11", header);
      checkOut("x11", out32);
      fn(header, header.length, out32);
    },
  };
}

export function createScryptBatcher(native: PowNative, kernel: ScryptKernelName = "auto"): ScryptBatcher {
  const k = SCRYPT_KERNEL[kernel];
  const laneGroup = native.symbols.ph_scrypt_kernel_lanes(k);
  if (laneGroup < 1) throw new RangeError(`createScryptBatcher: ${scryptErrorMessage(laneGroup, 0, k)} (${kernel})`);
  const batch = native.symbols.ph_scrypt_batch;
  return {
    implementation: `${native.description} kernel=${kernel}`,
    laneGroup,
    hashBatchInto(input, inputLength, count, out, n) {
      if (input.length < inputLength * count || out.length < 32 * count) {
        throw new RangeError(
          `scrypt batch: expected ${inputLength * count} input and ${32 * count} output bytes, got ${input.length} and ${out.length}`,
        );
      }
      const rc = batch(input, inputLength, count, out, n, k);
      if (rc !== PH_OK) throw new RangeError(`scrypt batch: ${scryptErrorMessage(rc, n, k)}`);
    },
  };
}

/** scrypt (fixed N) or scrypt-N (N from nTime through `schedule`) on the calling thread. */
export function createScryptHasher(
  native: PowNative,
  pow: "scrypt" | "scryptn",
  schedule?: ScryptNSchedule,
  kernel: ScryptKernelName = "auto",
): Hasher {
  if (pow === "scryptn" && !schedule) throw new TypeError("createScryptHasher: scryptn needs a ScryptNSchedule");
  const batcher = createScryptBatcher(native, kernel);
  const out = new Uint8Array(32);
  return {
    pow,
    implementation: batcher.implementation,
    slow: true,
    hashInto(header, out32, ntime) {
      checkInput(pow, header);
      checkOut(pow, out32);
      const n = schedule ? scryptNForTime(ntime ?? headerNtime(header), schedule) : SCRYPT_N_LITECOIN;
      if (out32.length === 32) {
        batcher.hashBatchInto(header, header.length, 1, out32, n);
      } else {
        batcher.hashBatchInto(header, header.length, 1, out, n);
        out32.set(out);
      }
    },
  };
}

/** The fastest sha256d here: SHA extensions through FFI if the gcc library has them, else Bun.SHA256. */
export function createFastestSha256dHasher(native: PowNative): Hasher {
  return native.kind === "ffi" && (native.features & CPU_FEATURE.shaNi) !== 0
    ? createNativeSha256dHasher(native)
    : createSha256dHasher();
}

/** The hasher for an algorithm's PoW function (the fastest correct one available). */
export function createHasher(algorithm: AlgorithmInfo, native: PowNative): Hasher {
  switch (algorithm.pow) {
    case "sha256d":
      return createFastestSha256dHasher(native);
    case "x11":
      return createX11Hasher(native);
    case "scrypt":
      return createScryptHasher(native, "scrypt");
    case "scryptn":
      return createScryptHasher(native, "scryptn", algorithm.scryptN);
  }
}

/** The scrypt N one hash of `algorithm` needs: 1024, from nTime for scrypt-N, 0 for the others. */
export function scryptNFor(algorithm: AlgorithmInfo, header: Uint8Array, ntime?: number): number {
  if (algorithm.pow === "scrypt") return SCRYPT_N_LITECOIN;
  if (algorithm.pow !== "scryptn") return 0;
  if (!algorithm.scryptN) throw new TypeError(`scryptNFor: ${algorithm.name} has no scryptN schedule`);
  return scryptNForTime(ntime ?? headerNtime(header), algorithm.scryptN);
}
