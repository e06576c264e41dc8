/**
 * @module Loads the PoW hash library: native/build/libpowhash.so through `dlopen`, or, when it
 * is missing, the same portable C compiled in-process by Bun's TinyCC (with a warning).
 *
 * FFI rule (shared/spec/hashing.md §3): buffer arguments are declared "buffer" and callers pass
 * the typed array itself on every call. Never cache `ptr()` of a small typed array: JSC moves
 * the storage of "fast" typed arrays and the cached address dangles.
 */
import { dlopen, type FFIFunction, type Library } from "bun:ffi";
import { existsSync } from "node:fs";

import { DEFAULT_LIBRARY_PATH } from "./paths.ts";
import { compileWithTinyCC } from "./tinycc.ts";

/** Must equal PH_ABI_VERSION in native/src/powhash.h. */
export const POWHASH_ABI_VERSION = 4;

/** Feature bits of ph_cpu_features()/ph_init() (native/src/powhash.h). */
export const CPU_FEATURE = { sse2: 0x01, avx2: 0x02, avx512: 0x04, shaNi: 0x08, aes: 0x10 } as const;
export const ALL_CPU_FEATURES = 0xffffffff;

/** scrypt ROMix kernels of ph_scrypt_batch(); `auto` is the widest the CPU supports. */
export const SCRYPT_KERNEL = { auto: 0, scalar: 1, sse2: 2, avx2: 3, avx512: 4 } as const;
export type ScryptKernelName = keyof typeof SCRYPT_KERNEL;

/** Return codes of the ph_scrypt* entry points. */
export const PH_OK = 0;
export const PH_EINVAL = -1;
export const PH_EKERNEL = -2;
export const PH_ENOMEM = -3;

/** Symbols both the gcc library and the TinyCC fallback provide. */
const CORE_SYMBOLS = {
  ph_abi_version: { args: [], returns: "u32" },
  ph_init: { args: ["u32"], returns: "u32" },
  ph_cpu_features: { args: [], returns: "u32" },
  ph_scrypt_kernel_lanes: { args: ["u32"], returns: "i32" },
  ph_x11: { args: ["buffer", "u32", "buffer"], returns: "void" },
  ph_scrypt_batch: { args: ["buffer", "u32", "u32", "buffer", "u32", "u32"], returns: "i32" },
  ph_release_scratch: { args: [], returns: "void" },
  ph_sha256d: { args: ["buffer", "u32", "buffer"], returns: "void" },
  ph_share_run: { args: ["buffer", "u32", "buffer", "u32"], returns: "i32" },
} as const satisfies Record<string, FFIFunction>;

/** Third-party references compiled into the gcc library only (benchmark and cross-checks). */
const REFERENCE_SYMBOLS = {
  ph_ref_sha256d_sph: { args: ["buffer", "u32", "buffer"], returns: "void" },
  ph_ref_scrypt_mh: { args: ["buffer", "u32", "buffer", "u32"], returns: "i32" },
} as const satisfies Record<string, FFIFunction>;

export type PowNativeSymbols = Library<typeof CORE_SYMBOLS>["symbols"];
export type PowReferenceSymbols = Library<typeof REFERENCE_SYMBOLS>["symbols"];

export type PowLibraryKind = "ffi" | "tinycc";

export interface PowNative {
  readonly kind: PowLibraryKind;
  /** The .so path, or "tinycc" for the in-process fallback build. */
  readonly source: string;
  /** CPU features in use (detected & mask), PH_F_* bits. */
  readonly features: number;
  /** e.g. "ffi:/…/libpowhash.so [avx512 avx2 sse2 sha-ni]" */
  readonly description: string;
  readonly symbols: PowNativeSymbols;
}

export interface LoadPowNativeOptions {
  /** Library to dlopen. Default: $POWHASH_LIBRARY, else native/build/libpowhash.so. */
  readonly libraryPath?: string;
  /** What to do when the library cannot be loaded. Default "tinycc". */
  readonly fallback?: "tinycc" | "none";
  /** Skip dlopen and build with TinyCC (tests, benchmark). */
  readonly forceTinyCC?: boolean;
  /** AND-ed with the detected CPU features (CPU_FEATURE bits). Process-wide per library file. */
  readonly featureMask?: number;
  /** Receives the fallback warning. Default console.warn. */
  readonly warn?: (message: string) => void;
}

/** The library could not be loaded, or is not the version this code expects. */
export class PowLibraryError extends Error {
  readonly code = "POW_LIBRARY";
  override readonly name = "PowLibraryError";
}

const cache = new Map<string, PowNative>();
let tinyccSymbols: PowNativeSymbols | undefined;

export function describeFeatures(features: number): string {
  const names = Object.entries(CPU_FEATURE)
    .filter(([, bit]) => (features & bit) !== 0)
    .map(([name]) => (name === "shaNi" ? "sha-ni" : name));
  return names.length > 0 ? names.join(" ") : "portable";
}

function finish(kind: PowLibraryKind, source: string, symbols: PowNativeSymbols, mask: number): PowNative {
  const abi = symbols.ph_abi_version();
  if (abi !== POWHASH_ABI_VERSION) {
    throw new PowLibraryError(
      `loadPowNative: expected ABI version ${POWHASH_ABI_VERSION} in ${source}, got ${abi}; run \`bun run build:native\``,
    );
  }
  const features = symbols.ph_init(mask >>> 0);
  const description = `${kind === "ffi" ? `ffi:${source}` : "tinycc"} [${describeFeatures(features)}]`;
  return { kind, source, features, description, symbols };
}

function loadTinyCC(mask: number): PowNative {
  tinyccSymbols ??= compileWithTinyCC(CORE_SYMBOLS).symbols;
  return finish("tinycc", "tinycc", tinyccSymbols, mask);
}

/**
 * Load (once per process and path) the hash library. Falls back to TinyCC with a warning when
 * the library file is missing or fails to load, unless `fallback: "none"`.
 */
export function loadPowNative(options: LoadPowNativeOptions = {}): PowNative {
  const mask = options.featureMask ?? ALL_CPU_FEATURES;
  if (options.forceTinyCC) return loadTinyCC(mask);
  const path = options.libraryPath ?? process.env.POWHASH_LIBRARY ?? DEFAULT_LIBRARY_PATH;
  const cached = cache.get(path);
  if (cached) {
    const native = finish("ffi", path, cached.symbols, mask); // re-applies the mask (cheap)
    cache.set(path, native);
    return native;
  }

  let reason: string;
  if (existsSync(path)) {
    try {
      const native = finish("ffi", path, dlopen(path, CORE_SYMBOLS).symbols, mask);
      cache.set(path, native);
      return native;
    } catch (error) {
      if (error instanceof PowLibraryError) throw error;
      reason = `cannot load ${path}: ${error instanceof Error ? error.message : String(error)}`;
    }
  } else {
    reason = `${path} does not exist (no C compiler at install time?)`;
  }
  if (options.fallback === "none") throw new PowLibraryError(`loadPowNative: ${reason}`);
  (options.warn ?? console.warn)(
    `powhash: ${reason}. Falling back to Bun's TinyCC build of the same C: X11 about 5x and scrypt ` +
      `about 40x slower (no SIMD lanes). Install a compiler (apt-get install -y gcc) and run \`bun run build:native\`.`,
  );
  return loadTinyCC(mask);
}

/** The third-party reference functions; only the gcc-built library has them. */
export function loadPowReferences(libraryPath: string = DEFAULT_LIBRARY_PATH): PowReferenceSymbols {
  return dlopen(libraryPath, REFERENCE_SYMBOLS).symbols;
}

/** Human-readable message for a ph_scrypt* return code. */
export function scryptErrorMessage(code: number, n: number, kernel: number): string {
  switch (code) {
    case PH_EINVAL:
      return `expected N a power of two in [2, 2^22], got ${n}`;
    case PH_EKERNEL:
      return `kernel ${kernel} is not available on this CPU or build`;
    case PH_ENOMEM:
      return `out of memory for the scratchpad (N = ${n})`;
    default:
      return `unexpected return code ${code}`;
  }
}
