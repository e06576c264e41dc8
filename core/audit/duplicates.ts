/**
 * @module Exact duplicates of accepted shares across the core's edges: one set per job of the
 * proofs (extranonce1, extranonce2, ntime, nonce, version) of accepted v2 records that passed. A
 * proof seen again under another (edge, session, seq) is a duplicate: the same work credited twice
 * (an edge replaying another edge's shares, or its own under new seqs). The same (edge, session,
 * seq) again is the entry replayed (a spool after an outage, a retry): not a duplicate.
 *
 * Every accepted record passes through here, so the sets are open-addressing tables in typed
 * arrays (no string or object per record): an entry is its hash, the proof's bytes as words
 * (compared in full: exact, whatever the hash), the source (edge and session, numbered) and seq.
 *
 * A batch claims its proofs as it is read (one probe a record; a proof twice in one batch is a
 * duplicate at once), then `keep`s them when it passed its audit or `withdraw`s them when it failed.
 *
 * Bounded: at most `maxJobs` jobs and `maxKeys` proofs in all; the least recently used job's set
 * goes first, and sets idle longer than `idleMs` (their job long ended) go at the next new job.
 */
import type { ShareProof } from "../../shared/contract/index.ts";

export interface DuplicateProofsOptions {
  readonly maxJobs?: number;
  /** Default 1 M proofs: about 80 MB. */
  readonly maxKeys?: number;
  readonly idleMs?: number;
}

/** Longest proof key: u8 extranonce1 length, 12 bytes of ntime/nonce/version, 2 × 32 extranonce bytes. */
const MAX_KEY_WORDS = Math.ceil((1 + 12 + 64) / 4);
const OWNER_WORDS = 3; // source, seq low, seq high

/** One job's proofs of one key width. */
class ProofTable {
  /** Per slot: hash (0 = empty), key words, source (0 = withdrawn), seq low, seq high. */
  private slots: Uint32Array;
  private mask: number;
  private used = 0;
  private readonly stride: number;

  /** Entries held (withdrawn ones included until the next growth). */
  get size(): number {
    return this.used;
  }

  constructor(readonly words: number, capacity = 1024) {
    this.stride = 1 + words + OWNER_WORDS;
    this.slots = new Uint32Array(capacity * this.stride);
    this.mask = capacity - 1;
  }

  /**
   * One probe: the slot already holding `key` (as `-1 - slot`), or the new slot it was put in
   * with this owner. Withdrawn entries are skipped, never matched.
   */
  claim(key: Uint32Array, hash: number, source: number, seq: number): number {
    if ((this.used + 1) * 2 > this.mask + 1) this.grow();
    const s = this.slots;
    const stride = this.stride;
    const w = this.words;
    let i = hash & this.mask;
    for (; ; i = (i + 1) & this.mask) {
      const at = i * stride;
      const h = s[at]!;
      if (h === 0) break;
      if (h !== hash || s[at + 1 + w] === 0) continue;
      let same = true;
      for (let k = 0; k < w; k++) {
        if (s[at + 1 + k] !== key[k]) {
          same = false;
          break;
        }
      }
      if (same) return -1 - i;
    }
    const at = i * stride;
    s[at] = hash;
    for (let k = 0; k < w; k++) s[at + 1 + k] = key[k]!;
    s[at + 1 + w] = source;
    s[at + 2 + w] = seq % 0x1_0000_0000;
    s[at + 3 + w] = Math.floor(seq / 0x1_0000_0000);
    this.used++;
    return i;
  }

  source(slot: number): number {
    return this.slots[slot * this.stride + 1 + this.words]!;
  }

  seq(slot: number): number {
    const at = slot * this.stride + 2 + this.words;
    return this.slots[at]! + this.slots[at + 1]! * 0x1_0000_0000;
  }

  /** Takes back a claim (its batch failed): the slot stays occupied, never matches again. */
  withdraw(slot: number): void {
    this.slots[slot * this.stride + 1 + this.words] = 0;
  }

  private grow(): void {
    const old = this.slots;
    const stride = this.stride;
    const capacity = (this.mask + 1) * 2;
    const next = new Uint32Array(capacity * stride);
    const mask = capacity - 1;
    let used = 0;
    for (let from = 0; from < old.length; from += stride) {
      // Withdrawn entries are dropped here.
      if (old[from] === 0 || old[from + 1 + this.words] === 0) continue;
      let i = old[from]! & mask;
      while (next[i * stride] !== 0) i = (i + 1) & mask;
      const to = i * stride;
      for (let k = 0; k < stride; k++) next[to + k] = old[from + k]!;
      used++;
    }
    this.slots = next;
    this.mask = mask;
    this.used = used;
  }
}

interface JobSet {
  /** By key width in words (forged proofs may have other extranonce sizes than the job's). */
  readonly tables: Map<number, ProofTable>;
  size: number;
  touched: number;
  /** False once dropped: its proofs no longer count. */
  live: boolean;
}

/** One batch's claims, kept or withdrawn when its audit is done (batches of several edges interleave). */
export class BatchClaims {
  /** Slots claimed, in order; `runs` says from which index on they are of which table and job set. */
  readonly slots: number[] = [];
  readonly runs: { readonly from: number; readonly table: ProofTable; readonly set: JobSet }[] = [];

  constructor(
    private readonly owner: DuplicateProofs,
    readonly source: number,
  ) {}

  /** See DuplicateProofs.claim. */
  claim(jobId: string, p: ShareProof, seq: number, nowMs: number): "new" | "duplicate" | "replay" {
    return this.owner.claim(this, jobId, p, seq, nowMs);
  }

  /** See DuplicateProofs.claimEncoded. */
  claimEncoded(jobId: string, bytes: Uint8Array, at: number, seq: number, nowMs: number): "new" | "duplicate" | "replay" {
    return this.owner.claimEncoded(this, jobId, bytes, at, seq, nowMs);
  }

  /** The batch passed: its claims stay. */
  keep(): void {
    this.owner.keep(this);
  }

  /** The batch failed: its claims are taken back. */
  withdraw(): void {
    this.owner.withdraw(this);
  }
}

export class DuplicateProofs {
  private readonly jobs = new Map<string, JobSet>();
  private readonly sources = new Map<string, number>();
  private total = 0;
  private readonly maxJobs: number;
  private readonly maxKeys: number;
  private readonly idleMs: number;
  /** The proof being looked up, as bytes and as words (one buffer). */
  private readonly scratch = new Uint32Array(MAX_KEY_WORDS);
  private readonly scratchBytes = new Uint8Array(this.scratch.buffer);
  /** The last job and table looked up: a batch's records come in runs of one job. */
  private lastJob = "";
  private lastSet: JobSet | undefined;
  private lastTable: ProofTable | undefined;

  constructor(o: DuplicateProofsOptions = {}) {
    this.maxJobs = o.maxJobs ?? 1024;
    this.maxKeys = o.maxKeys ?? 1_000_000;
    this.idleMs = o.idleMs ?? 2 * 3_600_000;
  }

  /** Proofs held, over all jobs. */
  get size(): number {
    return this.total;
  }

  get jobCount(): number {
    return this.jobs.size;
  }

  /** Starts a batch of (edge, session): its records' proofs are claimed through the result. */
  begin(edge: string, session: string): BatchClaims {
    const key = `${edge}\0${session}`;
    let id = this.sources.get(key);
    if (id === undefined) {
      id = this.sources.size + 1;
      this.sources.set(key, id);
    }
    return new BatchClaims(this, id);
  }

  /**
   * A record's proof: "duplicate" when another owner holds it, "replay" when this very record
   * does, else "new" — and then it is held for this record until the batch withdraws it.
   */
  claim(batch: BatchClaims, jobId: string, p: ShareProof, seq: number, nowMs: number): "new" | "duplicate" | "replay" {
    return this.claimPacked(batch, jobId, this.pack(p), seq, nowMs);
  }

  /**
   * The same for a proof as a share batch encodes it (u32 ntime | u32 nonce | u32 version |
   * u8-length extranonce1 | u8-length extranonce2, from `at`; the batch was checked): no objects made.
   */
  claimEncoded(batch: BatchClaims, jobId: string, bytes: Uint8Array, at: number, seq: number, nowMs: number): "new" | "duplicate" | "replay" {
    return this.claimPacked(batch, jobId, this.packEncoded(bytes, at), seq, nowMs);
  }

  private claimPacked(batch: BatchClaims, jobId: string, words: number, seq: number, nowMs: number): "new" | "duplicate" | "replay" {
    const last = this.lastSet;
    const set = jobId === this.lastJob && last?.live ? last : this.jobSet(jobId, nowMs);
    let table = set.tables.get(words);
    if (!table) {
      // Sized like the last job's table of this width: jobs of a pool see similar share counts, and
      // growing a table of a busy job from small costs more than all its lookups.
      const previous = this.lastTable?.words === words ? this.lastTable.size : 0;
      table = new ProofTable(words, Math.min(1 << 20, Math.max(1024, nextPow2(2 * previous))));
      set.tables.set(words, table);
    }
    this.lastTable = table;
    const source = batch.source;
    const slot = table.claim(this.scratch, hashWords(this.scratch, words), source, seq);
    if (slot < 0) return table.source(-1 - slot) === source && table.seq(-1 - slot) === seq ? "replay" : "duplicate";
    set.size++;
    this.total++;
    const run = batch.runs[batch.runs.length - 1];
    if (run?.table !== table) batch.runs.push({ from: batch.slots.length, table, set });
    batch.slots.push(slot);
    return "new";
  }

  keep(batch: BatchClaims): void {
    clear(batch);
    while (this.total > this.maxKeys && this.jobs.size > 1) this.dropOldest();
  }

  withdraw(batch: BatchClaims): void {
    for (let r = 0; r < batch.runs.length; r++) {
      const { from, table, set } = batch.runs[r]!;
      const to = batch.runs[r + 1]?.from ?? batch.slots.length;
      for (let i = from; i < to; i++) table.withdraw(batch.slots[i]!);
      set.size -= to - from;
      if (set.live) this.total -= to - from;
    }
    clear(batch);
  }

  drop(jobId: string): void {
    const set = this.jobs.get(jobId);
    if (!set) return;
    this.total -= set.size;
    set.live = false;
    this.jobs.delete(jobId);
  }

  /** The job's set, marked most recently used (Map order), made if new. */
  private jobSet(jobId: string, nowMs: number): JobSet {
    let set = this.jobs.get(jobId);
    if (set) {
      this.jobs.delete(jobId);
    } else {
      this.evict(nowMs);
      set = { tables: new Map(), size: 0, touched: nowMs, live: true };
    }
    set.touched = nowMs;
    this.jobs.set(jobId, set);
    this.lastJob = jobId;
    this.lastSet = set;
    return set;
  }

  /** Packs the proof into `scratch`; returns its length in words. */
  private pack(p: ShareProof): number {
    const b = this.scratchBytes;
    const e1 = p.extranonce1;
    const e2 = p.extranonce2;
    b[0] = e1.length;
    let at = 1;
    for (let i = 0; i < e1.length; i++) b[at++] = e1[i]!;
    for (let i = 0; i < e2.length; i++) b[at++] = e2[i]!;
    at = putU32(b, at, p.ntime);
    at = putU32(b, at, p.nonce);
    at = putU32(b, at, p.version);
    const words = (at + 3) >>> 2;
    while (at < words * 4) b[at++] = 0;
    return words;
  }

  /** pack() of the encoded proof at `at`: the same key bytes (the encoding's integers are little-endian too). */
  private packEncoded(src: Uint8Array, at: number): number {
    const b = this.scratchBytes;
    let from = at + 12;
    const n1 = src[from++]!;
    b[0] = n1;
    let to = 1;
    for (let i = 0; i < n1; i++) b[to++] = src[from++]!;
    const n2 = src[from++]!;
    for (let i = 0; i < n2; i++) b[to++] = src[from++]!;
    for (let i = 0; i < 12; i++) b[to++] = src[at + i]!;
    const words = (to + 3) >>> 2;
    while (to < words * 4) b[to++] = 0;
    return words;
  }

  private evict(nowMs: number): void {
    for (const [id, set] of this.jobs) {
      if (nowMs - set.touched <= this.idleMs) break;
      this.drop(id);
    }
    while (this.jobs.size >= this.maxJobs) this.dropOldest();
  }

  private dropOldest(): void {
    const oldest = this.jobs.keys().next().value;
    if (oldest !== undefined) this.drop(oldest);
  }
}

function clear(batch: BatchClaims): void {
  batch.slots.length = 0;
  batch.runs.length = 0;
}

function nextPow2(n: number): number {
  return n <= 1 ? 1 : 2 ** Math.ceil(Math.log2(n));
}

function putU32(b: Uint8Array, at: number, v: number): number {
  b[at] = v & 0xff;
  b[at + 1] = (v >>> 8) & 0xff;
  b[at + 2] = (v >>> 16) & 0xff;
  b[at + 3] = (v >>> 24) & 0xff;
  return at + 4;
}

/** A non-zero 32-bit hash of the first `n` words (murmur3's mixing). */
function hashWords(w: Uint32Array, n: number): number {
  let h = 0x9747b28c ^ n;
  for (let i = 0; i < n; i++) {
    let k = Math.imul(w[i]!, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0 || 1;
}
