/**
 * @module Proof-of-work hashing for share validation: the public surface of shared/pow.
 *
 * Typical start-up (edge):
 *
 *   const pow = await startPow({ algorithms: [config.algo] });   // self-tests, refuses on mismatch
 *   // fast algorithms, inline on the stratum thread:
 *   pow.hasher("x11").hashInto(header80, out32);
 *   // any algorithm; scrypt and scrypt-N go to the worker pool and are batched into SIMD lanes:
 *   const hash = await pow.hash("scrypt", header80);             // may reject PowBusyError
 *   // a share's header (and sha256d + target flags) from its job in one call (share-kernel.ts):
 *   pow.shareKernel.run(packShareWork(job), version, ntime, nonce, true);
 *   await pow.close();
 *
 * Hashes are 32 bytes in internal order (compare as a little-endian 256-bit integer).
 */
import type { AlgorithmInfo } from "./algorithms.ts";
import type { Hasher } from "./hashers.ts";
import { loadPowNative, type LoadPowNativeOptions, type PowNative } from "./native.ts";
import { createPowPool, type PowPool } from "./pool.ts";
import { createPowRegistry, type PowRegistry } from "./registry.ts";
import { selfTest, type SelfTestReport } from "./self-test.ts";
import { createShareKernel, type ShareKernel } from "./share-kernel.ts";

export {
  BUILTIN_ALGORITHMS,
  DIFF1_SCRYPT,
  DIFF1_SHA256D,
  POW_FUNCTIONS,
  VERTCOIN_SCRYPTN,
  type AlgorithmInfo,
  type PowFunction,
  type ScryptNSchedule,
} from "./algorithms.ts";
export {
  createFastestSha256dHasher,
  createHasher,
  createNativeSha256dHasher,
  createScryptBatcher,
  createScryptHasher,
  createSha256dHasher,
  createX11Hasher,
  scryptNFor,
  SCRYPT_N_LITECOIN,
  type Hasher,
  type ScryptBatcher,
} from "./hashers.ts";
export {
  CPU_FEATURE,
  loadPowNative,
  PowLibraryError,
  SCRYPT_KERNEL,
  type LoadPowNativeOptions,
  type PowNative,
  type ScryptKernelName,
} from "./native.ts";
export {
  createPowPool,
  PowBusyError,
  PowPoolClosedError,
  PowWorkerError,
  type PowPool,
  type PowPoolOptions,
  type PowPoolStats,
} from "./pool.ts";
export { createPowRegistry, resolveAlgorithm, type PowAlgorithm, type PowRegistry } from "./registry.ts";
export { headerNtime, scryptNfactor, scryptNForTime } from "./scrypt-n.ts";
export {
  compareKernels,
  createJsShareKernel,
  createNativeShareKernel,
  createShareKernel,
  MAX_SLOT_BYTES,
  packShareWork,
  SHARE_FLAG,
  targetFlags,
  type ShareKernel,
  type ShareWork,
  type ShareWorkInput,
} from "./share-kernel.ts";
export {
  formatSelfTestFailures,
  runSelfTest,
  selfTest,
  SelfTestError,
  type SelfTestCheck,
  type SelfTestOptions,
  type SelfTestReport,
} from "./self-test.ts";

export interface StartPowOptions extends Omit<LoadPowNativeOptions, "warn"> {
  /** Configured algorithms: names (looked up in `table`) or descriptors. */
  readonly algorithms: readonly (string | AlgorithmInfo)[];
  readonly table?: Readonly<Record<string, AlgorithmInfo>>;
  /** Pool size; default one worker per core. The pool starts only if an algorithm is slow. */
  readonly workers?: number;
  readonly maxQueue?: number;
  readonly maxBatch?: number;
  readonly warn?: (message: string) => void;
}

export interface PowRuntime {
  readonly native: PowNative;
  readonly registry: PowRegistry;
  /** Present when a configured algorithm is slow (scrypt family). */
  readonly pool: PowPool | undefined;
  /** The main thread's passing self-test report (workers run their own). */
  readonly selfTestReport: SelfTestReport;
  /** Header (and sha256d) of a share in one call: native with SHA extensions, else Bun.SHA256. */
  readonly shareKernel: ShareKernel;
  /** Inline hasher (synchronous; for slow algorithms it blocks the thread). */
  hasher(name: string): Hasher;
  /** PoW hash: inline for fast algorithms, through the pool for slow ones (may reject PowBusyError). */
  hash(name: string, header: Uint8Array, ntime?: number): Promise<Uint8Array>;
  /** Block id (internal order): PoW hash with pow_block_hash, else sha256d. See PowRegistry. */
  blockHash(name: string, header: Uint8Array, powBlockHash?: boolean, powHash?: Uint8Array): Uint8Array;
  close(): Promise<void>;
}

/**
 * Load the library, bind the algorithms, self-test them on this thread, and start the worker
 * pool (each worker self-tests too). Rejects with SelfTestError or PowLibraryError: the caller
 * must not start serving.
 */
export async function startPow(options: StartPowOptions): Promise<PowRuntime> {
  const native = loadPowNative(options);
  const registry = createPowRegistry(options.algorithms, native, options.table);
  const infos = registry.names.map((n) => registry.get(n).info);
  const selfTestReport = selfTest(infos, native);
  const shareKernel = createShareKernel(native); // cross-checked against Bun.SHA256; throws on a difference
  const slow = infos.filter((info) => registry.get(info.name).hasher.slow);
  let pool: PowPool | undefined;
  if (slow.length > 0) {
    pool = createPowPool({
      algorithms: slow,
      workers: options.workers,
      maxQueue: options.maxQueue,
      maxBatch: options.maxBatch,
      libraryPath: native.kind === "ffi" ? native.source : undefined,
      forceTinyCC: native.kind === "tinycc",
      featureMask: options.featureMask,
    });
    try {
      await pool.ready;
    } catch (error) {
      await pool.close();
      throw error;
    }
  }
  return {
    native,
    registry,
    pool,
    selfTestReport,
    shareKernel,
    hasher: (name) => registry.get(name).hasher,
    hash(name, header, ntime) {
      const algo = registry.get(name);
      if (algo.hasher.slow && pool) return pool.hash(name, header, ntime);
      try {
        const out = new Uint8Array(32);
        algo.hasher.hashInto(header, out, ntime);
        return Promise.resolve(out);
      } catch (error) {
        return Promise.reject(error);
      }
    },
    blockHash: (name, header, powBlockHash, powHash) => registry.blockHash(name, header, powBlockHash, powHash),
    close: async () => {
      await pool?.close();
    },
  };
}
