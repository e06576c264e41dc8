/**
 * @module The implementations `bun run bench:hash` compares, by id, so that the main thread
 * (single core) and each benchmark worker (all cores) build exactly the same thing.
 */
import { createHash, scryptSync } from "node:crypto";

import {
  createNativeSha256dHasher,
  createScryptBatcher,
  createSha256dHasher,
  createX11Hasher,
  type Hasher,
} from "../shared/pow/hashers.ts";
import {
  ALL_CPU_FEATURES,
  CPU_FEATURE,
  loadPowNative,
  loadPowReferences,
  SCRYPT_KERNEL,
  type ScryptKernelName,
} from "../shared/pow/native.ts";
import { x11PureJs } from "../shared/pow/reference.ts";

export type BenchGroup = "sha256d" | "scrypt N=1024" | "scrypt-N N=32768" | "scrypt-N N=65536" | "x11";

export interface BenchImpl {
  readonly id: string;
  readonly group: BenchGroup;
  readonly label: string;
}

/** One timed unit of work: `run()` hashes `perStep` inputs. */
export interface Step {
  readonly perStep: number;
  run(): void;
}

export const GROUP_N: Record<BenchGroup, number> = {
  sha256d: 0,
  "scrypt N=1024": 1024,
  "scrypt-N N=32768": 32768,
  "scrypt-N N=65536": 65536,
  x11: 0,
};

const KERNELS: ScryptKernelName[] = ["scalar", "sse2", "avx2", "avx512"];

export const IMPLS: readonly BenchImpl[] = [
  { id: "sha256d:bun", group: "sha256d", label: "Bun.SHA256 x2 into preallocated buffers" },
  { id: "sha256d:ours", group: "sha256d", label: "our C via FFI (SHA extensions when present)" },
  { id: "sha256d:node", group: "sha256d", label: "node:crypto createHash x2" },
  { id: "sha256d:sph", group: "sha256d", label: "sphlib sph_sha2 C via FFI" },
  ...(["scrypt N=1024", "scrypt-N N=32768", "scrypt-N N=65536"] as const).flatMap((group): BenchImpl[] => {
    const n = GROUP_N[group];
    return [
      ...(n < 65536 ? [{ id: `${n}:node`, group, label: "node:crypto scryptSync (BoringSSL)" }] : []),
      { id: `${n}:mh`, group, label: "multi-hashing scryptn.c via FFI (plain C)" },
      ...KERNELS.filter((k) => n === 1024 || k === "scalar" || k === "avx512" || k === "avx2").map((k) => ({
        id: `${n}:k:${k}`,
        group,
        label: k === "scalar" ? "our portable C via FFI (1 lane)" : `our SIMD lanes via FFI, ${k}`,
      })),
      ...(n === 1024 ? [{ id: `${n}:tcc`, group, label: "our portable C via TinyCC (cc fallback)" }] : []),
    ];
  }),
  { id: "x11:ffi", group: "x11", label: "sph C + our SSE2 CubeHash, AES-NI ECHO (FFI)" },
  { id: "x11:ffi-noaes", group: "x11", label: "same with sph's ECHO (CPU without AES-NI)" },
  { id: "x11:tcc", group: "x11", label: "same C via TinyCC (cc fallback)" },
  { id: "x11:js", group: "x11", label: "@dashevo/x11-hash-js (pure JS)" },
];

function headers(count: number, seed: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let x = seed >>> 0 || 1;
  for (let i = 0; i < count; i++) {
    const h = new Uint8Array(80);
    for (let j = 0; j < 80; j++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      h[j] = x & 0xff;
    }
    out.push(h);
  }
  return out;
}

function hasherStep(hasher: Hasher, perStep: number): Step {
  const inputs = headers(64, 7);
  const out = new Uint8Array(32);
  let i = 0;
  return {
    perStep,
    run() {
      for (let k = 0; k < perStep; k++) hasher.hashInto(inputs[i++ & 63]!, out);
    },
  };
}

/** Build the step for `id`, or return a reason it cannot run here. */
export function prepareImpl(id: string): Step | string {
  const impl = IMPLS.find((i) => i.id === id);
  if (!impl) return `unknown implementation ${id}`;
  const n = GROUP_N[impl.group];
  const [, kind, kernel] = id.split(":") as [string, string, string | undefined];
  try {
    switch (impl.group) {
      case "sha256d": {
        if (kind === "bun") return hasherStep(createSha256dHasher(), 512);
        if (kind === "ours") return hasherStep(createNativeSha256dHasher(loadPowNative({ fallback: "none" })), 512);
        const refs = loadPowReferences();
        const fn: Hasher =
          kind === "node"
            ? {
                pow: "sha256d",
                implementation: "node",
                slow: false,
                hashInto: (h, o) => o.set(createHash("sha256").update(createHash("sha256").update(h).digest()).digest()),
              }
            : { pow: "sha256d", implementation: "sph", slow: false, hashInto: (h, o) => refs.ph_ref_sha256d_sph(h, h.length, o) };
        return hasherStep(fn, 256);
      }
      case "x11": {
        if (kind === "js") {
          const js: Hasher = { pow: "x11", implementation: "js", slow: false, hashInto: (h, o) => o.set(x11PureJs(h)) };
          return hasherStep(js, 8);
        }
        // The feature mask is process-wide for the library: every prepare sets it explicitly.
        const featureMask = kind === "ffi-noaes" ? ALL_CPU_FEATURES & ~CPU_FEATURE.aes : ALL_CPU_FEATURES;
        return hasherStep(createX11Hasher(loadPowNative({ fallback: "none", forceTinyCC: kind === "tcc", featureMask })), 64);
      }
      default:
        return scryptStep(kind, kernel, n);
    }
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

function scryptStep(kind: string, kernel: string | undefined, n: number): Step | string {
  if (kind === "node") {
    const inputs = headers(8, 11);
    let i = 0;
    return {
      perStep: 1,
      run() {
        const h = inputs[i++ & 7]!;
        scryptSync(h, h, 32, { N: n, r: 1, p: 1, maxmem: 256 * n + (1 << 20) });
      },
    };
  }
  if (kind === "mh") {
    const refs = loadPowReferences();
    const inputs = headers(8, 13);
    const out = new Uint8Array(32);
    let i = 0;
    return {
      perStep: 1,
      run() {
        refs.ph_ref_scrypt_mh(inputs[i++ & 7]!, 80, out, n);
      },
    };
  }
  const native = loadPowNative({ fallback: "none", forceTinyCC: kind === "tcc" });
  const name = (kind === "tcc" ? "scalar" : kernel) as ScryptKernelName;
  if (native.symbols.ph_scrypt_kernel_lanes(SCRYPT_KERNEL[name]) < 1) return `${name} not supported by this CPU`;
  const batcher = createScryptBatcher(native, name);
  // Whole lane groups: up to four at N = 1024, one above (a group at N = 32768 is ~20 ms).
  const count = batcher.laneGroup * (n <= 1024 ? 4 : 1);
  const input = headers(count, 17).reduce((all, h, i) => (all.set(h, 80 * i), all), new Uint8Array(80 * count));
  const out = new Uint8Array(32 * count);
  return { perStep: count, run: () => batcher.hashBatchInto(input, 80, count, out, n) };
}

/** Hash for `ms` after `warmupMs`; returns hashes done and seconds measured. */
export function runTimed(step: Step, warmupMs: number, ms: number): { count: number; seconds: number } {
  const warmEnd = performance.now() + warmupMs;
  while (performance.now() < warmEnd) step.run();
  let count = 0;
  const start = performance.now();
  const end = start + ms;
  do {
    step.run();
    count += step.perStep;
  } while (performance.now() < end);
  return { count, seconds: (performance.now() - start) / 1000 };
}
