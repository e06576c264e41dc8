/**
 * The gate's scan of a share batch against the contract's decoder: the same fields and records,
 * the same errors for a malformed structure (strings it does not read excepted: UTF-8 only), and
 * the auditor over scanned batches: genuine shares pass, an invented one fails, a duplicate is
 * refused, a drawn record that does not decode throws ContractError and takes its claims back.
 */
import { expect, test } from "bun:test";
import { ContractError, decodeShareBatch, ShareBatchWriter, ShareResult, type ShareRecord } from "../../shared/contract/index.ts";
import { createPowRegistry, loadPowNative } from "../../shared/pow/index.ts";
import type { StoredJob } from "../jobs/index.ts";
import { CoreShareAuditor } from "./auditor.ts";
import { extranonce1Key, ScannedShareBatch } from "./batch-scan.ts";
import { DuplicateProofs } from "./duplicates.ts";
import type { AuditJobSource } from "./job-source.ts";
import { seededRandom } from "./sampler.ts";
import { acceptedRecord, auditTestJob, EASY_DIFFICULTY, en, grindProof } from "./testing.ts";

const registry = createPowRegistry(["sha256d"], loadPowNative());
const job = auditTestJob("sha256d", "0000001a");

/** Varied records: results, job and algorithm runs that change, aux, non-ASCII workers, extranonce sizes. */
function varied(n: number): ShareRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    seq: 1 + i * 7,
    result: ([0, 0, 1, 2, 0, 3, 4] as const)[i % 7]!,
    difficulty: 0.5 + i,
    time: 1_700_000_000_000 + i,
    jobmanager: i % 5 ? "BTC" : "SW",
    jobId: i < n / 2 ? "0000001a" : i % 3 ? "0000001b" : "0000001c",
    currency: "BTC",
    algo: i % 4 === 3 ? "scrypt" : "sha256d",
    port: "p",
    address: "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
    worker: i % 2 ? "rig-ü" : "",
    aux: i % 3 ? ["NMC"] : [],
    extranonce1: en(i, 4),
    extranonce2: en(i * 3, 2 + (i % 7)),
    ntime: 1_700_000_000 + i,
    nonce: i * 977,
    version: 0x20000000 | i,
  }));
}

function encode(records: readonly ShareRecord[], version: 1 | 2 = 2): Uint8Array {
  const w = new ShareBatchWriter("eu1/2", "0a0b0c0d", version);
  for (const r of records) w.add(r);
  return w.finish();
}

function errorOf(f: () => unknown): string | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    expect(e).toBeInstanceOf(ContractError);
    return (e as Error).message;
  }
}

test("a scanned batch reads what decodeShareBatch decodes, v1 and v2", () => {
  for (const version of [1, 2] as const) {
    const bytes = encode(varied(40), version);
    const decoded = decodeShareBatch(bytes);
    const scanned = new ScannedShareBatch(bytes);
    expect([scanned.v, scanned.edge, scanned.session, scanned.count]).toEqual([decoded.v, decoded.edge, decoded.session, decoded.records.length]);
    decoded.records.forEach((r, i) => {
      expect([scanned.result(i), scanned.seq(i), scanned.jobId(i), scanned.algo(i), scanned.hasProof(i)]).toEqual([r.result, r.seq, r.jobId, r.algo, version === 2]);
      expect(scanned.record(i)).toEqual(r);
      // The edge-id prefix check reads extranonce1 where it is encoded.
      expect(scanned.extranonce1(i)).toEqual(r.extranonce1);
      expect(scanned.extranonce1Key(i)).toBe(extranonce1Key(r.extranonce1, 0, r.extranonce1.length));
    });
    expect(scanned.records).toEqual(decoded.records);
  }
  // A record without a proof (an edge that sent none).
  const bare = new ScannedShareBatch(encode([{ ...varied(1)[0]!, extranonce1: new Uint8Array(0), extranonce2: new Uint8Array(0) }]));
  expect(bare.hasProof(0)).toBe(false);
});

test("malformed batches: the scan throws decodeShareBatch's ContractError; it lets through only bad UTF-8 in strings it does not read", () => {
  const bytes = encode(varied(12));
  for (let n = 0; n < bytes.length; n++) {
    const cut = bytes.slice(0, n);
    expect(errorOf(() => new ScannedShareBatch(cut))).toBe(errorOf(() => decodeShareBatch(cut)) as string);
  }
  expect(errorOf(() => new ScannedShareBatch(Uint8Array.of(...bytes, 0)))).toBe(errorOf(() => decodeShareBatch(Uint8Array.of(...bytes, 0))) as string);
  // Every byte set to a few values: same verdict, but for UTF-8 in the strings the scan skips.
  let lenient = 0;
  for (let at = 0; at < bytes.length; at++) {
    for (const v of [0x00, 0x07, 0x21, 0x80, 0xff]) {
      const m = bytes.slice();
      m[at] = v;
      const want = errorOf(() => decodeShareBatch(m));
      const got = errorOf(() => new ScannedShareBatch(m));
      // Bad UTF-8 the scan skips: it passes, or fails further on (errorOf checked it is a ContractError).
      if (got !== want && want !== undefined && /is not UTF-8$/.test(want)) {
        if (got === undefined) lenient++;
        continue;
      }
      expect(got).toBe(want as string);
      if (got === undefined) {
        const s = new ScannedShareBatch(m);
        decodeShareBatch(m).records.forEach((r, i) => expect([s.seq(i), s.result(i), s.jobId(i), s.algo(i)]).toEqual([r.seq, r.result, r.jobId, r.algo]));
      }
    }
  }
  expect(lenient).toBeGreaterThan(0);
});

test("a proof claimed from its encoding is the same key as claimed from the record", () => {
  const dups = new DuplicateProofs();
  const records = varied(20).filter((r) => r.result === ShareResult.acc);
  const a = dups.begin("eu1", "00000001");
  for (const r of records) expect(a.claim(r.jobId, r, r.seq, 0)).toBe("new");
  a.keep();
  const scanned = new ScannedShareBatch(encode(records));
  const b = dups.begin("us1", "00000002");
  const replay = dups.begin("eu1", "00000001");
  records.forEach((r, i) => {
    expect(b.claimEncoded(scanned.jobId(i), scanned.bytes, scanned.proofAt(i), scanned.seq(i), 0)).toBe("duplicate");
    expect(replay.claimEncoded(scanned.jobId(i), scanned.bytes, scanned.proofAt(i), scanned.seq(i), 0)).toBe("replay");
  });
});

function auditor(): CoreShareAuditor {
  const jobs: AuditJobSource = { lookup: async (id) => (id === job.job.id ? ({ kind: "job", job } as const) : ({ kind: "missing" } as const)), neverIssued: async () => true, cached: 1 };
  return new CoreShareAuditor({ jobs, hasher: (a) => (registry.has(a) ? registry.get(a).hasher : undefined), rate: () => ({ perHour: 1e9, minFraction: 1 }), random: seededRandom(7) });
}

function genuine(stored: StoredJob, n: number, conn: number): ShareRecord[] {
  const d = EASY_DIFFICULTY.sha256d;
  return Array.from({ length: n }, (_, i) => acceptedRecord(stored, i + 1, grindProof(stored, registry.get("sha256d").hasher, { extranonce1: en(conn), extranonce2: en(i), difficulty: d }), d, { time: stored.job.ntime * 1000 }));
}

test("the auditor over scanned batches: genuine shares pass, an invented one fails, a duplicate is refused", async () => {
  const a = auditor();
  const good = genuine(job, 30, 1);
  const scan = (edge: string, session: string, recs: readonly ShareRecord[]) => {
    const w = new ShareBatchWriter(edge, session);
    for (const r of recs) w.add(r);
    return new ScannedShareBatch(w.finish());
  };
  expect(await a.audit("eu1", scan("eu1", "00000001", good))).toEqual({ kind: "pass", audited: 30 });
  // us1 sends eu1's proofs under its own seqs: refused, not a failure.
  const dup = await a.audit("us1", scan("us1", "00000002", good.slice(0, 3).map((r, i) => ({ ...r, seq: 100 + i }))));
  expect(dup).toEqual({ kind: "pass", audited: 0, refused: [100, 101, 102].map((seq) => ({ seq, reason: "duplicate share" })) });
  const invented = genuine(job, 5, 2).map((r, i) => (i === 3 ? { ...r, nonce: r.nonce + 1, difficulty: 2 ** 30 } : r));
  const verdict = await a.audit("eu2", scan("eu2", "00000003", invented));
  expect(verdict.kind === "fail" && [verdict.seq, verdict.reason]).toEqual([4, "hash above target"]);
});

test("a drawn record that does not decode throws ContractError, and its batch's claims are taken back", async () => {
  const a = auditor();
  const recs = genuine(job, 4, 3);
  const bytes = encode(recs.map((r, i) => (i === 2 ? { ...r, worker: "zz" } : r)));
  // Make the third record's worker invalid UTF-8: the scan skips it, the full decode refuses it.
  const at = bytes.lastIndexOf(0x7a) - 1;
  bytes[at] = 0xc3;
  bytes[at + 1] = 0x28;
  const scanned = new ScannedShareBatch(bytes);
  await expect(a.audit("eu1", scanned)).rejects.toBeInstanceOf(ContractError);
  // The same proofs from the same edge, well formed: not duplicates of the failed entry's claims.
  const w = new ShareBatchWriter("eu1", "0a0b0c0d");
  for (const r of recs) w.add({ ...r, seq: r.seq + 50 });
  expect(await a.audit("eu1", new ScannedShareBatch(w.finish()))).toEqual({ kind: "pass", audited: 4 });
});
