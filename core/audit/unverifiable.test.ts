/**
 * Edges with many unverifiable audits: the window count, the alert raised once and cleared, and the
 * auditor's one WARN per alert with its per-edge and per-algorithm counters.
 */
import { describe, expect, test } from "bun:test";
import { captureLog } from "../../test/helpers/log-capture.ts";
import { CoreShareAuditor } from "./auditor.ts";
import type { AuditJobSource } from "./job-source.ts";
import { seededRandom } from "./sampler.ts";
import { acceptedRecord, auditTestJob, batchOf, en } from "./testing.ts";
import { UnverifiableWatch } from "./unverifiable.ts";

describe("UnverifiableWatch", () => {
  test("raises once when the window's count reaches the threshold, clears under half of it, raises again", () => {
    const w = new UnverifiableWatch({ threshold: 10, windowMs: 100_000 });
    const t0 = 1_000_000;
    expect(w.add("eu1", 9, t0)).toBe(false);
    expect(w.alert("eu1", t0)).toBeNull();
    expect(w.add("eu1", 1, t0 + 1000)).toBe(true);
    expect(w.add("eu1", 5, t0 + 2000)).toBe(false);
    expect(w.recent("eu1", t0 + 2000)).toBe(15);
    expect(w.alert("eu1", t0 + 2000)).toEqual({ since: t0 + 1000, threshold: 10, windowMs: 100_000 });
    // Another edge is counted apart.
    expect(w.recent("us1", t0)).toBe(0);
    expect(w.add("us1", 3, t0)).toBe(false);
    // A window later everything has left it: cleared, and a new burst raises it again.
    expect(w.recent("eu1", t0 + 200_000)).toBe(0);
    expect(w.alert("eu1", t0 + 200_000)).toBeNull();
    expect(w.add("eu1", 10, t0 + 200_000)).toBe(true);
  });

  test("stays raised while the count is at least half the threshold", () => {
    const w = new UnverifiableWatch({ threshold: 10, windowMs: 100_000 });
    const t0 = 5_000_000;
    w.add("eu1", 4, t0);
    expect(w.add("eu1", 6, t0 + 50_000)).toBe(true);
    // The first 4 leave the window; 6 remain (≥ 5): still raised.
    expect(w.recent("eu1", t0 + 110_000)).toBe(6);
    expect(w.alert("eu1", t0 + 110_000)).not.toBeNull();
  });

  test("refuses a nonsensical configuration", () => {
    expect(() => new UnverifiableWatch({ threshold: 0 })).toThrow(RangeError);
    expect(() => new UnverifiableWatch({ windowMs: 0 })).toThrow(RangeError);
  });
});

/** Jobs the archive no longer holds (expired): every lookup misses, and none looks never-issued. */
const expiredArchive: AuditJobSource = { lookup: async () => ({ kind: "missing" }), neverIssued: async () => false, cached: 0 };

describe("the auditor's unverifiable audits", () => {
  const job = auditTestJob("sha256d", "000000000000000000000000aaaa");
  const records = (n: number, from: number, algo = "sha256d") =>
    Array.from({ length: n }, (_, i) => acceptedRecord(job, from + i, { extranonce1: en(0x05000000 + from + i), extranonce2: en(from + i), ntime: job.job.ntime, nonce: 0, version: job.job.version }, 1, { algo }));

  test("one WARN per edge when its unverifiable audits cross the threshold; shown in its stats and counted per algorithm", async () => {
    const { log, lines } = captureLog();
    let now = 1_800_000_000_000;
    const a = new CoreShareAuditor({ jobs: expiredArchive, hasher: () => undefined, rate: () => ({ perHour: 0, minFraction: 1 }), random: seededRandom(3), now: () => now, unverifiable: { threshold: 5, windowMs: 600_000 }, log });
    expect(await a.audit("eu1", batchOf("eu1", "0000000a", records(4, 1)))).toEqual({ kind: "pass", audited: 0 });
    expect(lines.filter((l) => l.includes("unverifiable within"))).toHaveLength(0);
    expect(a.edges().get("eu1")).toMatchObject({ unverifiable: 4, unverifiableRecent: 4, unverifiableAlert: null });
    now += 1000;
    await a.audit("eu1", batchOf("eu1", "0000000a", records(3, 10, "scrypt")));
    await a.audit("eu1", batchOf("eu1", "0000000a", records(3, 20)));
    const warns = lines.filter((l) => l.includes("unverifiable within"));
    expect(warns).toHaveLength(1);
    expect(warns[0]).toContain("edge eu1: 7 of its audited shares were unverifiable within 10 min (threshold 5; last: job 000000000000000000000000aaaa (BTC) is no longer in the archive)");
    expect(warns[0]).toMatch(/WARN/i);
    const st = a.edges().get("eu1")!;
    expect(st).toMatchObject({ accepted: 10, audited: 0, unverifiable: 10, unverifiableRecent: 10, unverifiableAlert: { since: now, threshold: 5, windowMs: 600_000 } });
    expect(st.algos).toEqual({
      sha256d: { accepted: 7, audited: 0, failed: 0, unverifiable: 7, duplicates: 0, unaudited: 0 },
      scrypt: { accepted: 3, audited: 0, failed: 0, unverifiable: 3, duplicates: 0, unaudited: 0 },
    });
    // Another edge has its own count and alert.
    await a.audit("us1", batchOf("us1", "0000000b", records(2, 100)));
    expect(a.edges().get("us1")).toMatchObject({ unverifiableRecent: 2, unverifiableAlert: null });
    // Fifteen minutes later the window is empty: the alert is gone.
    now += 15 * 60_000;
    expect(a.edges().get("eu1")).toMatchObject({ unverifiable: 10, unverifiableRecent: 0, unverifiableAlert: null });
  });

  test("v1 records are counted unaudited per algorithm", async () => {
    const a = new CoreShareAuditor({ jobs: expiredArchive, hasher: () => undefined, rate: () => ({ perHour: 0, minFraction: 1 }) });
    await a.audit("eu1", batchOf("eu1", "0000000a", [...records(2, 1), ...records(3, 5, "scrypt")], 1));
    expect(a.edges().get("eu1")!.algos).toEqual({
      sha256d: { accepted: 0, audited: 0, failed: 0, unverifiable: 0, duplicates: 0, unaudited: 2 },
      scrypt: { accepted: 0, audited: 0, failed: 0, unverifiable: 0, duplicates: 0, unaudited: 3 },
    });
    expect(a.totals()).toMatchObject({ unaudited: 5 });
  });
});
