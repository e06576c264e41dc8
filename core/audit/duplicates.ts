/**
 * @module Exact duplicates of accepted shares across the core's edges: one set per job of the
 * proofs (extranonce1, extranonce2, ntime, nonce, version) of accepted v2 records that passed. A
 * proof seen again under another (edge, session, seq) is a duplicate: the same work credited twice
 * (an edge replaying another edge's shares, or its own under new seqs). The same (edge, session,
 * seq) again is the entry replayed (a spool after an outage, a retry): not a duplicate.
 *
 * Bounded: at most `maxJobs` jobs and `maxKeys` proofs in all; the least recently used job's set
 * goes first, and a set idle longer than `idleMs` (its job long ended) goes at the next insert.
 */
import type { ShareProof } from "../../shared/contract/index.ts";

/** Who sent a proof: `source` is one string per batch (edge and session), `seq` the record's. */
export interface ProofOwner {
  readonly source: string;
  readonly seq: number;
}

interface JobSet {
  readonly keys: Map<string, ProofOwner>;
  touched: number;
}

export interface DuplicateProofsOptions {
  readonly maxJobs?: number;
  readonly maxKeys?: number;
  readonly idleMs?: number;
}

/** The proof as one string (UTF-16 code units: cheap to build and to hash; never displayed). */
export function proofKey(p: ShareProof): string {
  let s = String.fromCharCode(p.extranonce1.length, p.ntime >>> 16, p.ntime & 0xffff, p.nonce >>> 16, p.nonce & 0xffff, p.version >>> 16, p.version & 0xffff);
  const a = p.extranonce1;
  const b = p.extranonce2;
  for (let i = 0; i < a.length; i++) s += String.fromCharCode(a[i]!);
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!);
  return s;
}

export class DuplicateProofs {
  private readonly jobs = new Map<string, JobSet>();
  private total = 0;
  private readonly maxJobs: number;
  private readonly maxKeys: number;
  private readonly idleMs: number;

  constructor(o: DuplicateProofsOptions = {}) {
    this.maxJobs = o.maxJobs ?? 1024;
    this.maxKeys = o.maxKeys ?? 2_000_000;
    this.idleMs = o.idleMs ?? 2 * 3_600_000;
  }

  /** Proofs held, over all jobs. */
  get size(): number {
    return this.total;
  }

  get jobCount(): number {
    return this.jobs.size;
  }

  /** Who sent this proof before, if anyone. */
  owner(jobId: string, key: string): ProofOwner | undefined {
    return this.jobs.get(jobId)?.keys.get(key);
  }

  /** Records a passed proof; keeps the first owner. */
  insert(jobId: string, key: string, owner: ProofOwner, nowMs: number): void {
    let set = this.jobs.get(jobId);
    if (set) {
      // Most recently used last, for eviction in Map order.
      this.jobs.delete(jobId);
      this.jobs.set(jobId, set);
    } else {
      this.evict(nowMs);
      set = { keys: new Map(), touched: nowMs };
      this.jobs.set(jobId, set);
    }
    set.touched = nowMs;
    if (set.keys.has(key)) return;
    set.keys.set(key, owner);
    this.total++;
    while (this.total > this.maxKeys && this.jobs.size > 1) this.dropOldest();
  }

  drop(jobId: string): void {
    const set = this.jobs.get(jobId);
    if (!set) return;
    this.total -= set.keys.size;
    this.jobs.delete(jobId);
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
