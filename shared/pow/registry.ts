/**
 * @module The algorithm registry, like PowerPool's manager `algorithms` config: each name maps to
 * its static numbers (diff1, hashesPerShare, scrypt-N schedule; algorithms.ts) and to the hasher
 * that computes its PoW, plus the block id rule (`pow_block_hash`).
 */
import { BUILTIN_ALGORITHMS, type AlgorithmInfo } from "./algorithms.ts";
import { createFastestSha256dHasher, createHasher, type Hasher } from "./hashers.ts";
import type { PowNative } from "./native.ts";

export interface PowAlgorithm {
  readonly info: AlgorithmInfo;
  readonly hasher: Hasher;
}

export interface PowRegistry {
  readonly native: PowNative;
  /** Configured names, in configuration order. */
  readonly names: readonly string[];
  has(name: string): boolean;
  /** Throws RangeError for a name that is not configured. */
  get(name: string): PowAlgorithm;
  /**
   * The block id of `header` (internal order). With `powBlockHash` (default: the algorithm's
   * `powBlockHash`, else false) it is the PoW hash (pass `powHash` if already computed),
   * otherwise sha256d(header). PowerPool's `pow_block_hash`.
   */
  blockHash(name: string, header: Uint8Array, powBlockHash?: boolean, powHash?: Uint8Array): Uint8Array;
}

/** Look a name up in `table` (default: the built-in algorithms); RangeError if absent. */
export function resolveAlgorithm(
  name: string,
  table: Readonly<Record<string, AlgorithmInfo>> = BUILTIN_ALGORITHMS,
): AlgorithmInfo {
  const info = Object.hasOwn(table, name) ? table[name] : undefined;
  if (!info) {
    throw new RangeError(`pow algorithm: expected one of ${Object.keys(table).join(", ")}, got "${name}"`);
  }
  return info;
}

/**
 * Bind hashers to `algorithms` (names looked up in `table`, or descriptors). Does not self-test:
 * call selfTest() (index.ts startPow() does both).
 */
export function createPowRegistry(
  algorithms: readonly (string | AlgorithmInfo)[],
  native: PowNative,
  table: Readonly<Record<string, AlgorithmInfo>> = BUILTIN_ALGORITHMS,
): PowRegistry {
  const byName = new Map<string, PowAlgorithm>();
  for (const entry of algorithms) {
    const info = typeof entry === "string" ? resolveAlgorithm(entry, table) : entry;
    if (info.name.includes("_")) throw new RangeError(`pow algorithm: names must not contain "_", got "${info.name}"`);
    byName.set(info.name, { info, hasher: createHasher(info, native) });
  }
  const sha256d = createFastestSha256dHasher(native);
  const get = (name: string): PowAlgorithm => {
    const algo = byName.get(name);
    if (!algo) throw new RangeError(`pow registry: expected one of ${[...byName.keys()].join(", ")}, got "${name}"`);
    return algo;
  };
  return {
    native,
    names: [...byName.keys()],
    has: (name) => byName.has(name),
    get,
    blockHash(name, header, powBlockHash, powHash) {
      const algo = get(name);
      const out = new Uint8Array(32);
      if (powBlockHash ?? algo.info.powBlockHash ?? false) {
        if (powHash) out.set(powHash.subarray(0, 32));
        else algo.hasher.hashInto(header, out);
      } else {
        sha256d.hashInto(header, out);
      }
      return out;
    },
  };
}
