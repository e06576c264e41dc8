import { describe, expect, test } from "bun:test";
import { bytesToHex, bytesToRpcHex, hexToBytes, sha256d, sha256dInto } from "../../shared/bitcoin/index.ts";
import { ShareResult, type JobV1 } from "../../shared/contract/index.ts";
import { startPow } from "../../shared/pow/index.ts";
import { captureLog } from "../../test/helpers/log-capture.ts";
import { headerFromProof } from "../../test/helpers/proof.ts";
import { RecordingSink } from "../../test/helpers/share-sink.ts";
import { JobCache } from "../jobs/index.ts";
import { SPEC16, spec16Job } from "../../shared/contract/testing.ts";
import type { SubmitContext, SubmitParams } from "../ports.ts";
import { EdgeShareChecker } from "./checker.ts";
import { isAsyncPow, powFromRuntime, powTable, sha256dPow, type PowHash } from "./pow.ts";
import { ACCEPTED, DUPLICATE, HASH_FAILED, LOW_DIFFICULTY, MALFORMED, SERVER_BUSY, STALE } from "./verdicts.ts";

const NOT_A_BLOCK = "00".repeat(32);
type PreparedJobLike = { readonly id: string; readonly job: JobV1 };
const ANY_HASH = "ff".repeat(32);

function setup(pow: PowHash = sha256dPow) {
  const capture = captureLog();
  const jobs = new JobCache({ log: capture.log });
  const sink = new RecordingSink();
  const checker = new EdgeShareChecker({ jobs, sink, pow: powTable({ sha256d: pow }), log: capture.log });
  const add = (over: Partial<JobV1> = {}) => jobs.add(spec16Job({ target: NOT_A_BLOCK, ...over }))!;
  return { jobs, sink, checker, add, ...capture };
}

const ctx = (over: Partial<SubmitContext> = {}): SubmitContext => ({
  port: "sha_STRAT",
  jobmanager: "LTC",
  extranonce1: hexToBytes(SPEC16.extranonce1),
  versionMask: 0x1fffe000,
  difficulty: 1,
  address: "LYExXWEPs5oWjScR1fYzwSuo8DcQWNcHpF",
  worker: "rig1",
  receivedAt: (0x5c3a8f10 + 60) * 1000,
  ...over,
});

const submit = (jobId: string, over: Partial<SubmitParams> = {}): SubmitParams => ({
  jobId,
  extranonce2: SPEC16.extranonce2,
  ntime: SPEC16.ntime,
  nonce: SPEC16.nonce,
  versionBits: undefined,
  ...over,
});

describe("share check against spec §16", () => {
  test("rebuilds the §16 header byte for byte (merkle root included) and hashes it", () => {
    const hashed: string[] = [];
    const spy: PowHash = { hashInto: (h, out) => (hashed.push(bytesToHex(h)), sha256dInto(h, out)) };
    const { checker, add, sink } = setup(spy);
    const job = add();
    expect(checker.check(ctx(), submit(job.id))).toBe(ACCEPTED);
    expect(hashed).toEqual([SPEC16.header]);
    expect(SPEC16.header.slice(72, 136)).toBe(SPEC16.merkleRoot);
    expect(sink.shares).toEqual([
      {
        result: ShareResult.acc, difficulty: 1, time: ctx().receivedAt, jobmanager: "LTC", jobId: job.job.id, currency: "LTC", algo: "sha256d", port: "sha_STRAT", address: ctx().address, worker: "rig1", aux: [],
        extranonce1: hexToBytes(SPEC16.extranonce1), extranonce2: hexToBytes(SPEC16.extranonce2), ntime: parseInt(SPEC16.ntime, 16), nonce: parseInt(SPEC16.nonce, 16), version: job.job.version,
      },
    ]);
  });

  test("each record's proof rebuilds the header that was hashed, rolled version bits included, inline and worker-hashed; refused records carry none", async () => {
    for (const mode of ["inline", "worker"] as const) {
      const hashed: string[] = [];
      const spy: PowHash =
        mode === "inline" ? { hashInto: (h, out) => (hashed.push(bytesToHex(h)), sha256dInto(h, out)) } : { hashAsync: async (h) => (hashed.push(bytesToHex(h)), await Bun.sleep(1), sha256d(h)) };
      const { checker, add, sink } = setup(spy);
      const job = add();
      const block = add({ target: ANY_HASH, type: 1 }); // every share a block: its record goes with the candidate
      const subs: [PreparedJobLike, Partial<SubmitContext>, Partial<SubmitParams>][] = [
        [job, {}, {}],
        [job, {}, { versionBits: "00006000", extranonce2: "a0b1c2d3" }],
        [job, { extranonce1: hexToBytes("0000beef") }, { nonce: "00000007" }],
        [job, { difficulty: 2 ** 40 }, { nonce: "00000008" }], // low: hashed, so it has a proof too
        [block, {}, { nonce: "00000009", versionBits: "00002000" }],
        [job, {}, { ntime: "00000001" }], // out of the ntime window: refused before hashing
      ];
      for (const [j, c, p] of subs) await checker.check(ctx(c), submit(j.id, p));
      const records = sink.shares;
      expect(records.map((r) => r.result)).toEqual([ShareResult.acc, ShareResult.acc, ShareResult.acc, ShareResult.low, ShareResult.acc, ShareResult.invalid]);
      expect(sink.candidates).toHaveLength(1);
      expect(records.slice(0, 5).map((r, i) => bytesToHex(headerFromProof(subs[i]![0].job, r)))).toEqual(hashed);
      expect(records[1]!.version).toBe((job.job.version | 0x6000) >>> 0);
      expect(bytesToHex(records[1]!.extranonce2)).toBe("a0b1c2d3");
      expect(bytesToHex(records[2]!.extranonce1)).toBe("0000beef");
      expect(records[5]).toMatchObject({ extranonce1: new Uint8Array(0), extranonce2: new Uint8Array(0), ntime: 0, nonce: 0, version: 0 });
    }
  });

  test("a share meeting the network target goes out as a candidate first, with the exact coinbase and header", () => {
    const { checker, add, sink } = setup();
    const job = add({ target: ANY_HASH });
    expect(checker.check(ctx(), submit(job.id))).toBe(ACCEPTED);
    expect(sink.events.map((e) => e.kind)).toEqual(["candidate", "share"]);
    expect(sink.candidates[0]).toMatchObject({
      edge: "eu1",
      session: "0000beef",
      shareSeq: 1,
      jobId: job.job.id,
      header: SPEC16.header,
      coinbase: job.job.coinb1 + SPEC16.extranonce1 + SPEC16.extranonce2 + job.job.coinb2,
      extranonce1: SPEC16.extranonce1,
      extranonce2: SPEC16.extranonce2,
      ntime: 0x5c3a8f10,
      nonce: 0xb2957c02,
      version: 0x20000000,
      powHash: SPEC16.blockHash,
      blockHash: SPEC16.blockHash,
      main: true,
      aux: [],
    });
  });

  test("a share harder than the network target still yields its block (and is low for the share)", () => {
    const { checker, add, sink } = setup();
    const job = add({ target: ANY_HASH });
    // sha256d(§16 header) read little-endian starts 0x8a…, above floor((2^256-1)/2).
    expect(checker.check(ctx({ difficulty: 2 }), submit(job.id))).toBe(LOW_DIFFICULTY);
    expect(sink.events.map((e) => e.kind)).toEqual(["candidate", "share"]);
    expect(sink.shares[0]!.result).toBe(ShareResult.low);
  });

  test("an aux-only candidate names the aux chain and not the main one; the record credits the aux currencies", () => {
    const { checker, add, sink } = setup();
    const job = add({ aux: [{ currency: "DOGE", chainId: 98, hash: "11".repeat(32), target: ANY_HASH, height: 5, algo: "scrypt" }] });
    expect(checker.check(ctx(), submit(job.id))).toBe(ACCEPTED);
    expect(sink.candidates).toHaveLength(1);
    expect(sink.candidates[0]).toMatchObject({ main: false, aux: ["DOGE"] });
    expect(sink.shares[0]!.aux).toEqual(["DOGE"]);
  });

  test("with powBlockHash the block hash is the PoW hash", () => {
    const fake: PowHash = { hashInto: (_h, out) => out.fill(0x01) };
    const { checker, add, sink } = setup(fake);
    checker.check(ctx(), submit(add({ target: ANY_HASH, powBlockHash: true }).id));
    checker.check(ctx(), submit(add({ target: ANY_HASH }).id));
    const [pow, plain] = sink.candidates;
    expect(pow!.blockHash).toBe(pow!.powHash);
    expect(plain!.blockHash).toBe(SPEC16.blockHash);
    expect(plain!.powHash).toBe("01".repeat(32));
  });
});

describe("duplicates, low difficulty, stale", () => {
  test("the same share twice is a duplicate, whatever the hex case; other version bits make another share", () => {
    const { checker, add, sink } = setup();
    const id = add().id;
    expect(checker.check(ctx(), submit(id))).toBe(ACCEPTED);
    expect(checker.check(ctx(), submit(id))).toBe(DUPLICATE);
    expect(checker.check(ctx(), submit(id, { nonce: SPEC16.nonce.toUpperCase(), ntime: SPEC16.ntime.toUpperCase() }))).toBe(DUPLICATE);
    expect(checker.check(ctx(), submit(id, { extranonce2: "0000000a" }))).toBe(ACCEPTED);
    expect(checker.check(ctx(), submit(id, { extranonce2: "0000000A" }))).toBe(DUPLICATE);
    expect(checker.check(ctx(), submit(id, { versionBits: "00000000" }))).toBe(DUPLICATE);
    expect(checker.check(ctx(), submit(id, { versionBits: "00002000" }))).toBe(ACCEPTED);
    expect(checker.check(ctx(), submit(id, { versionBits: "00002000" }))).toBe(DUPLICATE);
    expect(checker.check(ctx({ extranonce1: hexToBytes("5193fc02") }), submit(id))).toBe(ACCEPTED);
    expect(sink.shares.map((r) => r.result)).toEqual([0, 1, 1, 0, 1, 1, 0, 1, 0]);
    expect(DUPLICATE).toMatchObject({ code: 22, message: "Duplicate share" });
  });

  test("low-difficulty shares answer 23 and are not remembered as duplicates", () => {
    const { checker, add, sink } = setup();
    const id = add().id;
    expect(checker.check(ctx({ difficulty: 2 }), submit(id))).toBe(LOW_DIFFICULTY);
    expect(checker.check(ctx({ difficulty: 2 }), submit(id))).toBe(LOW_DIFFICULTY);
    expect(LOW_DIFFICULTY).toMatchObject({ code: 23 });
    expect(sink.shares.map((r) => [r.result, r.difficulty])).toEqual([[2, 2], [2, 2]]);
  });

  test("an unknown job id answers 21 and is recorded as stale with no job id", () => {
    const { checker, add, sink } = setup();
    add();
    expect(checker.check(ctx(), submit("ffffffff"))).toBe(STALE);
    expect(STALE).toMatchObject({ code: 21, message: "Job not found (=stale)" });
    expect(sink.shares[0]).toMatchObject({ result: ShareResult.stale, jobId: "", currency: "LTC" });
  });

  test("the stratum layer's lookup wins: ctx.job is checked whatever the id; ctx.stale makes a current job stale", () => {
    const { checker, add, sink } = setup();
    const job = add({ target: ANY_HASH });
    expect(checker.check(ctx({ job }), submit("101.7"))).toBe(ACCEPTED);
    expect(checker.check(ctx({ job, stale: true }), submit(job.id, { nonce: "00000001" }))).toBe(STALE);
    expect(sink.candidates.map((c) => c.main)).toEqual([true, true]); // its block still counts: the tip is unchanged
    expect(sink.candidates.map((c) => c.shareSeq)).toEqual([1, 2]); // each names its own record
    expect(checker.check(ctx({ stale: true }), submit("ffffffff"))).toBe(STALE);
    expect(sink.shares.map((r) => [r.result, r.jobId])).toEqual([
      [ShareResult.acc, job.job.id],
      [ShareResult.stale, job.job.id],
      [ShareResult.stale, ""],
    ]);
  });

  test("a stale job still yields a block while its chain tip is unchanged (aux-triggered flush), not after a new block", () => {
    const { checker, add, sink } = setup();
    const old = add({ target: ANY_HASH });
    add({ target: ANY_HASH, type: 0 }); // same prevhash: the flush was not a new block
    expect(checker.check(ctx(), submit(old.id))).toBe(STALE);
    expect(sink.events.map((e) => e.kind)).toEqual(["candidate", "share"]);
    expect(sink.candidates[0]).toMatchObject({ main: true, jobId: old.job.id });
    expect(sink.shares[0]).toMatchObject({ result: ShareResult.stale, jobId: old.job.id });
    add({ type: 0, prevhash: "aa".repeat(32) }); // a new block
    expect(checker.check(ctx(), submit(old.id, { nonce: "00000001" }))).toBe(STALE);
    expect(sink.candidates).toHaveLength(1);
  });

  test("a stale job's aux block counts while the newest job still mines the same aux height", () => {
    const { checker, add, sink } = setup();
    const aux = (height: number) => [{ currency: "DOGE", chainId: 98, hash: "11".repeat(32), target: ANY_HASH, height, algo: "scrypt" }];
    const old = add({ aux: aux(5) });
    add({ type: 0, prevhash: "aa".repeat(32), aux: aux(5) });
    expect(checker.check(ctx(), submit(old.id))).toBe(STALE);
    expect(sink.candidates[0]).toMatchObject({ main: false, aux: ["DOGE"] });
    add({ type: 0, prevhash: "aa".repeat(32), aux: aux(6) });
    expect(checker.check(ctx(), submit(old.id, { nonce: "00000001" }))).toBe(STALE);
    expect(sink.candidates).toHaveLength(1);
  });
});

describe("malformed shares answer 20 and are recorded as invalid", () => {
  const cases: [string, Partial<SubmitParams>, Partial<SubmitContext>, keyof typeof MALFORMED][] = [
    ["extranonce2 too short", { extranonce2: "000001" }, {}, "extranonce2"],
    ["extranonce2 too long", { extranonce2: "0000000001" }, {}, "extranonce2"],
    ["extranonce2 not hex", { extranonce2: "0000000g" }, {}, "extranonce2"],
    ["ntime of 7 digits", { ntime: "5c3a8f1" }, {}, "ntimeFormat"],
    ["ntime not hex", { ntime: "5c3a8f1x" }, {}, "ntimeFormat"],
    ["ntime before the job's mintime", { ntime: "5c3a8dff" }, {}, "ntimeRange"],
    ["ntime more than 7200 s ahead", { ntime: (0x5c3a8f10 + 7201).toString(16) }, { receivedAt: 0x5c3a8f10 * 1000 }, "ntimeRange"],
    ["nonce of 9 digits", { nonce: "b2957c020" }, {}, "nonce"],
    ["version bits not 8 hex digits", { versionBits: "2000" }, {}, "versionFormat"],
    ["version bits outside the mask", { versionBits: "00000001" }, {}, "versionMask"],
    ["version bits without version rolling", { versionBits: "00002000" }, { versionMask: 0 }, "versionMask"],
    ["an extranonce1 of another size", {}, { extranonce1: hexToBytes("5193fc0100") }, "extranonce1"],
  ];
  for (const [name, params, context, reason] of cases) {
    test(name, () => {
      const { checker, add, sink } = setup();
      const job = add();
      const verdict = checker.check(ctx(context), submit(job.id, params));
      expect(verdict).toBe(MALFORMED[reason]);
      expect(verdict).toMatchObject({ result: "invalid", code: 20 });
      expect(sink.shares).toEqual([expect.objectContaining({ result: ShareResult.invalid, jobId: job.job.id })]);
    });
  }

  test("the edges of the ntime window are accepted", () => {
    const { checker, add } = setup();
    const id = add().id;
    expect(checker.check(ctx(), submit(id, { ntime: "5c3a8e00" }))).toBe(ACCEPTED);
    expect(checker.check(ctx({ receivedAt: 0x5c3a8f10 * 1000 }), submit(id, { ntime: (0x5c3a8f10 + 7200).toString(16) }))).toBe(ACCEPTED);
  });

  test("an algorithm without a hasher answers 20 and logs once", () => {
    const { checker, add, count } = setup();
    const id = add({ algo: "x11" }).id;
    expect(checker.check(ctx(), submit(id))).toBe(MALFORMED.algorithm);
    checker.check(ctx(), submit(id));
    expect(count(/no hasher for algorithm x11/)).toBe(1);
  });
});

describe("worker-hashed algorithms", () => {
  test("check returns a promise with the same verdicts, candidates first, duplicates caught after hashing", async () => {
    const asyncPow: PowHash = { hashAsync: async (h) => (await Bun.sleep(1), sha256d(h)) };
    const { checker, add, sink } = setup(asyncPow);
    const id = add({ target: ANY_HASH }).id;
    const [a, b] = [checker.check(ctx(), submit(id)), checker.check(ctx(), submit(id))];
    expect(a).toBeInstanceOf(Promise);
    expect(await Promise.all([a, b])).toEqual([ACCEPTED, DUPLICATE]);
    expect(sink.events.map((e) => e.kind)).toEqual(["candidate", "share", "share"]);
    expect(sink.candidates[0]!.header).toBe(SPEC16.header);
    expect(sink.candidates[0]!.coinbase).toContain(SPEC16.extranonce1 + SPEC16.extranonce2);
  });

  test("a hashing failure answers 20 and is logged once; a full pool says Server busy", async () => {
    let fail: Error | undefined = new Error("worker died");
    const { checker, add, sink, count } = setup({ hashAsync: (h) => (fail ? Promise.reject(fail) : Promise.resolve(sha256d(h))) });
    const id = add().id;
    expect(await checker.check(ctx(), submit(id))).toBe(HASH_FAILED);
    fail = Object.assign(new Error("queue full"), { code: "POW_BUSY" });
    expect(await checker.check(ctx(), submit(id))).toBe(SERVER_BUSY);
    expect(sink.shares.map((r) => r.result)).toEqual([ShareResult.invalid, ShareResult.invalid]);
    expect(count(/hashing failed \(worker died\)/)).toBe(1);
    expect(count(/hashing failed/)).toBe(1);
    fail = undefined;
    expect(await checker.check(ctx(), submit(id))).toBe(ACCEPTED);
    expect(count(/hashing works again/)).toBe(1);
  });

  test("shared/pow's runtime plugs in: scrypt through its worker pool, sha256d inline", async () => {
    const rt = await startPow({ algorithms: ["sha256d", "scrypt"], workers: 1 });
    try {
      const lookup = powFromRuntime(rt);
      expect(lookup("x11")).toBeUndefined();
      expect(isAsyncPow(lookup("sha256d")!)).toBe(false);
      const capture = captureLog();
      const jobs = new JobCache({ log: capture.log });
      const sink = new RecordingSink();
      const checker = new EdgeShareChecker({ jobs, sink, pow: lookup, log: capture.log });
      const id = jobs.add(spec16Job({ algo: "scrypt", target: ANY_HASH }))!.id;
      const verdict = checker.check(ctx(), submit(id));
      expect(verdict).toBeInstanceOf(Promise);
      expect(await verdict).toBe(ACCEPTED);
      const expected = new Uint8Array(32);
      rt.hasher("scrypt").hashInto(hexToBytes(SPEC16.header), expected);
      expect(sink.candidates[0]!.powHash).toBe(bytesToRpcHex(expected));
      expect(sink.candidates[0]!.blockHash).toBe(SPEC16.blockHash); // Litecoin: the block id stays sha256d
    } finally {
      await rt.close();
    }
  });
});
