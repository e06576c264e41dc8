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

const MAGIC = 0x53;
const decoder = new TextDecoder("utf-8", { fatal: true });

export class ScannedShareBatch implements ShareBatch {
  readonly v: ShareBatchVersion;
  readonly edge: string;
  readonly session: string;
  readonly count: number;
  /** Where each record starts, then where the last one ends. */
  private readonly offsets: Int32Array;
  /** v2: where each record's proof starts (u32 ntime | u32 nonce | u32 version | extranonce1 | extranonce2). */
  private readonly proofs: Int32Array;
  private readonly results: Uint8Array;
  private readonly seqs: Float64Array;
  private readonly jobIds: string[];
  private readonly algos: string[];
  private readonly headerEnd: number;
  private decoded: ShareRecord[] | undefined;

  /** Throws ContractError where decodeShareBatch would for the structure (see the module). */
  constructor(readonly bytes: Uint8Array) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const length = bytes.length;
    let pos = 0;
    const need = (n: number, what: string) => {
      if (pos + n > length) throw new ContractError("share batch", `truncated at byte ${pos} reading ${what} (length ${length})`);
    };
    /** Skips a `str`/`bytes` field; returns its length. */
    const skip = (what: string): number => {
      need(1, what);
      const len = bytes[pos]!;
      need(1 + len, what);
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
    const count = view.getUint16(2, true);
    this.count = count;
    pos = 4;
    this.edge = str("edge");
    this.session = str("session");
    if (!/^[0-9a-f]{8}$/.test(this.session)) throw new ContractError("share batch", `session: expected 8 hex chars, got ${JSON.stringify(this.session)}`);
    this.headerEnd = pos;
    this.offsets = new Int32Array(count + 1);
    this.proofs = new Int32Array(count);
    this.results = new Uint8Array(count);
    this.seqs = new Float64Array(count);
    this.jobIds = new Array<string>(count);
    this.algos = new Array<string>(count);
    // Records of a batch come in runs of one job and one algorithm: their strings are made once a run.
    let jobAt = -1;
    let algoAt = -1;
    let jobId = "";
    let algo = "";
    for (let i = 0; i < count; i++) {
      this.offsets[i] = pos;
      need(25, `record ${i}`);
      const seq = view.getFloat64(pos, true);
      const result = bytes[pos + 8]!;
      const difficulty = view.getFloat64(pos + 9, true);
      const time = view.getFloat64(pos + 17, true);
      pos += 25;
      if (!Number.isSafeInteger(seq) || seq < 1) throw new ContractError("share batch", `record ${i}: seq expected a positive integer, got ${seq}`);
      if (result > ShareResult.invalid) throw new ContractError("share batch", `record ${i}: result expected 0..4, got ${result}`);
      if (!(difficulty > 0) || !Number.isFinite(difficulty)) throw new ContractError("share batch", `record ${i}: difficulty expected a positive number, got ${difficulty}`);
      if (!(time >= 0) || !Number.isFinite(time)) throw new ContractError("share batch", `record ${i}: time expected a time stamp, got ${time}`);
      this.seqs[i] = seq;
      this.results[i] = result;
      if (version === 2) {
        need(12, `record ${i} proof`);
        this.proofs[i] = pos;
        pos += 12;
        for (const what of ["extranonce1", "extranonce2"]) {
          if (pos < length && bytes[pos]! > MAX_PROOF_EXTRANONCE) throw new ContractError("share batch", `record ${i} ${what} at byte ${pos}: expected at most ${MAX_PROOF_EXTRANONCE} bytes, got ${bytes[pos]}`);
          skip(`record ${i} ${what}`);
        }
      }
      skip("jobmanager");
      if (jobAt < 0 || !sameStr(bytes, jobAt, pos)) {
        jobAt = pos;
        jobId = str("jobId");
      } else skip("jobId");
      this.jobIds[i] = jobId;
      skip("currency");
      if (algoAt < 0 || !sameStr(bytes, algoAt, pos)) {
        algoAt = pos;
        algo = str("algo");
      } else skip("algo");
      this.algos[i] = algo;
      skip("port");
      skip("address");
      skip("worker");
      need(1, "aux count");
      const auxCount = bytes[pos++]!;
      for (let a = 0; a < auxCount; a++) skip("aux");
    }
    this.offsets[count] = pos;
    if (pos !== length) throw new ContractError("share batch", `expected ${pos} bytes for ${count} records, got ${length}`);
  }

  /** Every record, decoded (once). */
  get records(): ShareRecord[] {
    return (this.decoded ??= decodeShareBatch(this.bytes).records);
  }

  result(i: number): number {
    return this.results[i]!;
  }

  seq(i: number): number {
    return this.seqs[i]!;
  }

  jobId(i: number): string {
    return this.jobIds[i]!;
  }

  algo(i: number): string {
    return this.algos[i]!;
  }

  /** v2: where record i's proof starts in `bytes` (DuplicateProofs.claimEncoded reads it there); -1 for v1. */
  proofAt(i: number): number {
    return this.v === 2 ? this.proofs[i]! : -1;
  }

  /** Whether record i carries a proof (v2, some extranonce bytes). */
  hasProof(i: number): boolean {
    if (this.v !== 2) return false;
    const at = this.proofs[i]! + 12;
    return this.bytes[at] !== 0 || this.bytes[at + 1 + this.bytes[at]!] !== 0;
  }

  /** Record i, decoded by decodeShareBatch (as a batch of that record alone): every field checked. */
  record(i: number): ShareRecord {
    if (this.decoded) return this.decoded[i]!;
    const from = this.offsets[i]!;
    const to = this.offsets[i + 1]!;
    const one = new Uint8Array(this.headerEnd + (to - from));
    one.set(this.bytes.subarray(0, this.headerEnd), 0);
    one[2] = 1;
    one[3] = 0;
    one.set(this.bytes.subarray(from, to), this.headerEnd);
    return decodeShareBatch(one).records[0]!;
  }
}

/** Whether the `str` fields at a and b hold the same bytes. */
function sameStr(bytes: Uint8Array, a: number, b: number): boolean {
  const len = bytes[a]!;
  if (bytes[b] !== len || b + len >= bytes.length) return false;
  for (let k = 1; k <= len; k++) if (bytes[a + k] !== bytes[b + k]) return false;
  return true;
}
