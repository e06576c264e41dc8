/**
 * @module The algorithm registry's static part: names and the numbers that go with each
 * proof-of-work algorithm (PowerPool's manager `algorithms` config, spec §3.3 and §12.1).
 * The hash functions themselves are bound to these names by the registry (`shared/pow/registry.ts`).
 *
 * Names never contain `_`: SimpleCoin splits Redis keys such as `min_acc_<algo>_<stamp>` on it.
 */

/** The proof-of-work functions the native library and fallbacks implement. */
export type PowFunction = "sha256d" | "scrypt" | "scryptn" | "x11";

export interface ScryptNSchedule {
  /** Unix time the coin's N schedule starts from (Vertcoin: 1389306217). */
  readonly chainStartTime: number;
  /** GetNfactor clamps: Vertcoin uses 10 and 30. */
  readonly minNfactor: number;
  readonly maxNfactor: number;
}

export interface AlgorithmInfo {
  /** The configured name, as it appears in Redis keys and statsd names. */
  readonly name: string;
  readonly pow: PowFunction;
  /** Share target numerator: target = floor(diff1 / difficulty). */
  readonly diff1: bigint;
  /** Expected hashes per difficulty-1 share, for hashrate: rate = Σdiff × hashes_per_share / seconds. */
  readonly hashesPerShare: number;
  /** Present for scrypt-N only. */
  readonly scryptN?: ScryptNSchedule;
  /**
   * Default of a coin's `pow_block_hash` for this algorithm: true when coins identify blocks by
   * the PoW hash of the header (Dash and the other X11 coins), false (or absent) when the block
   * id is sha256d(header) whatever the PoW (Litecoin, Vertcoin). A coin's own setting wins.
   */
  readonly powBlockHash?: boolean;
}

/** 0xFFFF × 2^208: Bitcoin's difficulty-1 target, also used by X11 (Dash). */
export const DIFF1_SHA256D = 0xffffn << 208n;
/** 0xFFFF × 2^224: the scrypt family's difficulty-1 target (Litecoin, Dogecoin, Vertcoin). */
export const DIFF1_SCRYPT = 0xffffn << 224n;

export const VERTCOIN_SCRYPTN: ScryptNSchedule = { chainStartTime: 1389306217, minNfactor: 10, maxNfactor: 30 };

/** Built-in algorithms; `sha256` is PowerPool's name for sha256d and is kept so old configs load. */
export const BUILTIN_ALGORITHMS: Readonly<Record<string, AlgorithmInfo>> = {
  sha256d: { name: "sha256d", pow: "sha256d", diff1: DIFF1_SHA256D, hashesPerShare: 2 ** 32 },
  sha256: { name: "sha256", pow: "sha256d", diff1: DIFF1_SHA256D, hashesPerShare: 2 ** 32 },
  scrypt: { name: "scrypt", pow: "scrypt", diff1: DIFF1_SCRYPT, hashesPerShare: 2 ** 16 },
  scryptn: { name: "scryptn", pow: "scryptn", diff1: DIFF1_SCRYPT, hashesPerShare: 2 ** 16, scryptN: VERTCOIN_SCRYPTN },
  x11: { name: "x11", pow: "x11", diff1: DIFF1_SHA256D, hashesPerShare: 2 ** 32, powBlockHash: true },
};

export const POW_FUNCTIONS: readonly PowFunction[] = ["sha256d", "scrypt", "scryptn", "x11"];
