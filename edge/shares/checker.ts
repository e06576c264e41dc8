/**
 * @module The share check: submit → header → PoW → targets → accepted / rejected / block candidate.
 *
 * Order: parameter formats, job lookup (unknown → 21 recorded as stale; the stratum layer's
 * `ctx.job`/`ctx.stale` win over the feed's answer when given), checks against the job
 * (extranonce sizes, ntime window, version mask: → 20 recorded as invalid), header, PoW hash, then
 * block targets BEFORE the share target (PowerPool §15 item 12: a share harder than the network
 * target must not lose its block), duplicate, share target. A candidate goes to the forwarder
 * before the share's record and before the verdict returns to the stratum layer, naming that
 * record's seq (the forwarder numbers both in one step, `ShareSink.blockShare`).
 *
 * Stale jobs (ended by a flush) answer 21, but their hash is still checked for blocks when the job
 * is still a valid block: for the main chain when the newest job of the same coin has the same
 * prevhash (the flush was aux-triggered or a profit switch, not a new block of that coin); for an
 * aux chain when that job still mines the same aux height. The core makes the final call at submit.
 *
 * Fast path (sync PoW): one share-kernel call (shared/pow) builds the coinbase, merkle root and
 * header in buffers the kernel owns and, for sha256d, hashes and compares the targets too; the
 * duplicate set is typed arrays (duplicates.ts), verdicts are shared constants and the record is
 * one reused object the forwarder copies. `checkRaw` takes numbers and the extranonce2 hex in the
 * received bytes, so a submit the stratum layer parsed from bytes allocates nothing here; `check`
 * (strings) converts to the same form and shares every step after it.
 *
 * Proof (contract v2): a record whose header was built carries what was hashed — extranonce1 and
 * extranonce2 as views of the kernel's slot (the forwarder's writer copies them at once), and
 * version (rolled bits applied), ntime and nonce read back from the header — so the core can rebuild
 * coinb1 ‖ en1 ‖ en2 ‖ coinb2 and the header from the job it issued. On an SV2 standard channel the
 * slot holds the channel's extranonce1 and zero extranonce2 bytes, exactly its coinbase. A record
 * refused before its header was built (malformed, no job, out of window) carries an empty proof:
 * nothing was hashed, and the core credits none of those.
 */
import { bytesToHex, hashMeetsTarget, readU32LE } from "../../shared/bitcoin/index.ts";
import { EMPTY_PROOF, JobType, ShareResult, type BlockCandidateV1 } from "../../shared/contract/index.ts";
import type { Logger } from "../../shared/log.ts";
import { createJsShareKernel, SHARE_FLAG, targetFlags, type ShareKernel } from "../../shared/pow/index.ts";
import type { ShareFields } from "../forward/index.ts";
import type { PreparedJob } from "../jobs/index.ts";
import type { RawSubmit, ShareChecker, ShareVerdict, SubmitContext, SubmitParams } from "../ports.ts";
import { buildCandidate } from "./candidate.ts";
import type { DuplicateTable } from "./duplicate-file.ts";
import { ShareKeys } from "./duplicates.ts";
import { hexBytesInto, MAX_NTIME_AHEAD_SECONDS, parseHexU32 } from "./params.ts";
import { isAsyncPow, isSha256dPow, type PowLookup } from "./pow.ts";
import { ACCEPTED, DUPLICATE, HASH_FAILED, LOW_DIFFICULTY, MALFORMED, SERVER_BUSY, STALE } from "./verdicts.ts";

/** What the checker reads from the job cache (JobCache implements it). */
export interface ShareJobs {
  find(jobmanager: string, jobId: string): { readonly job: PreparedJob; readonly stale: boolean } | "unknown";
  latest(jobmanager: string): PreparedJob | undefined;
  newestOfCoin(coin: string): PreparedJob | undefined;
}

/** Where records and candidates go (the Forwarder implements it). Both copy the fields at once. */
export interface ShareSink {
  readonly edge: string;
  readonly session: string;
  /** Numbers and queues a record; returns its seq (0 if refused). */
  share(fields: ShareFields): number;
  /**
   * A block's winning share: numbers its record, sends the candidate `build` makes with that seq
   * (called at once), then queues the record — the candidate reaches Redis first.
   */
  blockShare(fields: ShareFields, build: (shareSeq: number) => BlockCandidateV1): { readonly candidate: BlockCandidateV1; readonly sent: Promise<void> };
}

export interface ShareCheckerOptions {
  readonly jobs: ShareJobs;
  readonly sink: ShareSink;
  readonly pow: PowLookup;
  readonly log: Logger;
  /** Builds headers (and sha256d hashes) in one call; default the JS kernel (Bun.SHA256). The edge passes `PowRuntime.shareKernel`. */
  readonly kernel?: ShareKernel;
}

const NO_AUX: readonly string[] = Object.freeze([]);

interface Validity {
  readonly main: boolean;
  /** Aux currencies still valid, or null for "all of the job's" (a current job). */
  readonly aux: ReadonlySet<string> | null;
}
const CURRENT: Validity = { main: true, aux: null };

/** A share whose hash meets a block target: what its candidate is built from. */
interface Found {
  /** Lower-case hex, as the candidate carries it. */
  readonly extranonce2: string;
  readonly header: Uint8Array;
  readonly hash: Uint8Array;
  readonly main: boolean;
  readonly aux: readonly string[];
}

/** Longest extranonce2 text `check` copies into bytes: 16 bytes of hex (the contract's cap) and one more, so longer ones fail the length check. */
const MAX_EXTRANONCE2_TEXT = 33;

export class EdgeShareChecker implements ShareChecker {
  private readonly kernel: ShareKernel;
  /** Accepted-share keys per job still current (keysOf drops those of ended jobs). */
  private readonly accepted = new Map<PreparedJob, ShareKeys>();
  /** Jobs of `accepted` found ended at the last new job's first lookup: freed at the next one. */
  private readonly ended = new Set<PreparedJob>();
  /** The job of the last duplicate lookup and its keys: shares of one job come in runs. */
  private keysJob: PreparedJob | undefined;
  private keys: ShareKeys | undefined;
  /** `check`'s RawSubmit, reused: the extranonce2 text is copied into `source`. */
  private readonly raw: RawSubmit = { jobId: "", source: new Uint8Array(MAX_EXTRANONCE2_TEXT), extranonce2Start: 0, extranonce2End: 0, ntime: -1, nonce: -1, versionBits: 0 };
  private readonly warned = new Set<string>();
  private powFailing = false;
  /** Keys a previous run of this edge saved at its drain, by `jobmanager\0id`, until that job is first looked up. */
  private readonly restored = new Map<string, DuplicateTable>();
  private readonly rec: ShareFields = { result: 0, difficulty: 1, time: 0, jobmanager: "", jobId: "", currency: "", algo: "", port: "", address: "", worker: "", aux: NO_AUX, ...EMPTY_PROOF };
  /** Views of the kernel's slot for the proof, made again only when a job's extranonce sizes differ. */
  private slotEn1: Uint8Array = EMPTY_PROOF.extranonce1;
  private slotEn2: Uint8Array = EMPTY_PROOF.extranonce2;

  constructor(private readonly opts: ShareCheckerOptions) {
    this.kernel = opts.kernel ?? createJsShareKernel();
  }

  check(ctx: SubmitContext, p: SubmitParams): ShareVerdict | Promise<ShareVerdict> {
    const r = this.raw;
    r.jobId = p.jobId;
    r.ntime = parseHexU32(p.ntime);
    r.nonce = parseHexU32(p.nonce);
    r.versionBits = p.versionBits === undefined ? 0 : parseHexU32(p.versionBits);
    r.extranonce2End = textInto(p.extranonce2, r.source);
    return this.checkRaw(ctx, r);
  }

  checkRaw(ctx: SubmitContext, sub: RawSubmit): ShareVerdict | Promise<ShareVerdict> {
    const { ntime, nonce, versionBits: bits } = sub;
    const job = this.jobOf(ctx, sub.jobId);
    const stale = job !== undefined && (ctx.stale ?? this.endedByFlush(ctx.jobmanager, job));
    if (ntime < 0) return this.record(ctx, job, MALFORMED.ntimeFormat);
    if (nonce < 0) return this.record(ctx, job, MALFORMED.nonce);
    if (bits < 0) return this.record(ctx, job, MALFORMED.versionFormat);
    if (!job) return this.record(ctx, undefined, STALE);
    const w = job.work;
    const k = this.kernel;
    if (ctx.extranonce1.length !== w.extranonce1Size) {
      this.warnOnce(`en1:${ctx.jobmanager}`, `jobs of ${ctx.jobmanager} expect a ${w.extranonce1Size}-byte extranonce1, connections have ${ctx.extranonce1.length}: check pool.extranonce_serv_size on the core and the edge`);
      return this.record(ctx, job, MALFORMED.extranonce1);
    }
    // Decoded straight into the kernel's slot, after extranonce1.
    if (!hexBytesInto(sub.source, sub.extranonce2Start, sub.extranonce2End, w.extranonce2Size, k.slot, w.extranonce1Size)) return this.record(ctx, job, MALFORMED.extranonce2);
    if (ntime < job.job.mintime || ntime > Math.floor(ctx.receivedAt / 1000) + MAX_NTIME_AHEAD_SECONDS) return this.record(ctx, job, MALFORMED.ntimeRange);
    const mask = ctx.versionMask & job.job.versionMask;
    if ((bits & ~mask) !== 0) return this.record(ctx, job, MALFORMED.versionMask);
    const pow = this.opts.pow(job.job.algo);
    if (!pow) {
      this.warnOnce(`algo:${job.job.algo}`, `no hasher for algorithm ${job.job.algo} (jobmanager ${ctx.jobmanager}): its shares are answered 20`);
      return this.record(ctx, job, MALFORMED.algorithm);
    }
    const validity = stale ? this.stillValid(job) : CURRENT;
    if (validity.main === false && validity.aux?.size === 0) return this.record(ctx, job, STALE);

    // Header (spec §3.2): coinbase = coinb1 ‖ en1 ‖ en2 ‖ coinb2 → merkle root → 80 bytes.
    const en1 = ctx.extranonce1;
    for (let i = 0; i < en1.length; i++) k.slot[i] = en1[i]!;
    const version = ((w.version & ~mask) | (bits & mask)) >>> 0;
    const target = w.shareTarget(ctx.difficulty);

    if (isAsyncPow(pow)) {
      k.run(w.share, version, ntime, nonce, false);
      // The kernel's buffers and the caller's ctx are reused before the hash comes back: keep copies.
      const header = k.header.slice();
      const slot = k.slot.slice(0, w.extranonce1Size + w.extranonce2Size);
      const c: SubmitContext = { ...ctx };
      return pow.hashAsync(header, ntime).then(
        (hash) => {
          if (this.powFailing) this.opts.log.notice(`pow: hashing works again`);
          this.powFailing = false;
          return this.judge(c, job, stale, validity, header, hash, slot, targetFlags(hash, target, w.share));
        },
        (e: unknown) => this.hashFailed(c, job, e),
      );
    }
    let flags: number;
    if (isSha256dPow(pow)) {
      k.setShareTarget(target);
      flags = k.run(w.share, version, ntime, nonce, true);
    } else {
      k.run(w.share, version, ntime, nonce, false);
      pow.hashInto(k.header, k.hash, ntime);
      flags = targetFlags(k.hash, target, w.share);
    }
    return this.judge(ctx, job, stale, validity, k.header, k.hash, k.slot, flags);
  }

  /** `slot` holds extranonce1 ‖ extranonce2; `flags` are SHARE_FLAG bits of `hash`. */
  private judge(ctx: SubmitContext, job: PreparedJob, stale: boolean, validity: Validity, header: Uint8Array, hash: Uint8Array, slot: Uint8Array, flags: number): ShareVerdict {
    const w = job.work;
    this.setProof(header, slot, w.extranonce1Size, w.extranonce2Size);
    const main = validity.main && (flags & SHARE_FLAG.network) !== 0;
    let aux: string[] | undefined;
    if ((flags & SHARE_FLAG.aux) !== 0) {
      for (let i = 0; i < w.aux.length; i++) {
        const a = w.aux[i]!;
        if ((validity.aux === null || validity.aux.has(a.currency)) && hashMeetsTarget(hash, a.target)) (aux ??= []).push(a.currency);
      }
    }
    // Rare (a block), so it may allocate; its record carries the candidate out (see record()).
    const found: Found | undefined =
      main || aux !== undefined
        ? { extranonce2: bytesToHex(slot.subarray(w.extranonce1Size, w.extranonce1Size + w.extranonce2Size)), header, hash, main, aux: aux ?? NO_AUX }
        : undefined;
    if (stale) return this.record(ctx, job, STALE, found);
    const passes = (flags & SHARE_FLAG.passes) !== 0;
    if (!passes && !found) return this.record(ctx, job, LOW_DIFFICULTY);
    const keys = this.keysOf(job);
    const at = keys.find(slot, readU32LE(header, 0), readU32LE(header, 68), readU32LE(header, 76));
    if (at >= 0) return this.record(ctx, job, DUPLICATE);
    if (!passes) return this.record(ctx, job, LOW_DIFFICULTY, found);
    keys.insert(at);
    return this.record(ctx, job, ACCEPTED, found);
  }

  /**
   * The job's accepted-share keys, made at its first lookup. That first lookup of a new job also
   * frees the keys of jobs the feed no longer counts as current (ended by a flush or aged out):
   * their shares are answered stale before the duplicate check, and a busy job's keys are MBs.
   * A job found ended is freed one new job later, so a worker-hashed check that began before its
   * job ended still finds the job's keys when its hash comes back.
   */
  private keysOf(job: PreparedJob): ShareKeys {
    if (job === this.keysJob) return this.keys!;
    let keys = this.accepted.get(job);
    if (!keys) {
      this.dropEnded();
      const bytes = job.work.extranonce1Size + job.work.extranonce2Size;
      // By the core's job id: the edge's own ids are a per-process counter.
      const saved = this.restored.get(`${job.job.jobmanager}\0${job.job.id}`);
      this.restored.delete(`${job.job.jobmanager}\0${job.job.id}`);
      keys = saved && saved.extranonceBytes === bytes ? ShareKeys.restore(bytes, saved.keys) : new ShareKeys(bytes);
      // A flush job ends every job before it: keys saved for those can never be needed.
      if (!saved && job.job.type === JobType.flush) this.restored.clear();
      this.accepted.set(job, keys);
    }
    this.keysJob = job;
    this.keys = keys;
    return keys;
  }

  /** The duplicate keys of every job still current, for a draining edge to save (duplicate-file.ts). */
  duplicateTables(): DuplicateTable[] {
    const out: DuplicateTable[] = [];
    for (const [job, keys] of this.accepted) {
      const found = this.opts.jobs.find(job.job.jobmanager, job.id);
      if (found === "unknown" || found.stale || keys.size === 0) continue;
      out.push({ jobmanager: job.job.jobmanager, id: job.job.id, extranonceBytes: keys.extranonceBytes, keys: keys.exportKeys() });
    }
    return out;
  }

  /** Keys a previous run saved: each applies when its job is first looked up. */
  restoreDuplicateTables(tables: readonly DuplicateTable[]): void {
    for (const t of tables) this.restored.set(`${t.jobmanager}\0${t.id}`, t);
  }

  /** Jobs holding duplicate keys (an ended job's go at the second new job's first lookup after it ended). */
  get jobsWithKeys(): number {
    return this.accepted.size;
  }

  private dropEnded(): void {
    for (const old of this.ended) {
      this.accepted.delete(old);
      if (old === this.keysJob) this.keysJob = this.keys = undefined;
    }
    this.ended.clear();
    for (const old of this.accepted.keys()) {
      const found = this.opts.jobs.find(old.job.jobmanager, old.id);
      if (found === "unknown" || found.stale) this.ended.add(old);
    }
  }

  /**
   * The job: the stratum layer's lookup (`ctx.job`, from the client's issued ids) when it is one of
   * ours, else the feed's by id (a direct caller, or an id this connection was never sent).
   */
  private jobOf(ctx: SubmitContext, jobId: string): PreparedJob | undefined {
    const given = ctx.job as PreparedJob | undefined;
    if (given?.work !== undefined) return given;
    const found = this.opts.jobs.find(ctx.jobmanager, given?.id ?? jobId);
    return found === "unknown" ? undefined : found.job;
  }

  /** Whether a flush ended the job, when the stratum layer did not say (`ctx.stale`). */
  private endedByFlush(jobmanager: string, job: PreparedJob): boolean {
    const found = this.opts.jobs.find(jobmanager, job.id);
    return found === "unknown" || found.stale;
  }

  /**
   * A worker-pool failure is the pool's, not the miner's: answered 20 and recorded invalid (every
   * submit is recorded), logged once until hashing works again. PowBusyError (the pool's queue is
   * full) says "Server busy" so the stratum layer can tell it apart and apply backpressure.
   */
  private hashFailed(ctx: SubmitContext, job: PreparedJob, e: unknown): ShareVerdict {
    const busy = (e as { code?: unknown } | null)?.code === "POW_BUSY";
    if (!this.powFailing) this.opts.log.error(`pow ${job.job.algo}: hashing failed (${(e as Error).message}); shares answer 20 until it works again`);
    this.powFailing = true;
    return this.record(ctx, job, busy ? SERVER_BUSY : HASH_FAILED);
  }

  /** Which of a stale job's chains would still take a block (see the module note). */
  private stillValid(job: PreparedJob): Validity {
    const newest = this.opts.jobs.newestOfCoin(job.job.coin);
    if (!newest) return { main: false, aux: new Set() };
    const aux = new Set<string>();
    for (const a of job.job.aux) {
      if (newest.job.aux.some((n) => n.currency === a.currency && n.height === a.height)) aux.add(a.currency);
    }
    return { main: newest.job.prevhash === job.job.prevhash, aux };
  }

  /** The winning share's record and its candidate, numbered together; the candidate goes out first. */
  private sendBlockShare(ctx: SubmitContext, job: PreparedJob, f: Found, r: ShareFields): void {
    const { sink, log } = this.opts;
    const { candidate: c, sent } = sink.blockShare(r, (shareSeq) =>
      buildCandidate({ edge: sink.edge, session: sink.session, shareSeq, ctx, extranonce2: f.extranonce2, job, header: f.header, powHash: f.hash, main: f.main, aux: f.aux }),
    );
    log.notice(`block candidate ${c.blockHash} for ${[...(c.main ? [c.currency] : []), ...c.aux].join("+")} from ${c.address}.${c.worker} (job ${c.jobId}, height ${job.job.height}, share ${c.session}#${c.shareSeq})`);
    sent.catch((e: unknown) => log.error(`block candidate ${c.blockHash}: forwarder failed: ${(e as Error).message}`));
  }

  /** The record's proof: what `header` was built from (read back from it) and the slot's extranonces. */
  private setProof(header: Uint8Array, slot: Uint8Array, en1Size: number, en2Size: number): void {
    const r = this.rec;
    r.version = readU32LE(header, 0);
    r.ntime = readU32LE(header, 68);
    r.nonce = readU32LE(header, 76);
    if (slot !== this.kernel.slot) {
      // A worker-hashed share's own copy (that path allocates anyway).
      r.extranonce1 = slot.subarray(0, en1Size);
      r.extranonce2 = slot.subarray(en1Size, en1Size + en2Size);
      return;
    }
    // The kernel's slot is one array for the checker's life: only the sizes can change.
    if (this.slotEn1.length !== en1Size || this.slotEn2.length !== en2Size) {
      this.slotEn1 = slot.subarray(0, en1Size);
      this.slotEn2 = slot.subarray(en1Size, en1Size + en2Size);
    }
    r.extranonce1 = this.slotEn1;
    r.extranonce2 = this.slotEn2;
  }

  /** Records every submit; a block's winning share (`found`) goes out with its candidate. Clears the proof after (see the module note). */
  private record(ctx: SubmitContext, job: PreparedJob | undefined, verdict: ShareVerdict, found?: Found): ShareVerdict {
    const r = this.rec;
    const j = job ?? this.opts.jobs.latest(ctx.jobmanager);
    r.result = ShareResult[verdict.result];
    r.difficulty = ctx.difficulty;
    r.time = ctx.receivedAt;
    r.jobmanager = ctx.jobmanager;
    r.jobId = job ? job.job.id : "";
    r.currency = j ? j.job.currency : ctx.jobmanager;
    r.algo = j ? j.job.algo : "";
    r.port = ctx.port;
    r.address = ctx.address;
    r.worker = ctx.worker;
    r.aux = job ? job.work.auxCurrencies : NO_AUX;
    if (found && job) this.sendBlockShare(ctx, job, found, r);
    else this.opts.sink.share(r);
    r.extranonce1 = EMPTY_PROOF.extranonce1;
    r.extranonce2 = EMPTY_PROOF.extranonce2;
    r.ntime = r.nonce = r.version = 0;
    return verdict;
  }

  private warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.opts.log.error(message);
  }
}

/**
 * Copies a string's char codes into `out` for the byte-level checks; returns the end offset, or -1
 * when it is not a string or longer than `out` (then it cannot be a valid extranonce2 anyway).
 * Non-ASCII chars become 0xff, which is not a hex digit.
 */
function textInto(s: unknown, out: Uint8Array): number {
  if (typeof s !== "string" || s.length > out.length) return -1;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out[i] = c < 0x80 ? c : 0xff;
  }
  return s.length;
}
