/**
 * @module Share records, edge → core, packed many to a stream entry.
 *
 * This is the hot path (every share of every miner), so it is a binary layout written into one
 * reusable buffer instead of JSON per share: the edge appends records as they are classified and
 * sends one stream entry per batch. Each record carries the edge's session and a sequence number,
 * which together identify it for exactly-once accounting (a spooled batch replayed after a Redis
 * outage repeats the same ids).
 *
 * Layout (all integers little-endian; `str` = u8 length + UTF-8 bytes):
 *   u8 'S' (0x53) | u8 version | u16 count | str edge | str session
 *   count × record:
 *     f64 seq | u8 result | f64 difficulty | f64 time (ms) |
 *     str jobmanager | str jobId | str currency | str algo | str port | str address | str worker |
 *     u8 auxCount | auxCount × str auxCurrency
 */
import { ContractError } from "./error.ts";

export const SHARE_BATCH_VERSION = 1;
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

export interface ShareBatchV1 {
  readonly v: typeof SHARE_BATCH_VERSION;
  readonly edge: string;
  /** 8 lower-case hex chars, new every edge start. */
  readonly session: string;
  readonly records: ShareRecordV1[];
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

  add(r: ShareRecordV1): void {
    if (this.n >= MAX_BATCH_RECORDS) throw new RangeError(`ShareBatchWriter.add: expected at most ${MAX_BATCH_RECORDS} records, got one more`);
    if (r.aux.length > 255) throw new RangeError(`ShareBatchWriter.add: expected at most 255 aux currencies, got ${r.aux.length}`);
    // The reader refuses these anyway; refusing them here keeps one bad record out of a batch of good ones.
    if (!Number.isSafeInteger(r.seq) || r.seq < 1) throw new RangeError(`ShareBatchWriter.add: seq expected a positive integer, got ${r.seq}`);
    if (!(r.difficulty > 0 && r.difficulty <= MAX_DIFFICULTY)) throw new RangeError(`ShareBatchWriter.add: difficulty expected a number in (0, ${MAX_DIFFICULTY}], got ${r.difficulty}`);
    if (!(r.time >= 0 && r.time <= MAX_TIME_MS)) throw new RangeError(`ShareBatchWriter.add: time expected ms since the epoch, got ${r.time}`);
    const start = this.pos;
    this.ensure(32 + 7 * (MAX_STR * 3 + 1));
    this.view.setFloat64(this.pos, r.seq, true);
    this.buf[this.pos + 8] = r.result;
    this.view.setFloat64(this.pos + 9, r.difficulty, true);
    this.view.setFloat64(this.pos + 17, r.time, true);
    this.pos += 25;
    try {
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
    this.buf[1] = SHARE_BATCH_VERSION;
    this.countAt = 2;
    this.view.setUint16(2, 0, true);
    this.pos = 4;
    this.str(this.edge, "edge");
    this.str(this.session, "session");
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

/** Parses a batch; throws ContractError on anything malformed (truncation, bad magic, bad version, trailing bytes). */
export function decodeShareBatch(bytes: Uint8Array): ShareBatchV1 {
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
  if (bytes[1] !== SHARE_BATCH_VERSION) throw new ContractError("share batch", `expected version ${SHARE_BATCH_VERSION}, got ${bytes[1]}`);
  const count = view.getUint16(2, true);
  pos = 4;
  const edge = str("edge");
  const session = str("session");
  if (!/^[0-9a-f]{8}$/.test(session)) throw new ContractError("share batch", `session: expected 8 hex chars, got ${JSON.stringify(session)}`);
  const records: ShareRecordV1[] = [];
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
    records.push({ seq, result: result as ShareResult, difficulty, time, jobmanager, jobId, currency, algo, port, address, worker, aux });
  }
  if (pos !== bytes.length) throw new ContractError("share batch", `expected ${pos} bytes for ${count} records, got ${bytes.length}`);
  return { v: SHARE_BATCH_VERSION, edge, session, records };
}
