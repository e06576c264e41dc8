/**
 * The share kernel's implementations against each other and against an independent oracle
 * (node:crypto SHA-256, BigInt target comparisons): native on the SHA extensions, native portable
 * C (features masked), TinyCC, and the JS kernel, on random jobs with branches of 0..16 levels,
 * coinb1 lengths around the 64-byte blocks (the native midstate), extranonce sizes 2..16 and
 * version rolling, several shares per packed job.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { describeWith, nativeLibraryRequirement } from "../../test/helpers/skips.ts";

import { ALL_CPU_FEATURES, CPU_FEATURE, loadPowNative } from "./native.ts";
import {
  compareKernels,
  createJsShareKernel,
  createNativeShareKernel,
  createShareKernel,
  packShareWork,
  SHARE_FLAG,
  type ShareKernel,
  type ShareWorkInput,
} from "./share-kernel.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** Seeded xorshift32 so a failure can be replayed. */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
  return {
    int: (lo: number, hi: number) => lo + (next() % (hi - lo + 1)),
    bytes: (n: number) => Uint8Array.from({ length: n }, () => next() & 0xff),
    u32: next,
  };
}

const sha256d = (b: Uint8Array) => createHash("sha256").update(createHash("sha256").update(b).digest()).digest();
const le256 = (b: Uint8Array) => BigInt(`0x${hex(Uint8Array.from(b).reverse())}`);
const u32le = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return b;
};

/** What a share's header, hash and flags must be, computed without any of the code under test. */
function oracle(w: ShareWorkInput, slot: Uint8Array, shareTarget: Uint8Array, version: number, ntime: number, nonce: number) {
  let root = sha256d(Buffer.concat([w.coinb1, slot, w.coinb2]));
  for (const b of w.branch) root = sha256d(Buffer.concat([root, b]));
  const header = Buffer.concat([u32le(version), w.prevHash, root, u32le(ntime), u32le(w.bits), u32le(nonce)]);
  const hash = sha256d(header);
  const h = le256(hash);
  let flags = h < le256(shareTarget) ? SHARE_FLAG.passes : 0;
  if (h <= le256(w.networkTarget)) flags |= SHARE_FLAG.network;
  if (w.auxTargets.some((t) => h <= le256(t))) flags |= SHARE_FLAG.aux;
  return { header: hex(header), hash: hex(hash), flags };
}

/** A target just above, at or just below `hash` (little-endian), or random. */
function targetNear(r: ReturnType<typeof rng>, hash: string): Uint8Array {
  const h = le256(Buffer.from(hash, "hex"));
  const pick = r.int(0, 3);
  const max = (1n << 256n) - 1n;
  const t = pick === 0 ? h : pick === 1 ? (h === max ? h : h + 1n) : pick === 2 ? (h === 0n ? 0n : h - 1n) : le256(r.bytes(32));
  return Uint8Array.from(Buffer.from(t.toString(16).padStart(64, "0"), "hex")).reverse();
}

function randomJob(r: ReturnType<typeof rng>, levels: number): ShareWorkInput {
  // coinb1 lengths around the block boundaries the midstate depends on.
  const coinb1 = [0, 1, 41, 63, 64, 65, 127, 128, 129, 200][r.int(0, 9)]!;
  return {
    coinb1: r.bytes(coinb1),
    coinb2: r.bytes(r.int(0, 180)),
    extranonce1Size: r.int(2, 16),
    extranonce2Size: r.int(2, 16),
    branch: Array.from({ length: levels }, () => r.bytes(32)),
    prevHash: r.bytes(32),
    bits: r.u32(),
    networkTarget: r.bytes(32),
    auxTargets: Array.from({ length: r.int(0, 3) }, () => r.bytes(32)),
  };
}

/** Several shares on each of 17 × 4 random jobs; the oracle decides the expected header, hash and flags. */
function agreesWithOracle(kernel: ShareKernel, seed: number): void {
  const r = rng(seed);
  for (let levels = 0; levels <= 16; levels++) {
    for (let j = 0; j < 4; j++) {
      const input = randomJob(r, levels);
      const work = packShareWork(input);
      for (let s = 0; s < 3; s++) {
        const slot = r.bytes(input.extranonce1Size + input.extranonce2Size);
        // Version rolling: BIP320 bits over a base version.
        const version = (0x20000000 | (r.u32() & 0x1fffe000)) >>> 0;
        const ntime = r.u32();
        const nonce = r.u32();
        const expectedHash = oracle(input, slot, new Uint8Array(32), version, ntime, nonce).hash;
        const target = targetNear(r, expectedHash);
        const want = oracle(input, slot, target, version, ntime, nonce);
        kernel.slot.set(slot);
        kernel.setShareTarget(target);
        const flags = kernel.run(work, version, ntime, nonce, true);
        const where = `${kernel.kind} seed ${seed} levels ${levels} job ${j} share ${s}`;
        expect(`${where} ${hex(kernel.header)}`).toBe(`${where} ${want.header}`);
        expect(`${where} ${hex(kernel.hash)}`).toBe(`${where} ${want.hash}`);
        expect(`${where} ${flags}`).toBe(`${where} ${want.flags}`);
        // Header only: the same header, no flags.
        expect(kernel.run(work, version, ntime, nonce, false)).toBe(0);
        expect(hex(kernel.header)).toBe(want.header);
      }
    }
  }
}

describe("JS kernel (Bun.SHA256)", () => {
  test("agrees with the node:crypto oracle on random jobs, branch lengths 0..16, version rolling", () => {
    agreesWithOracle(createJsShareKernel(), 1);
  });
});

describeWith(nativeLibraryRequirement(), "native kernel (gcc library)", () => {
  afterAll(() => {
    loadPowNative({ fallback: "none", featureMask: ALL_CPU_FEATURES }); // undo the portable-only run
  });

  test("with every CPU feature (SHA extensions where present) agrees with the oracle", () => {
    agreesWithOracle(createNativeShareKernel(loadPowNative({ fallback: "none", featureMask: ALL_CPU_FEATURES })), 2);
  });

  test("portable C (SHA extensions masked off) agrees with the oracle", () => {
    agreesWithOracle(createNativeShareKernel(loadPowNative({ fallback: "none", featureMask: CPU_FEATURE.sse2 })), 3);
    loadPowNative({ fallback: "none", featureMask: ALL_CPU_FEATURES });
  });

  test("native and JS kernels agree share for share on the same jobs", () => {
    const native = createNativeShareKernel(loadPowNative({ fallback: "none" }));
    const js = createJsShareKernel();
    const r = rng(4);
    for (let i = 0; i < 300; i++) {
      const input = randomJob(r, r.int(0, 16));
      // One packed job per kernel: the slot is written into it, and the native side keeps a midstate there.
      const [a, b] = [packShareWork(input), packShareWork(input)];
      for (let s = 0; s < 2; s++) {
        const slot = r.bytes(input.extranonce1Size + input.extranonce2Size);
        const target = r.bytes(32);
        const [version, ntime, nonce] = [r.u32(), r.u32(), r.u32()];
        for (const k of [native, js]) {
          k.slot.set(slot);
          k.setShareTarget(target);
        }
        const fa = native.run(a, version, ntime, nonce, true);
        const fb = js.run(b, version, ntime, nonce, true);
        expect([hex(native.header), hex(native.hash), fa]).toEqual([hex(js.header), hex(js.hash), fb]);
      }
    }
    expect(compareKernels(native, js)).toBeUndefined();
  });

  test("createShareKernel picks the native kernel only with SHA extensions, after its cross-check", () => {
    const full = loadPowNative({ fallback: "none" });
    expect(createShareKernel(full).kind).toBe((full.features & CPU_FEATURE.shaNi) !== 0 ? "native" : "js");
    expect(createShareKernel(loadPowNative({ fallback: "none", featureMask: CPU_FEATURE.sse2 })).kind).toBe("js");
    loadPowNative({ fallback: "none", featureMask: ALL_CPU_FEATURES });
    expect(createShareKernel(undefined).kind).toBe("js");
    expect(createShareKernel(loadPowNative({ forceTinyCC: true })).kind).toBe("js");
  });

  test("a buffer that is not a packed job is refused, not read", () => {
    const k = createNativeShareKernel(loadPowNative({ fallback: "none" }));
    const work = packShareWork(randomJob(rng(5), 3));
    const bad = { ...work, packed: work.packed.slice() };
    bad.packed[0] = bad.packed[0]! ^ 1; // magic
    expect(() => k.run(bad, 1, 2, 3, true)).toThrow(RangeError);
    const short = { ...work, packed: work.packed.subarray(0, work.packed.length - 1) }; // length disagrees with the header
    expect(() => k.run(short, 1, 2, 3, true)).toThrow(/EINVAL/);
  });

  test("the start-up cross-check names the first difference", () => {
    const js = createJsShareKernel();
    const broken: ShareKernel = {
      ...js,
      kind: "native",
      implementation: "broken",
      slot: js.slot,
      header: js.header,
      hash: js.hash,
      setShareTarget: (t) => js.setShareTarget(t),
      run: (w, v, t, n, pow) => js.run(w, v ^ 1, t, n, pow),
    };
    expect(compareKernels(broken, createJsShareKernel())).toMatch(/^case 0 header: expected [0-9a-f]{160}, got [0-9a-f]{160}$/);
  });
});

describe("TinyCC build of the same C", () => {
  test("agrees with the oracle", () => {
    agreesWithOracle(createNativeShareKernel(loadPowNative({ forceTinyCC: true })), 6);
  });
});

describe("packShareWork", () => {
  test("refuses sizes the kernel's buffers cannot hold, naming what was expected", () => {
    const input = randomJob(rng(7), 1);
    expect(() => packShareWork({ ...input, extranonce1Size: 16, extranonce2Size: 17 })).toThrow(/at most 32 bytes, got 16 \+ 17/);
    expect(() => packShareWork({ ...input, prevHash: new Uint8Array(31) })).toThrow(/prevHash of 32 bytes, got 31/);
    expect(() => packShareWork({ ...input, branch: [new Uint8Array(33)] })).toThrow(/branch 0 of 32 bytes/);
  });

  test("the views share the packed bytes: the kernel's slot write shows in the coinbase", () => {
    const input = randomJob(rng(8), 2);
    const work = packShareWork(input);
    expect(hex(work.coinbase)).toBe(hex(Buffer.concat([input.coinb1, new Uint8Array(input.extranonce1Size + input.extranonce2Size), input.coinb2])));
    const k = createJsShareKernel();
    k.slot.fill(0xab);
    k.run(work, 1, 2, 3, false);
    expect(hex(work.coinbase.subarray(work.slotOffset, work.slotOffset + 4))).toBe("abababab");
    expect(work.branch.map(hex)).toEqual(input.branch.map(hex));
  });
});
