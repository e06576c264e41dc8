/** The proof check against real jobs, with shares ground on them as a miner would (sha256d and scrypt). */
import { describe, expect, test } from "bun:test";
import { targetToLE32 } from "../../shared/bitcoin/index.ts";
import { createJsShareKernel, createPowRegistry, loadPowNative, packShareWork } from "../../shared/pow/index.ts";
import { MAX_NTIME_AHEAD_SECONDS as EDGE_NTIME_AHEAD } from "../../edge/shares/params.ts";
import { auditTestJob, EASY_DIFFICULTY, en, grindProof } from "./testing.ts";
import { MAX_NTIME_AHEAD_SECONDS, rebuildHeaderFromProof, verifyShareProof, type ProofHasher } from "./verify.ts";
import { stratumPrevhashToBytes, u32FromHex } from "../../shared/bitcoin/index.ts";

const registry = createPowRegistry(["sha256d", "scrypt"], loadPowNative());
const NOW = Date.now();

test("the ntime bound is the edge's", () => {
  expect(MAX_NTIME_AHEAD_SECONDS).toBe(EDGE_NTIME_AHEAD);
});

for (const algo of ["sha256d", "scrypt"] as const) {
  describe(`${algo}: a share ground on a real job`, () => {
    const hasher = registry.get(algo).hasher;
    const job = auditTestJob(algo, "0000000000010000000a");
    const d = EASY_DIFFICULTY[algo];
    const en1 = en(0x0a0b0c0d);
    const en2 = en(7);
    const proof = grindProof(job, hasher, { extranonce1: en1, extranonce2: en2, difficulty: d });

    test("passes, and the rebuilt header is the one the share kernel hashed", () => {
      expect(verifyShareProof(job, proof, d, hasher, NOW)).toBeUndefined();
      const kernel = createJsShareKernel();
      const j = job.job;
      const work = packShareWork({ coinb1: job.coinb1, coinb2: job.coinb2, extranonce1Size: 4, extranonce2Size: 4, branch: job.branch, prevHash: stratumPrevhashToBytes(j.prevhash), bits: u32FromHex(j.bits), networkTarget: targetToLE32(1n), auxTargets: [] });
      kernel.slot.set([...en1, ...en2]);
      kernel.run(work, proof.version, proof.ntime, proof.nonce, false);
      expect(rebuildHeaderFromProof(job, proof)).toEqual(kernel.header);
    });

    test("a wrong nonce does not meet the difficulty", () => {
      // The next nonce that misses (about 15 in 16 do).
      let nonce = proof.nonce + 1;
      while (verifyShareProof(job, { ...proof, nonce }, d, hasher, NOW) === undefined) nonce++;
      expect(verifyShareProof(job, { ...proof, nonce }, d, hasher, NOW)?.reason).toBe("hash above target");
    });

    test("an inflated difficulty fails", () => {
      const out = verifyShareProof(job, proof, d * 2 ** 24, hasher, NOW);
      expect(out?.reason).toBe("hash above target");
      expect(out?.detail).toContain(`job ${job.job.id}`);
    });

    test("another connection's extranonce1 (same size) gives another header that fails", () => {
      let other = 1;
      while (verifyShareProof(job, { ...proof, extranonce1: en(0x0a0b0c0d + other) }, d, hasher, NOW) === undefined) other++;
      expect(verifyShareProof(job, { ...proof, extranonce1: en(0x0a0b0c0d + other) }, d, hasher, NOW)?.reason).toBe("hash above target");
    });

    test("extranonces of another size than the job's fail before hashing", () => {
      expect(verifyShareProof(job, { ...proof, extranonce1: en(1, 5) }, d, hasher, NOW)).toMatchObject({ reason: "extranonce1 size", detail: expect.stringContaining("4-byte extranonce1, the proof 5 bytes") });
      expect(verifyShareProof(job, { ...proof, extranonce2: en(7, 3) }, d, hasher, NOW)?.reason).toBe("extranonce2 size");
      expect(() => rebuildHeaderFromProof(job, { ...proof, extranonce2: en(7, 8) })).toThrow(RangeError);
    });
  });
}

describe("the edge's other rules", () => {
  const hasher = registry.get("sha256d").hasher;
  const job = auditTestJob("sha256d", "0000000000010000000b");
  const d = EASY_DIFFICULTY.sha256d;
  const base = { extranonce1: en(1), extranonce2: en(2), difficulty: d };

  test("ntime: from the job's mintime to 2 h past the time the edge received the share", () => {
    const j = job.job;
    const received = (j.ntime - 100) * 1000;
    const atMin = grindProof(job, hasher, { ...base, ntime: j.mintime });
    expect(verifyShareProof(job, atMin, d, hasher, received)).toBeUndefined();
    const early = grindProof(job, hasher, { ...base, ntime: j.mintime - 1 });
    expect(verifyShareProof(job, early, d, hasher, received)?.reason).toBe("ntime out of range");
    const late = grindProof(job, hasher, { ...base, ntime: j.ntime - 100 + MAX_NTIME_AHEAD_SECONDS + 1 });
    expect(verifyShareProof(job, late, d, hasher, received)?.reason).toBe("ntime out of range");
    expect(verifyShareProof(job, late, d, hasher, received + 1000)).toBeUndefined();
  });

  test("version: rolled bits inside the job's mask pass, any other bit fails", () => {
    const j = job.job;
    const rolled = grindProof(job, hasher, { ...base, version: (j.version | 0x00ffe000) >>> 0 });
    expect(verifyShareProof(job, rolled, d, hasher, NOW)).toBeUndefined();
    const outside = grindProof(job, hasher, { ...base, version: (j.version | 0x1) >>> 0 });
    expect(verifyShareProof(job, outside, d, hasher, NOW)).toMatchObject({ reason: "version outside mask", detail: expect.stringContaining("bits 0x00000001") });
  });

  test("the comparison is strict, as the edge's SHARE_FLAG.passes: a hash equal to the target fails", () => {
    const proof = grindProof(job, hasher, base);
    // At difficulty 1 the target is diff1 itself; a hasher standing in for the PoW returns chosen values.
    const diff1 = BigInt(`0x${job.job.diff1}`);
    const fixed = (v: bigint): ProofHasher => ({ hashInto: (_h, out) => out.set(targetToLE32(v)) });
    expect(verifyShareProof(job, proof, 1, fixed(diff1), NOW)?.reason).toBe("hash above target");
    expect(verifyShareProof(job, proof, 1, fixed(diff1 - 1n), NOW)).toBeUndefined();
  });
});
