import { describe, expect, test } from "bun:test";
import { ContractError } from "./error.ts";
import { decodeShareBatch, EMPTY_PROOF, shareBatchVersion, MAX_BATCH_RECORDS, MAX_DIFFICULTY, ShareBatchWriter, ShareResult, type ShareRecordV1 } from "./share-batch.ts";

const record = (seq: number, over: Partial<ShareRecordV1> = {}): ShareRecordV1 => ({
  seq,
  result: ShareResult.acc,
  difficulty: 128,
  time: 1_700_000_000_123.5,
  jobmanager: "LTC",
  jobId: "0a0b0c0d00000001",
  currency: "LTC",
  algo: "scrypt",
  port: "scrypt_STRAT",
  address: "LYExXWEPs5oWjScR1fYzwSuo8DcQWNcHpF",
  worker: "rig1",
  aux: ["DOGE", "SYS"],
  ...over,
});

describe("share batch", () => {
  test("round-trips every field, including fractional difficulty, unicode and empty strings", () => {
    const w = new ShareBatchWriter("eu1", "00c0ffee");
    const rs = [
      record(1),
      record(2, { result: ShareResult.dup, difficulty: 0.0001, worker: "" }),
      record(3, { result: ShareResult.low, jobId: "", aux: [] }),
      record(4, { result: ShareResult.stale, worker: "ñandú-Ω" }),
      record(5, { result: ShareResult.invalid, address: "donate" }),
    ];
    for (const r of rs) w.add(r);
    expect(w.count).toBe(5);
    const decoded = decodeShareBatch(w.finish());
    expect(decoded).toEqual({ v: 2, edge: "eu1", session: "00c0ffee", records: rs.map((r) => ({ ...r, ...EMPTY_PROOF })) });
  });

  test("v2 carries each record's proof; a v1 batch (an edge before contract v2) decodes with an empty proof", () => {
    const proof = { extranonce1: Uint8Array.of(0, 1, 0xfe, 0xff), extranonce2: Uint8Array.of(9, 8, 7, 6, 5, 4, 3, 2), ntime: 0xfffffffe, nonce: 0x80000001, version: 0x20000000 | 0x1fffe000 };
    const w = new ShareBatchWriter("eu1/3", "0000beef");
    w.add({ ...record(1), ...proof });
    w.add(record(2, { result: ShareResult.stale, jobId: "" }));
    const v2 = decodeShareBatch(w.finish());
    expect(v2.v).toBe(2);
    expect(v2.records[0]).toEqual({ ...record(1), ...proof });
    expect(v2.records[1]).toEqual({ ...record(2, { result: ShareResult.stale, jobId: "" }), ...EMPTY_PROOF });
    expect(shareBatchVersion(w.finish())).toBe(2);

    const old = new ShareBatchWriter("eu1", "0000beef", 1);
    old.add({ ...record(7), ...proof });
    const bytes = old.finish();
    expect(shareBatchVersion(bytes)).toBe(1);
    const v1 = decodeShareBatch(bytes);
    expect(v1.v).toBe(1);
    expect(v1.records).toEqual([{ ...record(7), ...EMPTY_PROOF }]);
  });

  test("proof extranonces longer than 32 bytes are refused by the writer and the reader", () => {
    const w = new ShareBatchWriter("eu1", "00000001");
    expect(() => w.add({ ...record(1), extranonce2: new Uint8Array(33) })).toThrow(/extranonce2 expected at most 32 bytes, got 33/);
    w.add({ ...record(1), extranonce2: new Uint8Array(32) });
    const bytes = w.finish();
    // The extranonce2 length byte sits after the fixed fields, the proof numbers and the 0-byte extranonce1.
    const at = bytes.indexOf(32, 4 + 4 + 9 + 25 + 12 + 1);
    bytes[at] = 33;
    expect(() => decodeShareBatch(bytes)).toThrow(/extranonce2 at byte \d+: expected at most 32 bytes, got 33/);
  });

  test("the writer starts a fresh batch after finish() and grows past its first buffer", () => {
    const w = new ShareBatchWriter("eu1", "00000001");
    w.add(record(1));
    w.finish();
    expect(w.count).toBe(0);
    for (let i = 1; i <= 2000; i++) w.add(record(i, { worker: `w${i}`.padEnd(16, "x") }));
    const out = decodeShareBatch(w.finish());
    expect(out.records).toHaveLength(2000);
    expect(out.records[1999]?.seq).toBe(2000);
    expect(out.records[1999]?.worker).toBe("w2000".padEnd(16, "x"));
  });

  test("an empty batch decodes to no records", () => {
    expect(decodeShareBatch(new ShareBatchWriter("e", "00000000").finish()).records).toEqual([]);
  });

  test("the writer refuses oversized fields and leaves the batch intact", () => {
    const w = new ShareBatchWriter("eu1", "00000001");
    w.add(record(1));
    expect(() => w.add(record(2, { address: "x".repeat(256) }))).toThrow(/address expected at most 255 UTF-8 bytes, got 256/);
    expect(() => w.add(record(2, { worker: "é".repeat(128) }))).toThrow(/worker expected at most 255 UTF-8 bytes, got 256/);
    w.add(record(2));
    expect(decodeShareBatch(w.finish()).records.map((r) => r.seq)).toEqual([1, 2]);
  });

  test(`the writer refuses more than ${MAX_BATCH_RECORDS} records`, () => {
    const w = new ShareBatchWriter("eu1", "00000001");
    for (let i = 1; i <= MAX_BATCH_RECORDS; i++) w.add(record(i));
    expect(() => w.add(record(MAX_BATCH_RECORDS + 1))).toThrow(RangeError);
  });

  describe("rejects malformed input with a ContractError naming the problem", () => {
    const good = () => {
      const w = new ShareBatchWriter("eu1", "00c0ffee");
      w.add(record(1));
      w.add(record(2));
      return w.finish();
    };
    const cases: [string, (b: Uint8Array) => Uint8Array, RegExp][] = [
      ["empty input", () => new Uint8Array(0), /truncated at byte 0 reading header/],
      ["wrong magic", (b) => b.with(0, 0x4a), /expected magic 0x53, got 0x4a/],
      ["unknown version", (b) => b.with(1, 9), /expected version 1 or 2, got 9/],
      ["truncated record", (b) => b.subarray(0, b.length - 3), /truncated/],
      ["trailing bytes", (b) => new Uint8Array([...b, 0]), /expected \d+ bytes for 2 records, got \d+/],
      ["count larger than the data", (b) => b.with(2, 3), /truncated at byte \d+ reading record 2/],
      // header: 4 bytes, "eu1" 1+3, session 1+8 → the first record starts at 17; its result byte is at 17 + 8.
      ["result out of range", (b) => b.with(25, 7), /result expected 0..4, got 7/],
      ["bad session", (b) => b.with(9, 0x5a), /session: expected 8 hex chars/],
    ];
    for (const [name, mutate, message] of cases) {
      test(name, () => {
        let err: unknown;
        try {
          decodeShareBatch(mutate(good()));
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(ContractError);
        expect((err as Error).message).toMatch(message);
      });
    }
  });
});

describe("issue 19: the writer refuses numbers the reader would refuse, one record at a time", () => {
  const base = { seq: 1, result: ShareResult.acc, difficulty: 1, time: 1_700_000_000_000, jobmanager: "LTC", jobId: "01", currency: "LTC", algo: "scrypt", port: "p", address: "a", worker: "w", aux: [] as string[] };
  test.each([
    ["difficulty", { difficulty: Infinity }],
    ["difficulty", { difficulty: NaN }],
    ["difficulty", { difficulty: 0 }],
    ["difficulty", { difficulty: -1 }],
    ["difficulty", { difficulty: 1e308 }],
    ["time", { time: NaN }],
    ["time", { time: -1 }],
    ["time", { time: 1e300 }],
    ["seq", { seq: 0 }],
    ["seq", { seq: 1.5 }],
    ["seq", { seq: 2 ** 60 }],
  ] as const)("%s %o", (field, over) => {
    const w = new ShareBatchWriter("eu1", "0000000a");
    w.add(base);
    expect(() => w.add({ ...base, ...over, seq: "seq" in over ? over.seq : 2 })).toThrow(new RegExp(field));
    w.add({ ...base, seq: 2, difficulty: MAX_DIFFICULTY });
    const out = decodeShareBatch(w.finish());
    expect(out.records.map((r) => [r.seq, r.difficulty])).toEqual([
      [1, 1],
      [2, MAX_DIFFICULTY],
    ]);
  });
});
