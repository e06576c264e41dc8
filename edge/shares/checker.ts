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
 * Fast path (sync PoW): the header, merkle root and hash live in buffers owned by the checker, the
 * extranonces go into the job's coinbase buffer, verdicts are shared constants and the record is one
 * reused object the forwarder copies; the only allocation is the duplicate key of a passing share.
 */
import { coinbaseMerkleRootInto, hashBelowTarget, hashMeetsTarget, hexToBytesInto, writeHeaderInto } from "../../shared/bitcoin/index.ts";
import { ShareResult, type BlockCandidateV1 } from "../../shared/contract/index.ts";
import type { Logger } from "../../shared/log.ts";
import type { ShareFields } from "../forward/index.ts";
import type { PreparedJob } from "../jobs/index.ts";
import type { ShareChecker, ShareVerdict, SubmitContext, SubmitParams } from "../ports.ts";
import { buildCandidate } from "./candidate.ts";
import { isHexOfBytes, MAX_NTIME_AHEAD_SECONDS, parseHexU32 } from "./params.ts";
import { isAsyncPow, type PowLookup } from "./pow.ts";
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
  readonly p: SubmitParams;
  readonly header: Uint8Array;
  readonly hash: Uint8Array;
  readonly main: boolean;
  readonly aux: readonly string[];
}

export class EdgeShareChecker implements ShareChecker {
  private readonly header = new Uint8Array(80);
  private readonly root = new Uint8Array(32);
  private readonly hash = new Uint8Array(32);
  /** extranonce1 ‖ extranonce2 ‖ version ‖ ntime ‖ nonce as bytes: the duplicate key, case-free. */
  private readonly key = Buffer.alloc(48);
  private readonly accepted = new WeakMap<PreparedJob, Set<string>>();
  private readonly warned = new Set<string>();
  private powFailing = false;
  private readonly rec: ShareFields = { result: 0, difficulty: 1, time: 0, jobmanager: "", jobId: "", currency: "", algo: "", port: "", address: "", worker: "", aux: NO_AUX };

  constructor(private readonly opts: ShareCheckerOptions) {}

  check(ctx: SubmitContext, p: SubmitParams): ShareVerdict | Promise<ShareVerdict> {
    const ntime = parseHexU32(p.ntime);
    const nonce = parseHexU32(p.nonce);
    const bits = p.versionBits === undefined ? 0 : parseHexU32(p.versionBits);
    const job = this.jobOf(ctx, p);
    const stale = job !== undefined && (ctx.stale ?? this.endedByFlush(ctx.jobmanager, job));
    if (ntime < 0) return this.record(ctx, job, MALFORMED.ntimeFormat);
    if (nonce < 0) return this.record(ctx, job, MALFORMED.nonce);
    if (bits < 0) return this.record(ctx, job, MALFORMED.versionFormat);
    if (!job) return this.record(ctx, undefined, STALE);
    const w = job.work;
    if (ctx.extranonce1.length !== w.extranonce1Size) {
      this.warnOnce(`en1:${ctx.jobmanager}`, `jobs of ${ctx.jobmanager} expect a ${w.extranonce1Size}-byte extranonce1, connections have ${ctx.extranonce1.length}: check pool.extranonce_serv_size on the core and the edge`);
      return this.record(ctx, job, MALFORMED.extranonce1);
    }
    if (!isHexOfBytes(p.extranonce2, w.extranonce2Size)) return this.record(ctx, job, MALFORMED.extranonce2);
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
    w.coinbase.set(ctx.extranonce1, w.slotOffset);
    hexToBytesInto(p.extranonce2, w.coinbase, w.slotOffset + w.extranonce1Size);
    coinbaseMerkleRootInto(w.coinbase, w.branch, this.root);
    const version = ((w.version & ~mask) | (bits & mask)) >>> 0;
    writeHeaderInto(this.header, version, w.prevHash, this.root, ntime, w.bits, nonce);

    if (isAsyncPow(pow)) {
      const header = this.header.slice();
      return pow.hashAsync(header, ntime).then(
        (hash) => {
          if (this.powFailing) this.opts.log.notice(`pow: hashing works again`);
          this.powFailing = false;
          return this.judge(ctx, p, job, stale, validity, header, hash);
        },
        (e: unknown) => this.hashFailed(ctx, job, e),
      );
    }
    pow.hashInto(this.header, this.hash, ntime);
    return this.judge(ctx, p, job, stale, validity, this.header, this.hash);
  }

  private judge(ctx: SubmitContext, p: SubmitParams, job: PreparedJob, stale: boolean, validity: Validity, header: Uint8Array, hash: Uint8Array): ShareVerdict {
    const w = job.work;
    const main = validity.main && hashMeetsTarget(hash, w.networkTarget);
    let aux: string[] | undefined;
    for (let i = 0; i < w.aux.length; i++) {
      const a = w.aux[i]!;
      if ((validity.aux === null || validity.aux.has(a.currency)) && hashMeetsTarget(hash, a.target)) (aux ??= []).push(a.currency);
    }
    // Rare (a block), so it may allocate; its record carries the candidate out (see record()).
    const found: Found | undefined = main || aux !== undefined ? { p, header, hash, main, aux: aux ?? NO_AUX } : undefined;
    if (stale) return this.record(ctx, job, STALE, found);
    const passes = hashBelowTarget(hash, w.shareTarget(ctx.difficulty));
    if (!passes && !found) return this.record(ctx, job, LOW_DIFFICULTY);
    const key = this.dupKey(ctx, p, header);
    let set = this.accepted.get(job);
    if (set?.has(key)) return this.record(ctx, job, DUPLICATE);
    if (!passes) return this.record(ctx, job, LOW_DIFFICULTY, found);
    if (!set) this.accepted.set(job, (set = new Set()));
    set.add(key);
    return this.record(ctx, job, ACCEPTED, found);
  }

  /**
   * The job: the stratum layer's lookup (`ctx.job`, from the client's issued ids) when it is one of
   * ours, else the feed's by id (a direct caller, or an id this connection was never sent).
   */
  private jobOf(ctx: SubmitContext, p: SubmitParams): PreparedJob | undefined {
    const given = ctx.job as PreparedJob | undefined;
    if (given?.work !== undefined) return given;
    const found = this.opts.jobs.find(ctx.jobmanager, given?.id ?? p.jobId);
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

  private dupKey(ctx: SubmitContext, p: SubmitParams, header: Uint8Array): string {
    const k = this.key;
    k.set(ctx.extranonce1, 0);
    const n = hexToBytesInto(p.extranonce2, k, ctx.extranonce1.length);
    copy4(header, 0, k, n);
    copy4(header, 68, k, n + 4);
    copy4(header, 76, k, n + 8);
    return k.toString("latin1", 0, n + 12);
  }

  /** The winning share's record and its candidate, numbered together; the candidate goes out first. */
  private sendBlockShare(ctx: SubmitContext, job: PreparedJob, f: Found, r: ShareFields): void {
    const { sink, log } = this.opts;
    const { candidate: c, sent } = sink.blockShare(r, (shareSeq) =>
      buildCandidate({ edge: sink.edge, session: sink.session, shareSeq, ctx, params: f.p, job, header: f.header, powHash: f.hash, main: f.main, aux: f.aux }),
    );
    log.notice(`block candidate ${c.blockHash} for ${[...(c.main ? [c.currency] : []), ...c.aux].join("+")} from ${c.address}.${c.worker} (job ${c.jobId}, height ${job.job.height}, share ${c.session}#${c.shareSeq})`);
    sent.catch((e: unknown) => log.error(`block candidate ${c.blockHash}: forwarder failed: ${(e as Error).message}`));
  }

  /** Records every submit; a block's winning share (`found`) goes out with its candidate. */
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
    return verdict;
  }

  private warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.opts.log.error(message);
  }
}

function copy4(from: Uint8Array, at: number, to: Uint8Array, to0: number): void {
  to[to0] = from[at]!;
  to[to0 + 1] = from[at + 1]!;
  to[to0 + 2] = from[at + 2]!;
  to[to0 + 3] = from[at + 3]!;
}
