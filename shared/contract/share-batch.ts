/**
 * @module Share records, edge → core, packed many to a stream entry.
 *
 * This is the hot path (every share of every miner), so it is a binary layout written into one
 * reusable buffer instead of JSON per share: the edge appends records as they are classified and
 * sends one stream entry per batch. Each record carries the edge's session and a sequence number,
 * which together identify it for exactly-once accounting (a spooled batch replayed after a Redis
 * outage repeats the same ids).
 *
 * Version 2 (contract v2, issue 20) adds each record's proof — what the miner hashed — so the core
 * can re-hash a sample of shares against the job it issued instead of taking the edge's word.
 *
 * Layout (all integers little-endian; `str` = u8 length + UTF-8 bytes, `bytes` = u8 length + bytes):
 *   u8 'S' (0x53) | u8 version | u16 count | str edge | str session
 *   count × record:
 *     f64 seq | u8 result | f64 difficulty | f64 time (ms) |
 *     [v2: u32 ntime | u32 nonce | u32 version | bytes extranonce1 | bytes extranonce2] |
 *     str jobmanager | str jobId | str currency | str algo | str port | str address | str worker |
 *     u8 auxCount | auxCount × str auxCurrency
 *
 * A core reads both versions (a rolling upgrade); a v1 record decodes with an empty proof.
 */
import { ContractError } from "./error.ts";

/** The version this code writes by default; `decodeShareBatch` reads 1 and 2. */
export const SHARE_BATCH_VERSION = 2;
export type ShareBatchVersion = 1 | 2;
/** Longest extranonce1 / extranonce2 a proof may carry (jobs allow 16 bytes each). */
export const MAX_PROOF_EXTRANONCE = 32;
const MAGIC = 0x53;
const MAX_STR = 255;
/** The largest batch an edge sends; bigger inputs are split by the writer's caller. */
export const MAX_BATCH_RECORDS = 4096;

/**
 * The largest difficulty a record may carry: far above any pool's (2^64), and small enough that
 * 2^32 such shares still sum to a finite double, so no total can overflow to Infinity.
 */
export const MAX_DIFFICULTY = 2 ** 64;
/** Latest share time a record may carry (year 5138): any finite clock fits, garbage does not. */
export const MAX_TIME_MS = 1e14;

/** Share outcomes. The first four are PowerPool's share types and SimpleCoin key names (spec §3.1). */
export const ShareResult = { acc: 0, dup: 1, low: 2, stale: 3, invalid: 4 } as const;
export type ShareResult = (typeof ShareResult)[keyof typeof ShareResult];
export const SHARE_RESULT_NAMES = ["acc", "dup", "low", "stale", "invalid"] as const;

export interface ShareRecordV1 {
  /** Per edge session, strictly increasing from 1. */
  seq: number;
  result: ShareResult;
  /** The difficulty the job id was issued at (spec §2.6), not the connection's current one. */
  difficulty: number;
  /** ms since the epoch when the share reached the edge. */
  time: number;
  jobmanager: string;
  /** Core job id; empty when the job id was unknown to the edge. */
  jobId: string;
  /** The coin credited (a switching port's shares go to the coin their job was for). */
  currency: string;
  algo: string;
  /** Stratum port key. */
  port: string;
  address: string;
  worker: string;
  /** Aux currencies of the job, credited as merged shares (PowerPool's report_merge). */
  aux: readonly string[];
}

/**
 * What the miner hashed, as the edge checked it: with the job (which the core keeps) it rebuilds
 * the coinbase (coinb1 ‖ extranonce1 ‖ extranonce2 ‖ coinb2), the header and the PoW hash.
 * Empty extranonces mean no proof: a v1 record, or a share refused before it had a job.
 * On a Stratum V2 standard channel extranonce1 is the channel's extranonce1 and extranonce2 is
 * zeros of the job's extranonce2 size (the pool fixes the whole coinbase); on an extended channel
 * they are its real split. Either way their lengths are the job's extranonce1/extranonce2 sizes.
 */
export interface ShareProof {
  extranonce1: Uint8Array;
  extranonce2: Uint8Array;
  ntime: number;
  nonce: number;
  /** The header's version as hashed (rolled bits applied). */
  version: number;
}

export type ShareRecord = ShareRecordV1 & ShareProof;

export const EMPTY_PROOF: Readonly<ShareProof> = Object.freeze({ extranonce1: new Uint8Array(0), extranonce2: new Uint8Array(0), ntime: 0, nonce: 0, version: 0 });

export interface ShareBatch {
  readonly v: ShareBatchVersion;
  readonly edge: string;
  /** 8 lower-case hex chars, new every edge start. */
  readonly session: string;
  readonly records: ShareRecord[];
}

/** The version byte of an encoded batch (undefined when it is not one), without decoding it. */
export function shareBatchVersion(bytes: Uint8Array): number | undefined {
  return bytes.length >= 4 && bytes[0] === MAGIC ? bytes[1] : undefined;
}

/** Appends records into one growing, reused buffer; `finish()` returns a copy to hand to Redis. */
export class ShareBatchWriter {
  private buf = new Uint8Array(64 * 1024);
  private view = new DataView(this.buf.buffer);
  private pos = 0;
  private countAt = 0;
  private n = 0;
  private readonly encoder = new TextEncoder();

  constructor(
    private readonly edge: string,
    private readonly session: string,
    /** 1 only for a core that predates contract v2 (no proof is written). */
    readonly version: ShareBatchVersion = SHARE_BATCH_VERSION,
  ) {
    this.reset();
  }

  get count(): number {
    return this.n;
  }

  /** Bytes used so far, to cap a batch by size as well as by count. */
  get byteLength(): number {
    return this.pos;
  }

  /** Proof fields missing from `r` are written empty (a record refused before it had a job). */
  add(r: ShareRecordV1 & Partial<ShareProof>): void {
    if (this.n >= MAX_BATCH_RECORDS) throw new RangeError(`ShareBatchWriter.add: expected at most ${MAX_BATCH_RECORDS} records, got one more`);
    if (r.aux.length > 255) throw new RangeError(`ShareBatchWriter.add: expected at most 255 aux currencies, got ${r.aux.length}`);
    // The reader refuses these anyway; refusing them here keeps one bad record out of a batch of good ones.
    if (!Number.isSafeInteger(r.seq) || r.seq < 1) throw new RangeError(`ShareBatchWriter.add: seq expected a positive integer, got ${r.seq}`);
    if (!(r.difficulty > 0 && r.difficulty <= MAX_DIFFICULTY)) throw new RangeError(`ShareBatchWriter.add: difficulty expected a number in (0, ${MAX_DIFFICULTY}], got ${r.difficulty}`);
    if (!(r.time >= 0 && r.time <= MAX_TIME_MS)) throw new RangeError(`ShareBatchWriter.add: time expected ms since the epoch, got ${r.time}`);
    const start = this.pos;
    this.ensure(32 + 14 + 2 * MAX_PROOF_EXTRANONCE + 7 * (MAX_STR * 3 + 1));
    this.view.setFloat64(this.pos, r.seq, true);
    this.buf[this.pos + 8] = r.result;
    this.view.setFloat64(this.pos + 9, r.difficulty, true);
    this.view.setFloat64(this.pos + 17, r.time, true);
    this.pos += 25;
    try {
      if (this.version >= 2) {
        this.view.setUint32(this.pos, (r.ntime ?? 0) >>> 0, true);
        this.view.setUint32(this.pos + 4, (r.nonce ?? 0) >>> 0, true);
        this.view.setUint32(this.pos + 8, (r.version ?? 0) >>> 0, true);
        this.pos += 12;
        this.bytes(r.extranonce1, "extranonce1");
        this.bytes(r.extranonce2, "extranonce2");
      }
      this.str(r.jobmanager, "jobmanager");
      this.str(r.jobId, "jobId");
      this.str(r.currency, "currency");
      this.str(r.algo, "algo");
      this.str(r.port, "port");
      this.str(r.address, "address");
      this.str(r.worker, "worker");
      this.ensure(1 + r.aux.length * (MAX_STR * 3 + 1));
      this.buf[this.pos++] = r.aux.length;
      for (const a of r.aux) this.str(a, "aux");
    } catch (e) {
      this.pos = start;
      throw e;
    }
    this.n++;
    this.view.setUint16(this.countAt, this.n, true);
  }

  /** The encoded batch (a copy), and the writer starts a new one. */
  finish(): Uint8Array {
    const out = this.buf.slice(0, this.pos);
    this.reset();
    return out;
  }

  private reset(): void {
    this.pos = 0;
    this.n = 0;
    this.buf[0] = MAGIC;
    this.buf[1] = this.version;
    this.countAt = 2;
    this.view.setUint16(2, 0, true);
    this.pos = 4;
    this.str(this.edge, "edge");
    this.str(this.session, "session");
  }

  private bytes(b: Uint8Array | undefined, field: string): void {
    const len = b?.length ?? 0;
    if (len > MAX_PROOF_EXTRANONCE) throw new RangeError(`ShareBatchWriter: ${field} expected at most ${MAX_PROOF_EXTRANONCE} bytes, got ${len}`);
    this.buf[this.pos] = len;
    if (b && len > 0) this.buf.set(b, this.pos + 1);
    this.pos += 1 + len;
  }

  private str(s: string, field: string): void {
    const len = utf8Length(s);
    if (len > MAX_STR) throw new RangeError(`ShareBatchWriter: ${field} expected at most ${MAX_STR} UTF-8 bytes, got ${len}`);
    this.ensure(1 + len);
    const at = this.pos + 1;
    let written = len;
    if (len === s.length) {
      // ASCII (addresses, workers, keys): copy code units, no view or encoder call per string.
      for (let i = 0; i < len; i++) this.buf[at + i] = s.charCodeAt(i);
    } else {
      // A lone surrogate encodes as U+FFFD, so trust what the encoder wrote.
      written = this.encoder.encodeInto(s, this.buf.subarray(at, at + len)).written;
    }
    this.buf[this.pos] = written;
    this.pos = at + written;
  }

  private ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + extra));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
}

function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/**
 * Parses a batch of either version; throws ContractError on anything malformed (truncation, bad
 * magic, unknown version, trailing bytes). Proof extranonces are views into `bytes`, not copies.
 */
export function decodeShareBatch(bytes: Uint8Array): ShareBatch {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let pos = 0;
  const need = (n: number, what: string) => {
    if (pos + n > bytes.length) throw new ContractError("share batch", `truncated at byte ${pos} reading ${what} (length ${bytes.length})`);
  };
  const str = (what: string): string => {
    need(1, what);
    const len = bytes[pos] ?? 0;
    need(1 + len, what);
    try {
      const s = decoder.decode(bytes.subarray(pos + 1, pos + 1 + len));
      pos += 1 + len;
      return s;
    } catch {
      throw new ContractError("share batch", `${what} at byte ${pos} is not UTF-8`);
    }
  };
  need(4, "header");
  if (bytes[0] !== MAGIC) throw new ContractError("share batch", `expected magic 0x53, got 0x${(bytes[0] ?? 0).toString(16)}`);
  const version = bytes[1];
  if (version !== 1 && version !== 2) throw new ContractError("share batch", `expected version 1 or 2, got ${version}`);
  const count = view.getUint16(2, true);
  pos = 4;
  const edge = str("edge");
  const session = str("session");
  if (!/^[0-9a-f]{8}$/.test(session)) throw new ContractError("share batch", `session: expected 8 hex chars, got ${JSON.stringify(session)}`);
  const records: ShareRecord[] = [];
  const proofBytes = (what: string): Uint8Array => {
    need(1, what);
    const len = bytes[pos] ?? 0;
    if (len > MAX_PROOF_EXTRANONCE) throw new ContractError("share batch", `${what} at byte ${pos}: expected at most ${MAX_PROOF_EXTRANONCE} bytes, got ${len}`);
    need(1 + len, what);
    const out = bytes.subarray(pos + 1, pos + 1 + len);
    pos += 1 + len;
    return out;
  };
  for (let i = 0; i < count; i++) {
    need(25, `record ${i}`);
    const seq = view.getFloat64(pos, true);
    const result = bytes[pos + 8] ?? 255;
    const difficulty = view.getFloat64(pos + 9, true);
    const time = view.getFloat64(pos + 17, true);
    pos += 25;
    if (!Number.isSafeInteger(seq) || seq < 1) throw new ContractError("share batch", `record ${i}: seq expected a positive integer, got ${seq}`);
    if (result > ShareResult.invalid) throw new ContractError("share batch", `record ${i}: result expected 0..4, got ${result}`);
    if (!(difficulty > 0) || !Number.isFinite(difficulty)) throw new ContractError("share batch", `record ${i}: difficulty expected a positive number, got ${difficulty}`);
    if (!(time >= 0) || !Number.isFinite(time)) throw new ContractError("share batch", `record ${i}: time expected a time stamp, got ${time}`);
    let proof: ShareProof = EMPTY_PROOF;
    if (version === 2) {
      need(12, `record ${i} proof`);
      const ntime = view.getUint32(pos, true);
      const nonce = view.getUint32(pos + 4, true);
      const ver = view.getUint32(pos + 8, true);
      pos += 12;
      const extranonce1 = proofBytes(`record ${i} extranonce1`);
      const extranonce2 = proofBytes(`record ${i} extranonce2`);
      proof = { extranonce1, extranonce2, ntime, nonce, version: ver };
    }
    const jobmanager = str("jobmanager");
    const jobId = str("jobId");
    const currency = str("currency");
    const algo = str("algo");
    const port = str("port");
    const address = str("address");
    const worker = str("worker");
    need(1, "aux count");
    const auxCount = bytes[pos++] ?? 0;
    const aux: string[] = [];
    for (let a = 0; a < auxCount; a++) aux.push(str("aux"));
    records.push({ seq, result: result as ShareResult, difficulty, time, jobmanager, jobId, currency, algo, port, address, worker, aux, ...proof });
  }
  if (pos !== bytes.length) throw new ContractError("share batch", `expected ${pos} bytes for ${count} records, got ${bytes.length}`);
  return { v: version, edge, session, records };
}
