/**
 * @module A share batch as the audit reads it (shared/contract/share-batch.ts layout), without
 * decoding it. The audit looks at every record's result, seq, job id, algorithm and proof, but
 * re-hashes about one accepted record in a hundred; decodeShareBatch makes seven strings and an
 * object per record, which cost the gate more than the audit itself (bench:ingest). The scan
 * checks the structure as decodeShareBatch does (same ContractErrors: truncation, magic, version,
 * session, seq, result, difficulty, time, proof sizes, trailing bytes), reads job ids and algorithms
 * as strings only when they differ from the previous record's, and leaves the other strings as
 * bytes: a record the audit draws is decoded by decodeShareBatch itself (`record(i)`), and the
 * accounting decodes every record anyway (dead-lettering an entry whose strings are not UTF-8).
 *
 * It is also a ShareBatch: `records` decodes the whole batch on first use, for auditors that want
 * the records.
 */
import { ContractError, decodeShareBatch, MAX_PROOF_EXTRANONCE, ShareResult, type ShareBatch, type ShareBatchVersion, type ShareRecord } from "../../shared/contract/index.ts";

import type { BatchClaims } from "./duplicates.ts";

const MAGIC = 0x53;
const COLS = 4;
const decoder = new TextDecoder("utf-8", { fatal: true });
/** f64 reads without a DataView per batch (one-record entries are common): little-endian bytes in, on any host. */
const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;
function readF64(bytes: Uint8Array, at: number): number {
  if (LITTLE_ENDIAN) for (let k = 0; k < 8; k++) f64Bytes[k] = bytes[at + k]!;
  else for (let k = 0; k < 8; k++) f64Bytes[7 - k] = bytes[at + k]!;
  return f64[0]!;
}
/** The last header's edge and session: an edge stream's entries all carry the same ones. */
let lastHeader = new Uint8Array(0);
let lastEdge = "";
let lastSession = "";

export class ScannedShareBatch implements ShareBatch {
  readonly v: ShareBatchVersion;
  readonly edge: string;
  readonly session: string;
  readonly count: number;
  /**
   * Per record (one array: one-record entries are common): where it starts, where its v2 proof
   * starts (u32 ntime | u32 nonce | u32 version | extranonce1 | extranonce2), its seq and result;
   * then where the last record ends.
   */
  private readonly cols: Float64Array;
  private readonly jobIds: string[];
  private readonly algos: string[];
  private readonly headerEnd: number;
  private decoded: ShareRecord[] | undefined;

  /** Throws ContractError where decodeShareBatch would for the structure (see the module). */
  constructor(readonly bytes: Uint8Array) {
    const length = bytes.length;
    let pos = 0;
    // `what` is named with the record's index (when rec ≥ 0) only on a throw: no string made per record.
    const need = (n: number, what: string, rec = -1) => {
      if (pos + n > length) throw new ContractError("share batch", `truncated at byte ${pos} reading ${rec >= 0 ? `record ${rec}${what}` : what} (length ${length})`);
    };
    /** Skips a `str`/`bytes` field; returns its length. */
    const skip = (what: string, rec = -1): number => {
      need(1, what, rec);
      const len = bytes[pos]!;
      need(1 + len, what, rec);
      pos += 1 + len;
      return len;
    };
    const str = (what: string): string => {
      const at = pos;
      const len = skip(what);
      try {
        return decoder.decode(bytes.subarray(at + 1, at + 1 + len));
      } catch {
        throw new ContractError("share batch", `${what} at byte ${at} is not UTF-8`);
      }
    };
    need(4, "header");
    if (bytes[0] !== MAGIC) throw new ContractError("share batch", `expected magic 0x53, got 0x${(bytes[0] ?? 0).toString(16)}`);
    const version = bytes[1];
    if (version !== 1 && version !== 2) throw new ContractError("share batch", `expected version 1 or 2, got ${version}`);
    this.v = version;
    const count = bytes[2]! | (bytes[3]! << 8);
    this.count = count;
    pos = 4;
    if (sameHeader(bytes)) {
      pos = lastHeader.length;
      this.edge = lastEdge;
      this.session = lastSession;
    } else {
      this.edge = str("edge");
      this.session = str("session");
      if (!/^[0-9a-f]{8}$/.test(this.session)) throw new ContractError("share batch", `session: expected 8 hex chars, got ${JSON.stringify(this.session)}`);
      lastHeader = bytes.slice(0, pos);
      lastEdge = this.edge;
      lastSession = this.session;
    }
    this.headerEnd = pos;
    const cols = new Float64Array(count * COLS + 1);
    this.cols = cols;
    this.jobIds = new Array<string>(count);
    this.algos = new Array<string>(count);
    for (let i = 0; i < count; i++) {
      cols[i * COLS] = pos;
      need(25, "", i);
      const seq = readF64(bytes, pos);
      const result = bytes[pos + 8]!;
      const difficulty = readF64(bytes, pos + 9);
      const time = readF64(bytes, pos + 17);
      pos += 25;
      if (!Number.isSafeInteger(seq) || seq < 1) throw new ContractError("share batch", `record ${i}: seq expected a positive integer, got ${seq}`);
      if (result > ShareResult.invalid) throw new ContractError("share batch", `record ${i}: result expected 0..4, got ${result}`);
      if (!(difficulty > 0) || !Number.isFinite(difficulty)) throw new ContractError("share batch", `record ${i}: difficulty expected a positive number, got ${difficulty}`);
      if (!(time >= 0) || !Number.isFinite(time)) throw new ContractError("share batch", `record ${i}: time expected a time stamp, got ${time}`);
      cols[i * COLS + 2] = seq;
      cols[i * COLS + 3] = result;
      if (version === 2) {
        need(12, " proof", i);
        cols[i * COLS + 1] = pos;
        pos += 12;
        for (let e = 1; e <= 2; e++) {
          if (pos < length && bytes[pos]! > MAX_PROOF_EXTRANONCE) throw new ContractError("share batch", `record ${i} extranonce${e} at byte ${pos}: expected at most ${MAX_PROOF_EXTRANONCE} bytes, got ${bytes[pos]}`);
          skip(e === 1 ? " extranonce1" : " extranonce2", i);
        }
      }
      skip("jobmanager");
      // Records come in runs of one job and algorithm (entries of a stream too): a string is made once a run.
      let at = pos;
      if (lastJobId.matches(bytes, at)) {
        this.jobIds[i] = lastJobId.value;
        skip("jobId");
      } else this.jobIds[i] = lastJobId.remember(bytes, at, str("jobId"));
      skip("currency");
      at = pos;
      if (lastAlgo.matches(bytes, at)) {
        this.algos[i] = lastAlgo.value;
        skip("algo");
      } else this.algos[i] = lastAlgo.remember(bytes, at, str("algo"));
      skip("port");
      skip("address");
      skip("worker");
      need(1, "aux count");
      const auxCount = bytes[pos++]!;
      for (let a = 0; a < auxCount; a++) skip("aux");
    }
    cols[count * COLS] = pos;
    if (pos !== length) throw new ContractError("share batch", `expected ${pos} bytes for ${count} records, got ${length}`);
  }

  /** Every record, decoded (once). */
  get records(): ShareRecord[] {
    return (this.decoded ??= decodeShareBatch(this.bytes).records);
  }

  result(i: number): number {
    return this.cols[i * COLS + 3]!;
  }

  seq(i: number): number {
    return this.cols[i * COLS + 2]!;
  }

  jobId(i: number): string {
    return this.jobIds[i]!;
  }

  algo(i: number): string {
    return this.algos[i]!;
  }

  /** v2: where record i's proof starts in `bytes` (DuplicateProofs.claimEncoded reads it there); -1 for v1. */
  proofAt(i: number): number {
    return this.v === 2 ? this.cols[i * COLS + 1]! : -1;
  }

  /** Whether record i carries a proof (v2, some extranonce bytes). */
  hasProof(i: number): boolean {
    if (this.v !== 2) return false;
    const at = this.cols[i * COLS + 1]! + 12;
    return this.bytes[at] !== 0 || this.bytes[at + 1 + this.bytes[at]!] !== 0;
  }

  /** (length, first two bytes) of record i's extranonce1 (v2; 0 for v1), read where it is encoded. */
  extranonce1Key(i: number): number {
    if (this.v !== 2) return 0;
    const at = this.cols[i * COLS + 1]! + 12;
    return extranonce1Key(this.bytes, at + 1, this.bytes[at]!);
  }

  /** Record i's extranonce1 (a view into `bytes`; empty for v1). */
  extranonce1(i: number): Uint8Array {
    if (this.v !== 2) return new Uint8Array(0);
    const at = this.cols[i * COLS + 1]! + 12;
    return this.bytes.subarray(at + 1, at + 1 + this.bytes[at]!);
  }

  /** DuplicateProofs.claim of record i's proof, read where it is encoded (v2). */
  claim(claims: BatchClaims, i: number, nowMs: number): "new" | "duplicate" | "replay" {
    return claims.claimEncoded(this.jobIds[i]!, this.bytes, this.cols[i * COLS + 1]!, this.cols[i * COLS + 2]!, nowMs);
  }

  /** Record i, decoded by decodeShareBatch (as a batch of that record alone): every field checked. */
  record(i: number): ShareRecord {
    if (this.decoded) return this.decoded[i]!;
    const from = this.cols[i * COLS]!;
    const to = this.cols[(i + 1) * COLS]!;
    const one = new Uint8Array(this.headerEnd + (to - from));
    one.set(this.bytes.subarray(0, this.headerEnd), 0);
    one[2] = 1;
    one[3] = 0;
    one.set(this.bytes.subarray(from, to), this.headerEnd);
    return decodeShareBatch(one).records[0]!;
  }
}

/** Whether the batch's edge and session are the last checked header's (bytes 4 on; the count differs). */
function sameHeader(bytes: Uint8Array): boolean {
  const n = lastHeader.length;
  if (n === 0 || bytes.length < n) return false;
  for (let k = 4; k < n; k++) if (bytes[k] !== lastHeader[k]) return false;
  return true;
}

/** The last string of a field read, with its encoding (length byte and bytes). */
class LastString {
  private bytes = new Uint8Array(0);
  value = "";

  /** Whether the `str` field at `at` is this one (then its bytes are all there). */
  matches(src: Uint8Array, at: number): boolean {
    const b = this.bytes;
    const n = b.length;
    if (n === 0 || at + n > src.length) return false;
    for (let k = 0; k < n; k++) if (src[at + k] !== b[k]) return false;
    return true;
  }

  /** Remembers `value`, just decoded from the field at `at`. */
  remember(src: Uint8Array, at: number, value: string): string {
    this.bytes = src.slice(at, at + 1 + src[at]!);
    this.value = value;
    return value;
  }
}

const lastJobId = new LastString();
const lastAlgo = new LastString();

/** (length, first two bytes) of an extranonce1 at `at` in `bytes`, as one number. */
export function extranonce1Key(bytes: Uint8Array, at: number, n: number): number {
  return (n << 16) | ((n > 0 ? bytes[at]! : 0) << 8) | (n > 1 ? bytes[at + 1]! : 0);
}
