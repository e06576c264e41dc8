/**
 * @module The core's share auditor (issue 20 §4, DESIGN-V2 "Audit sampling"): for each v2 batch the
 * gate reads from an edge's stream,
 *
 *   1. every accepted record must carry a proof and a job id, and its extranonce1 must not start
 *      with an edge id the core granted another identity (extranonce-owner.ts, when wired): else
 *      the batch fails at once;
 *   2. every accepted proof is looked up in the duplicate sets (duplicates.ts): a proof already
 *      passed under another (edge, session, seq) is refused (not credited, no quarantine);
 *   3. each accepted record is drawn with the edge's probability p (sampler.ts) and re-hashed
 *      against the job the core issued (verify.ts): its job must exist (job-source.ts: a job the
 *      core never issued fails; one whose archive entry expired is counted unverifiable), its
 *      jobmanager, currency, algorithm and aux chains must be the job's, and its hash must meet
 *      its difficulty. The first failure fails the batch (the gate quarantines the edge).
 *   4. the batch passed: its proofs join the duplicate sets.
 *
 * v1 batches carry no proofs: passed unaudited and counted. Counters are per edge and algorithm
 * (the monitor shows them); an edge with many unverifiable audits in a short time is logged once
 * (unverifiable.ts). Everything here is in memory: a new leader starts with zero counters, empty
 * rates (auditing more at first) and empty duplicate sets.
 */
import { ShareResult, type ShareBatch, type ShareRecord } from "../../shared/contract/index.ts";
import type { Logger } from "../../shared/log.ts";
import type { AuditJobSource } from "./job-source.ts";
import { extranonce1Key, ScannedShareBatch } from "./batch-scan.ts";
import { DuplicateProofs, type BatchClaims, type DuplicateProofsOptions } from "./duplicates.ts";
import type { ExtranonceOwner, ExtranonceOwnership } from "./extranonce-owner.ts";
import { auditProbability, cryptoRandom, RateWindow, type Random } from "./sampler.ts";
import type { AuditRate } from "./settings.ts";
import type { AuditVerdict, ShareAuditor } from "./types.ts";
import { UnverifiableWatch, type UnverifiableAlert, type UnverifiableWatchOptions } from "./unverifiable.ts";
import { hashMeetsDifficulty, proofFitsJob, rebuildHeaderFromProof, verifyShareProof, type ProofFailure, type ProofHasher } from "./verify.ts";

/** Counters of one edge (and, summed, of the core), for the gate and the monitor. */
export interface AuditCounts {
  /** Accepted v2 records seen. */
  accepted: number;
  /** Records re-hashed and found good. */
  audited: number;
  /** Batches failed (each quarantines its edge). */
  failed: number;
  /** Sampled records whose job the archive no longer has (or cannot decode, or cannot hash). */
  unverifiable: number;
  /** Accepted records refused as exact duplicates. */
  duplicates: number;
  /** Accepted records of v1 batches (no proof: never audited). */
  unaudited: number;
}

export interface EdgeAuditStats extends AuditCounts {
  /** The same counters per algorithm (the records' `algo`). */
  readonly algos: Readonly<Record<string, AuditCounts>>;
  /** The edge's current audit probability per algorithm, and its accepted shares an hour. */
  readonly rates: Readonly<Record<string, { readonly p: number; readonly perHour: number }>>;
  /** The last failure, for the operator. */
  readonly lastFailure: { readonly seq: number; readonly reason: string; readonly detail: string; readonly at: number } | null;
  /** Unverifiable audits within the watch's window (unverifiable.ts). */
  readonly unverifiableRecent: number;
  /** Raised while the edge has had too many unverifiable audits lately; null otherwise. */
  readonly unverifiableAlert: UnverifiableAlert | null;
}

/** What the gate and the monitor read. */
export interface AuditMetrics {
  totals(): AuditCounts;
  edges(): ReadonlyMap<string, EdgeAuditStats>;
}

export interface CoreShareAuditorOptions {
  readonly jobs: AuditJobSource;
  /**
   * The PoW function of an algorithm name, undefined when this core cannot hash it. A `slow` one
   * (scrypt family: 0.5–30 ms a hash) goes to `hashAsync` when given, else runs inline with the
   * event loop let through before each hash, so a batch's audits never hold the core for long.
   */
  readonly hasher: (algo: string) => (ProofHasher & { readonly slow?: boolean }) | undefined;
  /** Off-thread hashing for slow algorithms (shared/pow's PowPool.hash). */
  readonly hashAsync?: (algo: string, header: Uint8Array, ntime: number) => Promise<Uint8Array>;
  /** Audit rates per algorithm name (settings.ts auditRates). */
  readonly rate: (algo: string) => AuditRate;
  /** Switcher key → its coins: a switching port's share names the switcher, its job the coin. */
  readonly switchers?: Readonly<Record<string, readonly string[]>>;
  readonly random?: Random;
  readonly now?: () => number;
  readonly rateWindowMs?: number;
  readonly duplicates?: DuplicateProofsOptions;
  /**
   * Whose edge-id prefix an accepted record's extranonce1 carries (extranonceOwnerFrom over the
   * core's EdgeIdAllocator); a foreign one fails the batch. Its answer may depend only on the
   * identity, the extranonce1's length and its first two bytes: it is asked once per distinct
   * such key and batch. Without it, prefixes are not checked.
   */
  readonly extranonceOwner?: ExtranonceOwner;
  /** When many unverifiable audits of one edge are logged (default 20 within ten minutes). */
  readonly unverifiable?: UnverifiableWatchOptions;
  readonly log?: Logger;
}

type Failure = { readonly kind: "fail"; readonly seq: number; readonly reason: string; readonly detail: string };
/** A sampled record that cannot be checked, and why (for the log). */
type Unverifiable = { readonly kind: "unverifiable"; readonly why: string };

const DUPLICATE = "duplicate share";

const zero = (): AuditCounts => ({ accepted: 0, audited: 0, failed: 0, unverifiable: 0, duplicates: 0, unaudited: 0 });

interface EdgeState {
  readonly counts: AuditCounts;
  readonly algos: Map<string, AuditCounts>;
  readonly rates: Record<string, { p: number; perHour: number }>;
  lastFailure: EdgeAuditStats["lastFailure"];
  /** Its rate window keys by algorithm (made once, not per batch). */
  readonly keys: Map<string, string>;
}

function windowKey(st: EdgeState, edge: string, algo: string): string {
  let key = st.keys.get(algo);
  if (key === undefined) st.keys.set(algo, (key = `${edge}\0${algo}`));
  return key;
}

export class CoreShareAuditor implements ShareAuditor, AuditMetrics {
  private readonly random: Random;
  private readonly now: () => number;
  private readonly window: RateWindow;
  private readonly dups: DuplicateProofs;
  private readonly perEdge = new Map<string, EdgeState>();
  private readonly total = zero();
  private readonly watch: UnverifiableWatch;
  private lastPrune = 0;

  constructor(private readonly o: CoreShareAuditorOptions) {
    this.random = o.random ?? cryptoRandom();
    this.now = o.now ?? Date.now;
    this.window = new RateWindow(o.rateWindowMs);
    this.dups = new DuplicateProofs(o.duplicates);
    this.watch = new UnverifiableWatch(o.unverifiable);
  }

  /** `batch` as the gate hands it over: a ScannedShareBatch (read without decoding), or any ShareBatch. */
  async audit(edge: string, batch: ShareBatch): Promise<AuditVerdict> {
    const st = this.edge(edge);
    // The gate's batches are read where they are encoded, a record decoded only when drawn (batch-scan.ts).
    const recs: AuditRecords = batch instanceof ScannedShareBatch ? batch : new DecodedRecords(batch.records);
    const count = recs.count;
    if (batch.v === 1) {
      // Counted per run of one algorithm (a batch holds one, mostly).
      let algo = "";
      let n = 0;
      for (let i = 0; i < count; i++) {
        if (recs.result(i) !== ShareResult.acc) continue;
        const a = recs.algo(i);
        if (a !== algo) {
          if (n > 0) this.count(st, algo, "unaudited", n);
          algo = a;
          n = 0;
        }
        n++;
      }
      if (n > 0) this.count(st, algo, "unaudited", n);
      return { kind: "pass", audited: 0 };
    }
    const now = this.now();

    // 1. Cheap checks of every accepted record, and its count per algorithm (batches hold one, mostly).
    const perAlgo = new Map<string, number>();
    let accepted = 0;
    let runAlgo = "";
    let run = 0;
    const owner = this.o.extranonceOwner;
    // The owner's answers in this batch by (length, first two bytes): an edge's records share one prefix.
    let ownerKey = -1;
    let owners: Map<number, ExtranonceOwnership> | undefined;
    for (let i = 0; i < count; i++) {
      if (recs.result(i) !== ShareResult.acc) continue;
      accepted++;
      const algo = recs.algo(i);
      if (!recs.hasProof(i)) {
        const seq = recs.seq(i);
        return this.failed(st, edge, algo, { kind: "fail", seq, reason: "accepted share without proof", detail: `record ${seq} of session ${batch.session} is accepted but carries no extranonces: a v2 edge sends the proof of every accepted share` });
      }
      if (recs.jobId(i) === "") {
        const seq = recs.seq(i);
        return this.failed(st, edge, algo, { kind: "fail", seq, reason: "accepted share without a job", detail: `record ${seq} of session ${batch.session} is accepted but names no job` });
      }
      if (owner) {
        const key = recs.extranonce1Key(i);
        if (key !== ownerKey) {
          let o = owners?.get(key);
          if (o === undefined) (owners ??= new Map()).set(key, (o = owner(edge, recs.extranonce1(i))));
          if (typeof o === "object") {
            const seq = recs.seq(i);
            return this.failed(st, edge, algo, { kind: "fail", seq, reason: `extranonce1 prefix belongs to edge ${o.foreign}`, detail: `record ${seq} of session ${batch.session}: extranonce1 ${Buffer.from(recs.extranonce1(i)).toString("hex")} starts with the edge id the core granted ${o.foreign}, never ${edge}` });
          }
          ownerKey = key;
        }
      }
      if (algo !== runAlgo) {
        if (run > 0) perAlgo.set(runAlgo, (perAlgo.get(runAlgo) ?? 0) + run);
        runAlgo = algo;
        run = 0;
      }
      run++;
    }
    if (run > 0) perAlgo.set(runAlgo, (perAlgo.get(runAlgo) ?? 0) + run);
    if (accepted === 0) return { kind: "pass", audited: 0 };

    // 2. The probability per algorithm, from the edge's rate with this batch counted.
    const p = new Map<string, number>();
    for (const [algo, n] of perAlgo) {
      const rate = this.o.rate(algo);
      const perHour = this.window.perHour(windowKey(st, edge, algo), now, n);
      const prob = auditProbability(rate.perHour, rate.minFraction, perHour);
      p.set(algo, prob);
      const r = st.rates[algo];
      if (r) (r.p = prob), (r.perHour = perHour);
      else st.rates[algo] = { p: prob, perHour };
    }

    // 3. Duplicates and the draw, in one pass.
    const claims = this.dups.begin(edge, batch.session);
    let refused: { seq: number; reason: string }[] | undefined;
    let refusedAlgos: string[] | undefined;
    const sampled: ShareRecord[] = [];
    let lastAlgo = "";
    let lastP = 0;
    try {
      for (let i = 0; i < count; i++) {
        if (recs.result(i) !== ShareResult.acc) continue;
        const seen = recs.claim(claims, i, now);
        const algo = recs.algo(i);
        if (seen !== "new") {
          if (seen === "duplicate") {
            (refused ??= []).push({ seq: recs.seq(i), reason: DUPLICATE });
            (refusedAlgos ??= []).push(algo);
          }
          continue;
        }
        if (algo !== lastAlgo) {
          lastAlgo = algo;
          lastP = p.get(algo) ?? 1;
        }
        // A drawn record is decoded in full here: a malformed one throws ContractError (the gate dead-letters the entry).
        if (lastP > 0 && this.random.next() < lastP) sampled.push(recs.record(i));
      }
    } catch (e) {
      claims.withdraw();
      throw e;
    }

    // 4. Re-hash the sampled records; the first failure fails the batch (and takes its claims back,
    // as does an error: the gate retries the entry, which then claims them again).
    let audited = 0;
    let unverifiable = 0;
    let lastWhy = "";
    const settle = () => {
      this.commitRates(edge, perAlgo, now);
      for (const [algo, n] of perAlgo) this.count(st, algo, "accepted", n);
      if (unverifiable > 0 && this.watch.add(edge, unverifiable, now)) this.warnUnverifiable(edge, now, lastWhy);
    };
    for (const r of sampled) {
      let out: Awaited<ReturnType<CoreShareAuditor["check"]>>;
      try {
        out = await this.check(r, edge);
      } catch (e) {
        claims.withdraw();
        throw e;
      }
      if (out === undefined) {
        audited++;
        this.count(st, r.algo, "audited", 1);
      } else if (out.kind === "unverifiable") {
        unverifiable++;
        lastWhy = out.why;
        this.count(st, r.algo, "unverifiable", 1);
      } else {
        claims.withdraw();
        settle();
        return this.failed(st, edge, r.algo, out);
      }
    }

    // 5. Passed: its proofs stay claimed; count.
    claims.keep();
    settle();
    if (refusedAlgos) for (const algo of refusedAlgos) this.count(st, algo, "duplicates", 1);
    return refused ? { kind: "pass", audited, refused } : { kind: "pass", audited };
  }

  totals(): AuditCounts {
    return { ...this.total };
  }

  edges(): ReadonlyMap<string, EdgeAuditStats> {
    const out = new Map<string, EdgeAuditStats>();
    const now = this.now();
    for (const [edge, st] of this.perEdge) {
      const algos: Record<string, AuditCounts> = {};
      for (const [algo, c] of st.algos) algos[algo] = { ...c };
      const rates = Object.fromEntries(Object.entries(st.rates).map(([a, r]) => [a, { ...r }]));
      out.set(edge, { ...st.counts, algos, rates, lastFailure: st.lastFailure, unverifiableRecent: this.watch.recent(edge, now), unverifiableAlert: this.watch.alert(edge, now) });
    }
    return out;
  }

  /** Proofs held for duplicate checks (memory). */
  get duplicateProofs(): number {
    return this.dups.size;
  }

  /** One sampled record against its job: undefined when good. */
  private async check(r: ShareRecord, edge: string): Promise<Failure | Unverifiable | undefined> {
    const found = await this.o.jobs.lookup(r.jobId);
    if (found.kind === "corrupt") {
      this.o.log?.warn(`audit: job ${r.jobId} in the archive does not decode (${found.message}); share ${r.seq} of ${edge} unverifiable`);
      return { kind: "unverifiable", why: `job ${r.jobId} in the archive does not decode` };
    }
    if (found.kind === "missing") {
      if (await this.o.jobs.neverIssued(r.jobId, r.jobmanager))
        return { kind: "fail", seq: r.seq, reason: "job never issued", detail: `job ${r.jobId} (${r.jobmanager}) is not one this core issued: a later job it issued is still archived, or the id is not of its form` };
      return { kind: "unverifiable", why: `job ${r.jobId} (${r.jobmanager}) is no longer in the archive` };
    }
    const j = found.job.job;
    const jmOk = r.jobmanager === j.jobmanager || (this.o.switchers?.[r.jobmanager]?.includes(j.jobmanager) ?? false);
    if (!jmOk) return { kind: "fail", seq: r.seq, reason: "record does not match its job", detail: `jobmanager ${r.jobmanager}, job ${j.id} is ${j.jobmanager}'s` };
    if (r.currency !== j.currency) return { kind: "fail", seq: r.seq, reason: "record does not match its job", detail: `currency ${r.currency}, job ${j.id} is for ${j.currency}` };
    if (r.algo !== j.algo) return { kind: "fail", seq: r.seq, reason: "record does not match its job", detail: `algorithm ${r.algo}, job ${j.id} is ${j.algo}` };
    for (const a of r.aux) {
      if (!j.aux.some((t) => t.currency === a)) return { kind: "fail", seq: r.seq, reason: "record does not match its job", detail: `aux currency ${a} is not merge-mined on job ${j.id}` };
    }
    const hasher = this.o.hasher(j.algo);
    if (!hasher) {
      this.o.log?.warn(`audit: no hasher for algorithm ${j.algo} (job ${j.id}); share ${r.seq} of ${edge} unverifiable`);
      return { kind: "unverifiable", why: `this core has no hasher for ${j.algo}` };
    }
    let bad: ProofFailure | undefined;
    if (hasher.slow && this.o.hashAsync) {
      bad = proofFitsJob(found.job, r, r.difficulty, r.time) ?? hashMeetsDifficulty(found.job, await this.o.hashAsync(j.algo, rebuildHeaderFromProof(found.job, r), r.ntime), r.difficulty);
    } else {
      if (hasher.slow) await new Promise<void>((resolve) => setImmediate(resolve));
      bad = verifyShareProof(found.job, r, r.difficulty, hasher, r.time);
    }
    return bad ? { kind: "fail", seq: r.seq, reason: bad.reason, detail: `share ${r.seq} (${r.address}.${r.worker}): ${bad.detail}` } : undefined;
  }

  private commitRates(edge: string, perAlgo: ReadonlyMap<string, number>, now: number): void {
    const st = this.edge(edge);
    for (const [algo, n] of perAlgo) this.window.add(windowKey(st, edge, algo), n, now);
    if (now - this.lastPrune > this.window.windowMs) {
      this.lastPrune = now;
      this.window.prune(now);
    }
  }

  private failed(st: EdgeState, edge: string, algo: string, f: Failure): Failure {
    this.count(st, algo, "failed", 1);
    st.lastFailure = { seq: f.seq, reason: f.reason, detail: f.detail, at: this.now() };
    this.o.log?.error(`audit: edge ${edge} failed: ${f.reason} (${f.detail})`);
    return f;
  }

  /** Once per alert: the edge's audits keep finding jobs the archive does not hold. */
  private warnUnverifiable(edge: string, now: number, why: string): void {
    const w = this.watch;
    this.o.log?.warn(
      `audit: edge ${edge}: ${w.recent(edge, now)} of its audited shares were unverifiable within ${Math.round(w.windowMs / 60_000)} min (threshold ${w.threshold}; last: ${why}). ` +
        "It reports work on jobs the core can no longer check: a spool replayed long after an outage, a clock or spool gone wrong, or old work sent on purpose; look at it (monitor /audit/)",
      { edge },
    );
  }

  private count(st: EdgeState, algo: string, k: keyof AuditCounts, n: number): void {
    st.counts[k] += n;
    this.total[k] += n;
    let a = st.algos.get(algo);
    if (!a) st.algos.set(algo, (a = zero()));
    a[k] += n;
  }

  private edge(edge: string): EdgeState {
    let st = this.perEdge.get(edge);
    if (!st) {
      st = { counts: zero(), algos: new Map(), rates: {}, lastFailure: null, keys: new Map() };
      this.perEdge.set(edge, st);
    }
    return st;
  }
}

/** What the audit reads of a batch's records, by index. */
interface AuditRecords {
  readonly count: number;
  result(i: number): number;
  seq(i: number): number;
  jobId(i: number): string;
  algo(i: number): string;
  hasProof(i: number): boolean;
  /** (length, first two bytes) of record i's extranonce1: equal keys, same edge-id prefix. */
  extranonce1Key(i: number): number;
  extranonce1(i: number): Uint8Array;
  claim(claims: BatchClaims, i: number, nowMs: number): "new" | "duplicate" | "replay";
  record(i: number): ShareRecord;
}

/** Decoded records (tests, other callers). */
class DecodedRecords implements AuditRecords {
  readonly count: number;
  constructor(private readonly r: readonly ShareRecord[]) {
    this.count = r.length;
  }
  result(i: number) {
    return this.r[i]!.result;
  }
  seq(i: number) {
    return this.r[i]!.seq;
  }
  jobId(i: number) {
    return this.r[i]!.jobId;
  }
  algo(i: number) {
    return this.r[i]!.algo;
  }
  hasProof(i: number) {
    const r = this.r[i]!;
    return r.extranonce1.length > 0 || r.extranonce2.length > 0;
  }
  extranonce1Key(i: number) {
    return extranonce1Key(this.r[i]!.extranonce1, 0, this.r[i]!.extranonce1.length);
  }
  extranonce1(i: number) {
    return this.r[i]!.extranonce1;
  }
  claim(claims: BatchClaims, i: number, nowMs: number) {
    const r = this.r[i]!;
    return claims.claim(r.jobId, r, r.seq, nowMs);
  }
  record(i: number) {
    return this.r[i]!;
  }
}
