/**
 * @module How the share checker hashes a header: a synchronous hasher for fast algorithms (sha256d,
 * X11: microseconds, fine on the event loop) or an asynchronous one for slow algorithms (scrypt,
 * scrypt-N: worker threads, hashing.md §7.5). `powFromRuntime` binds shared/pow's runtime: its
 * fast `Hasher`s are `SyncPow`s as they are, and its slow ones go through the worker pool.
 */
import { sha256dInto } from "../../shared/bitcoin/index.ts";
import type { PowRuntime } from "../../shared/pow/index.ts";

export interface SyncPow {
  /**
   * The PoW function, when known (shared/pow's hashers say). "sha256d" lets the checker hash the
   * header inside the share kernel's one call instead of calling `hashInto`: same bytes, one FFI
   * crossing less.
   */
  readonly pow?: string;
  /** PoW hash of the 80-byte header into out32 (internal order). `ntime` matters only for scrypt-N. */
  hashInto(header: Uint8Array, out32: Uint8Array, ntime?: number): void;
}

export interface AsyncPow {
  /** PoW hash of the header (which the callee may keep or transfer: the caller passes a copy). */
  hashAsync(header: Uint8Array, ntime?: number): Promise<Uint8Array>;
}

export type PowHash = SyncPow | AsyncPow;

/** Algorithm name (the job's `algo`) → its hasher; undefined for an algorithm this edge cannot hash. */
export type PowLookup = (algo: string) => PowHash | undefined;

export function isAsyncPow(pow: PowHash): pow is AsyncPow {
  return typeof (pow as Partial<AsyncPow>).hashAsync === "function";
}

/** True for a synchronous sha256d hasher: the share kernel's own hash gives the same bytes. */
export function isSha256dPow(pow: SyncPow): boolean {
  return pow.pow === "sha256d";
}

/** sha256d with Bun.SHA256 into caller buffers: the fast path, and the default until shared/pow is wired. */
export const sha256dPow: SyncPow = {
  pow: "sha256d",
  hashInto(header, out32) {
    sha256dInto(header, out32);
  },
};

/** A lookup over a fixed table, e.g. `{ sha256d: sha256dPow, sha256: sha256dPow }`. */
export function powTable(table: Readonly<Record<string, PowHash>>): PowLookup {
  return (algo) => (Object.hasOwn(table, algo) ? table[algo] : undefined);
}

/**
 * The edge's lookup over shared/pow's `startPow()` runtime: fast algorithms hash inline, slow ones
 * (scrypt family) through the worker pool; names the runtime was not started with are undefined.
 */
export function powFromRuntime(rt: Pick<PowRuntime, "registry" | "pool" | "hash">): PowLookup {
  const bound = new Map<string, PowHash | undefined>();
  return (algo) => {
    if (bound.has(algo)) return bound.get(algo);
    let pow: PowHash | undefined;
    if (rt.registry.has(algo)) {
      const { hasher } = rt.registry.get(algo);
      pow = hasher.slow && rt.pool ? { hashAsync: (header, ntime) => rt.hash(algo, header, ntime) } : hasher;
    }
    bound.set(algo, pow);
    return pow;
  };
}
