/**
 * The core's proof check and the edge's share check agree: the real EdgeShareChecker judges random
 * submits on a real job at a difficulty about half of all hashes meet; every share it accepts
 * passes verifyShareProof with the proof an edge reports (the connection's extranonce1, the submit's
 * extranonce2/ntime/nonce, the version with the rolled bits applied), and every share it finds low
 * fails it as "hash above target". sha256d and scrypt (the edge hashes scrypt inline here).
 */
import { expect, test } from "bun:test";
import { bytesToHex, u32ToHex } from "../../shared/bitcoin/index.ts";
import { createPowRegistry, loadPowNative } from "../../shared/pow/index.ts";
import { captureLog } from "../../test/helpers/log-capture.ts";
import { RecordingSink } from "../../test/helpers/share-sink.ts";
import { JobCache } from "../../edge/jobs/index.ts";
import { EdgeShareChecker } from "../../edge/shares/checker.ts";
import { powTable } from "../../edge/shares/pow.ts";
import { ACCEPTED, LOW_DIFFICULTY } from "../../edge/shares/verdicts.ts";
import { auditTestJob, en } from "./testing.ts";
import { verifyShareProof } from "./verify.ts";
import { seededRandom } from "./sampler.ts";

const registry = createPowRegistry(["sha256d", "scrypt"], loadPowNative());
/** Difficulties at which about one hash in two meets the target. */
const HALF = { sha256d: 2 ** -31, scrypt: 2 ** -15 } as const;

for (const algo of ["sha256d", "scrypt"] as const) {
  test(`${algo}: what the edge accepts the core passes, what it finds low the core fails`, () => {
    const hasher = registry.get(algo).hasher;
    const { log } = captureLog();
    const jobs = new JobCache({ log });
    const stored = auditTestJob(algo, algo === "sha256d" ? "00000000000a00000001" : "00000000000a00000002");
    const prepared = jobs.add(stored.job)!;
    const checker = new EdgeShareChecker({ jobs, sink: new RecordingSink(), pow: powTable({ [algo]: hasher }), log });
    const rnd = seededRandom(algo.length);
    const u32 = () => Math.floor(rnd.next() * 0x1_0000_0000);
    const j = stored.job;
    const counts = { acc: 0, low: 0 };
    for (let i = 0; i < 400; i++) {
      const extranonce1 = en(u32());
      const extranonce2 = en(u32());
      const bits = u32() & 0x1fffe000;
      const ntime = j.ntime + (i % 7);
      const nonce = u32();
      const receivedAt = (j.ntime + 30) * 1000;
      const ctx = { port: "p", jobmanager: j.jobmanager, extranonce1, versionMask: 0x1fffe000, difficulty: HALF[algo], address: "a", worker: "w", receivedAt, job: prepared, stale: false };
      const verdict = checker.check(ctx, { jobId: prepared.id, extranonce2: bytesToHex(extranonce2), ntime: u32ToHex(ntime), nonce: u32ToHex(nonce), versionBits: u32ToHex(bits) });
      const version = ((j.version & ~0x1fffe000) | bits) >>> 0;
      const core = verifyShareProof(stored, { extranonce1, extranonce2, ntime, nonce, version }, HALF[algo], hasher, receivedAt);
      if (verdict === ACCEPTED) {
        counts.acc++;
        expect(core).toBeUndefined();
      } else {
        expect(verdict).toBe(LOW_DIFFICULTY);
        counts.low++;
        expect(core?.reason).toBe("hash above target");
      }
    }
    // Both outcomes were exercised, many times.
    expect(counts.acc).toBeGreaterThan(100);
    expect(counts.low).toBeGreaterThan(100);
  });
}
