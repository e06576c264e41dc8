/**
 * @module The share kernel: a share's 80-byte header from its job and extranonces and, for sha256d
 * coins, its PoW hash and target flags, in one call writing into buffers the kernel owns. The
 * edge's share checker calls it once per submit, so it allocates nothing per call.
 *
 *   native  `ph_share_run` (native/src/share.c) through FFI: one crossing a share instead of ~28
 *           Bun.SHA256 calls, and the coinbase blocks before the extranonce slot hashed once per
 *           job. Used when the gcc library has the SHA extensions.
 *   js      the same steps on Bun.SHA256 with shared/bitcoin's merkle and header helpers. Without
 *           SHA extensions this beats our portable C and TinyCC, and it is the reference the native
 *           kernel is checked against when it is created (and in share-kernel.test.ts).
 *
 * The job buffer (`packShareWork`) and io layouts are native/src/share.c's: keep them in step.
 * Integers are little-endian u32. Buffers are `new Uint8Array(new ArrayBuffer(n))` and passed
 * to FFI as typed arrays on every call (shared/spec/hashing.md §3: never cache `ptr()`).
 */
import { coinbaseMerkleRootInto, hashBelowTarget, hashMeetsTarget, sha256dInto, writeHeaderInto } from "../bitcoin/index.ts";
import { CPU_FEATURE, PH_EINVAL, PowLibraryError, type PowNative } from "./native.ts";

/** Bits of `ShareKernel.run`'s result (PH_SHARE_* in native/src/share.c). */
export const SHARE_FLAG = {
  /** hash < share target: the share passes (strict, as PowerPool). */
  passes: 1,
  /** hash ≤ network target: a block (Core's CheckProofOfWork). */
  network: 2,
  /** hash ≤ at least one aux target; the caller finds which (rare). */
  aux: 4,
} as const;

// Job buffer offsets (native/src/share.c).
const SJ_MAGIC = 0x4a534850; // "PHSJ"
const SJ_TOTAL = 4;
const SJ_CB_OFF = 8;
const SJ_CB_LEN = 12;
const SJ_SLOT = 16;
const SJ_EN1 = 20;
const SJ_EN2 = 24;
const SJ_BRANCH_OFF = 28;
const SJ_BRANCH_N = 32;
const SJ_AUX_OFF = 36;
const SJ_AUX_N = 40;
const SJ_BITS = 44;
const SJ_PREVHASH = 88;
const SJ_NETWORK = 120;
const SJ_FIXED = 152;

// Io buffer offsets (native/src/share.c).
const IO_TARGET = 0;
const IO_VERSION = 32;
const IO_NTIME = 36;
const IO_NONCE = 40;
const IO_MODE = 44;
const IO_SLOT = 48;
const IO_HEADER = 80;
const IO_HASH = 160;
const IO_BYTES = 256;
/** extranonce1 + extranonce2 bytes the io slot holds (the contract allows 16 + 16). */
export const MAX_SLOT_BYTES = 32;

export interface ShareWorkInput {
  readonly coinb1: Uint8Array;
  readonly coinb2: Uint8Array;
  readonly extranonce1Size: number;
  readonly extranonce2Size: number;
  /** Merkle branch of the coinbase, internal order, 32 bytes each. */
  readonly branch: readonly Uint8Array[];
  /** Previous block hash as it goes into the header (32 bytes). */
  readonly prevHash: Uint8Array;
  readonly bits: number;
  /** Network target, little-endian 32 bytes. */
  readonly networkTarget: Uint8Array;
  /** Aux chains' targets, little-endian 32 bytes each. */
  readonly auxTargets: readonly Uint8Array[];
}

/** A job packed for the kernel, with views into the packed bytes for the JS kernel and callers. */
export interface ShareWork extends Omit<ShareWorkInput, "coinb1" | "coinb2"> {
  readonly packed: Uint8Array;
  /** coinb1 ‖ extranonce slot ‖ coinb2; `run` writes the slot. */
  readonly coinbase: Uint8Array;
  readonly slotOffset: number;
}

function check32(where: string, b: Uint8Array): void {
  if (!(b instanceof Uint8Array) || b.length !== 32) throw new RangeError(`packShareWork: expected ${where} of 32 bytes, got ${b?.length}`);
}

/** Packs a job's fixed parts once (per job, not per share). Throws RangeError on bad sizes. */
export function packShareWork(w: ShareWorkInput): ShareWork {
  check32("prevHash", w.prevHash);
  check32("networkTarget", w.networkTarget);
  w.branch.forEach((b, i) => check32(`branch ${i}`, b));
  w.auxTargets.forEach((t, i) => check32(`aux target ${i}`, t));
  const slot = w.extranonce1Size + w.extranonce2Size;
  if (!Number.isInteger(w.extranonce1Size) || !Number.isInteger(w.extranonce2Size) || w.extranonce1Size < 0 || w.extranonce2Size < 0 || slot > MAX_SLOT_BYTES) {
    throw new RangeError(`packShareWork: expected extranonce1 + extranonce2 sizes of at most ${MAX_SLOT_BYTES} bytes, got ${w.extranonce1Size} + ${w.extranonce2Size}`);
  }
  const auxOff = SJ_FIXED;
  const branchOff = auxOff + 32 * w.auxTargets.length;
  const cbOff = branchOff + 32 * w.branch.length;
  const cbLen = w.coinb1.length + slot + w.coinb2.length;
  const total = cbOff + cbLen;
  const packed = new Uint8Array(new ArrayBuffer(total));
  const v = new DataView(packed.buffer);
  v.setUint32(0, SJ_MAGIC, true);
  v.setUint32(SJ_TOTAL, total, true);
  v.setUint32(SJ_CB_OFF, cbOff, true);
  v.setUint32(SJ_CB_LEN, cbLen, true);
  v.setUint32(SJ_SLOT, w.coinb1.length, true);
  v.setUint32(SJ_EN1, w.extranonce1Size, true);
  v.setUint32(SJ_EN2, w.extranonce2Size, true);
  v.setUint32(SJ_BRANCH_OFF, branchOff, true);
  v.setUint32(SJ_BRANCH_N, w.branch.length, true);
  v.setUint32(SJ_AUX_OFF, auxOff, true);
  v.setUint32(SJ_AUX_N, w.auxTargets.length, true);
  v.setUint32(SJ_BITS, w.bits >>> 0, true);
  // Midstate fields (48..88) stay zero: "not computed"; ph_share_run fills them at the first share.
  packed.set(w.prevHash, SJ_PREVHASH);
  packed.set(w.networkTarget, SJ_NETWORK);
  w.auxTargets.forEach((t, i) => packed.set(t, auxOff + 32 * i));
  w.branch.forEach((b, i) => packed.set(b, branchOff + 32 * i));
  packed.set(w.coinb1, cbOff);
  packed.set(w.coinb2, cbOff + w.coinb1.length + slot);
  return {
    packed,
    coinbase: packed.subarray(cbOff, total),
    slotOffset: w.coinb1.length,
    extranonce1Size: w.extranonce1Size,
    extranonce2Size: w.extranonce2Size,
    branch: w.branch.map((_, i) => packed.subarray(branchOff + 32 * i, branchOff + 32 * i + 32)),
    prevHash: packed.subarray(SJ_PREVHASH, SJ_PREVHASH + 32),
    bits: w.bits >>> 0,
    networkTarget: packed.subarray(SJ_NETWORK, SJ_NETWORK + 32),
    auxTargets: w.auxTargets.map((_, i) => packed.subarray(auxOff + 32 * i, auxOff + 32 * i + 32)),
  };
}

/** The flags `run` returns, for a hash computed elsewhere (other PoW functions, worker threads). */
export function targetFlags(hash: Uint8Array, shareTargetLE: Uint8Array, work: ShareWork): number {
  let flags = hashBelowTarget(hash, shareTargetLE) ? SHARE_FLAG.passes : 0;
  if (hashMeetsTarget(hash, work.networkTarget)) flags |= SHARE_FLAG.network;
  for (let i = 0; i < work.auxTargets.length; i++) {
    if (hashMeetsTarget(hash, work.auxTargets[i]!)) {
      flags |= SHARE_FLAG.aux;
      break;
    }
  }
  return flags;
}

export interface ShareKernel {
  readonly kind: "native" | "js";
  /** e.g. "ffi:/…/libpowhash.so [… sha-ni]" or "Bun.SHA256". */
  readonly implementation: string;
  /** extranonce1 ‖ extranonce2 of the next share: the caller writes them here before `run`. */
  readonly slot: Uint8Array;
  /** The header the last `run` built (80 bytes, overwritten by the next). */
  readonly header: Uint8Array;
  /** The sha256d of that header when `run` was asked to hash (32 bytes, internal order). */
  readonly hash: Uint8Array;
  /** Share target (little-endian 32 bytes) for the next runs; copied only when it changes. */
  setShareTarget(targetLE: Uint8Array): void;
  /**
   * Writes the slot into `work`'s coinbase, hashes it, folds the branch and builds the header with
   * these version (rolled bits included), ntime and nonce. With `pow`, also sha256d(header) and the
   * SHARE_FLAG bits it meets; without, returns 0 (the caller hashes the header its own way).
   */
  run(work: ShareWork, version: number, ntime: number, nonce: number, pow: boolean): number;
}

abstract class KernelBase {
  protected readonly io = new Uint8Array(new ArrayBuffer(IO_BYTES));
  protected readonly view = new DataView(this.io.buffer);
  readonly slot = this.io.subarray(IO_SLOT, IO_SLOT + MAX_SLOT_BYTES);
  readonly header = this.io.subarray(IO_HEADER, IO_HEADER + 80);
  readonly hash = this.io.subarray(IO_HASH, IO_HASH + 32);
  protected readonly target = this.io.subarray(IO_TARGET, IO_TARGET + 32);
  private lastTarget: Uint8Array | undefined;

  setShareTarget(targetLE: Uint8Array): void {
    // Share targets are cached per job and difficulty, so the same array comes back share after share.
    if (targetLE === this.lastTarget) return;
    if (targetLE.length !== 32) throw new RangeError(`setShareTarget: expected 32 bytes, got ${targetLE.length}`);
    this.target.set(targetLE);
    this.lastTarget = targetLE;
  }
}

class JsShareKernel extends KernelBase implements ShareKernel {
  readonly kind = "js";
  readonly implementation = "Bun.SHA256";
  private readonly root = new Uint8Array(32);

  run(work: ShareWork, version: number, ntime: number, nonce: number, pow: boolean): number {
    const cb = work.coinbase;
    const at = work.slotOffset;
    const slot = this.slot;
    for (let i = 0, n = work.extranonce1Size + work.extranonce2Size; i < n; i++) cb[at + i] = slot[i]!;
    coinbaseMerkleRootInto(cb, work.branch, this.root);
    writeHeaderInto(this.header, version >>> 0, work.prevHash, this.root, ntime >>> 0, work.bits, nonce >>> 0);
    if (!pow) return 0;
    sha256dInto(this.header, this.hash);
    return targetFlags(this.hash, this.target, work);
  }
}

class NativeShareKernel extends KernelBase implements ShareKernel {
  readonly kind = "native";
  readonly implementation: string;
  private readonly fn: PowNative["symbols"]["ph_share_run"];

  constructor(native: PowNative) {
    super();
    this.fn = native.symbols.ph_share_run;
    this.implementation = native.description;
  }

  run(work: ShareWork, version: number, ntime: number, nonce: number, pow: boolean): number {
    const v = this.view;
    v.setUint32(IO_VERSION, version >>> 0, true);
    v.setUint32(IO_NTIME, ntime >>> 0, true);
    v.setUint32(IO_NONCE, nonce >>> 0, true);
    v.setUint32(IO_MODE, pow ? 1 : 0, true);
    const flags = this.fn(work.packed, work.packed.length, this.io, IO_BYTES);
    if (flags < 0) throw new RangeError(`ph_share_run: expected a packed share job (packShareWork), got code ${flags === PH_EINVAL ? "EINVAL" : flags}`);
    return flags;
  }
}

/** The JS kernel (Bun.SHA256). */
export function createJsShareKernel(): ShareKernel {
  return new JsShareKernel();
}

/** The native kernel over `native` (any build: gcc or TinyCC), without the start-up cross-check. */
export function createNativeShareKernel(native: PowNative): ShareKernel {
  return new NativeShareKernel(native);
}

/**
 * The fastest correct kernel here: native when the gcc library has SHA extensions (checked against
 * the JS kernel on fixed inputs first; PowLibraryError on any difference, so a broken build never
 * validates shares), else JS.
 */
export function createShareKernel(native?: PowNative): ShareKernel {
  if (!native || native.kind !== "ffi" || (native.features & CPU_FEATURE.shaNi) === 0) return createJsShareKernel();
  const kernel = createNativeShareKernel(native);
  const mismatch = compareKernels(kernel, createJsShareKernel());
  if (mismatch) throw new PowLibraryError(`share kernel ${kernel.implementation} disagrees with Bun.SHA256: ${mismatch}`);
  return kernel;
}

/** Deterministic bytes (xorshift32), so the start-up check needs no randomness. */
function fill(out: Uint8Array, seed: number): Uint8Array {
  let x = seed >>> 0 || 1;
  for (let i = 0; i < out.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/**
 * Runs both kernels on fixed jobs (branch lengths 0, 1, 12 and 32; coinb1 ending before, at and
 * after a block boundary; version rolling; targets at the hash) and describes the first
 * difference, or returns undefined.
 */
export function compareKernels(a: ShareKernel, b: ShareKernel): string | undefined {
  const cases = [
    { branch: 0, coinb1: 41, en1: 4, en2: 4 },
    { branch: 1, coinb1: 64, en1: 8, en2: 8 },
    { branch: 12, coinb1: 130, en1: 4, en2: 8 },
    { branch: 32, coinb1: 7, en1: 16, en2: 16 },
  ];
  for (const [n, c] of cases.entries()) {
    const hashOf = (k: ShareKernel, work: ShareWork) => (k.run(work, 0x20000000 | (n << 13), 0x5c3a8f10 + n, 0xb2957c02 ^ n, true), k.hash.slice());
    const input = (network: Uint8Array): ShareWorkInput => ({
      coinb1: fill(new Uint8Array(c.coinb1), 11 + n),
      coinb2: fill(new Uint8Array(90 + n), 23 + n),
      extranonce1Size: c.en1,
      extranonce2Size: c.en2,
      branch: Array.from({ length: c.branch }, (_, i) => fill(new Uint8Array(32), 100 * n + i + 1)),
      prevHash: fill(new Uint8Array(32), 7 + n),
      bits: 0x17034219 + n,
      networkTarget: network,
      auxTargets: [new Uint8Array(32), network],
    });
    const slot = fill(new Uint8Array(c.en1 + c.en2), 31 + n);
    a.slot.set(slot);
    b.slot.set(slot);
    // The hash itself as share, network and aux target: "<" fails and "≤" passes exactly at it.
    const hash = hashOf(b, packShareWork(input(new Uint8Array(32))));
    a.setShareTarget(hash);
    b.setShareTarget(hash);
    const flagsA = a.run(packShareWork(input(hash)), 0x20000000 | (n << 13), 0x5c3a8f10 + n, 0xb2957c02 ^ n, true);
    const flagsB = b.run(packShareWork(input(hash)), 0x20000000 | (n << 13), 0x5c3a8f10 + n, 0xb2957c02 ^ n, true);
    const hex = (x: Uint8Array) => Buffer.from(x).toString("hex");
    if (hex(a.header) !== hex(b.header)) return `case ${n} header: expected ${hex(b.header)}, got ${hex(a.header)}`;
    if (hex(a.hash) !== hex(b.hash)) return `case ${n} hash: expected ${hex(b.hash)}, got ${hex(a.hash)}`;
    if (flagsA !== flagsB) return `case ${n} flags: expected ${flagsB}, got ${flagsA}`;
  }
  return undefined;
}
