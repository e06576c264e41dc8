/**
 * @module mining.submit `[worker, job_id, extranonce2, ntime, nonce, version_bits?]` (PowerPool
 * spec §2.4, §3.1).
 *
 * Checked here, cheaply and before any hashing: authorized (24), the shape of the params (20 —
 * PowerPool sent no reply at all, §15 items 4 and 18), the job id against this client's issued ids
 * and the feed's flushes (stale, 21). The worker param is ignored as in PowerPool: shares are
 * credited to the authorized address/worker. The ShareChecker then hashes, finds duplicates and
 * low-difficulty shares, and forwards the record — for stale shares too, so they are counted — at
 * the difficulty the job id was issued with. The reply is the checker's verdict, so what the miner
 * is told and what is recorded agree. Replies keep request order even when a check is async.
 *
 * Two entries, one behaviour: `submit` takes the params JSON.parse made; `submitLine` (the fast
 * path, tried first for every line) takes the line's bytes when they are a plain submit
 * (submit-line.ts), applies the same rules to the bytes and calls the checker's `checkRaw`, so a
 * share costs no line string, parsed object, param strings or context object. Whatever it does
 * not handle it leaves, untouched, to the JSON path.
 */
import { RateWindow } from "../../shared/hashrate/rate-window.ts";
import type { EdgeJob, RawSubmit, ShareVerdict, SubmitContext, SubmitParams } from "../ports.ts";
import { hexBytesInto, isHexOfBytes, parseHexU32At } from "../shares/params.ts";
import { StratumError } from "./errors.ts";
import { retargetIfDue } from "./push.ts";
import { errorReply, okReply } from "./replies.ts";
import type { ReplySlot, Session } from "./session.ts";
import { idText, internAscii, parseSubmitLine, SubmitLine } from "./submit-line.ts";

const MAX_JOB_ID = 64;
const BROKEN: ShareVerdict = { result: "invalid", code: StratumError.OTHER, message: "share check failed" };

export function submit(s: Session, id: string, params: readonly unknown[], now: number): void {
  const ctx = s.ctx;
  if (!s.authorized) {
    ctx.counters.not_authed_err++;
    s.send(errorReply(id, StratumError.UNAUTHORIZED));
    // A few are a miner pipelining after a reconnect; a stream of them is a flood (ip-guard.ts).
    s.transport.strike("mining.submit before mining.authorize", now, "unauthorized");
    return;
  }
  const p = parseSubmit(params, ctx.extranonce2Size * 2);
  s.markActive(now);
  if (!p) {
    ctx.counters.invalid++;
    s.send(errorReply(id, StratumError.OTHER));
    s.recordOutcome(true, now);
    return;
  }
  resolveJob(s, p.jobId);
  const { job, stale, difficulty } = resolved;
  // The checker sees the job's own id: a per-client re-push id is this layer's business.
  const shareParams = job && job.id !== p.jobId ? { ...p, jobId: job.id } : p;
  const sc: SubmitContext = {
    port: ctx.key,
    jobmanager: ctx.jobmanager,
    extranonce1: s.extranonce1,
    versionMask: s.versionMask,
    difficulty,
    address: s.address,
    worker: s.worker,
    receivedAt: now,
    job,
    stale,
  };
  let verdict: ShareVerdict | Promise<ShareVerdict>;
  try {
    verdict = ctx.checker.check(sc, shareParams);
  } catch (e) {
    ctx.log.error("stratum: share check threw", { error: e, worker: s.name });
    verdict = BROKEN;
  }
  answer(s, id, verdict, difficulty, resolved.job !== undefined, now);
}

/** What `resolveJob` found; module-level because submits are handled one at a time, so no object per share. */
const resolved: { job: EdgeJob | undefined; stale: boolean; difficulty: number } = { job: undefined, stale: true, difficulty: 0 };

/** This client's view of a job id, into `resolved`. */
function resolveJob(s: Session, jobId: string): void {
  const ctx = s.ctx;
  // The feed finds the job by the id's leading hex; this client's record says whether, and at
  // which difficulty, it was given that id.
  const found = ctx.feed.find(ctx.jobmanager, jobId);
  const issuedAt = found === "unknown" ? undefined : s.jobs.difficultyOf(jobId, found.job);
  const issued = issuedAt === undefined || found === "unknown" ? undefined : found;
  resolved.job = issued?.job;
  resolved.stale = issued === undefined || issued.stale;
  resolved.difficulty = issuedAt ?? s.difficulty;
}

/** Sends the verdict's reply now, or reserves its place until an asynchronous check settles. */
function answer(s: Session, id: string, verdict: ShareVerdict | Promise<ShareVerdict>, difficulty: number, issued: boolean, now: number): void {
  if (isPromise(verdict)) {
    const slot = s.reserve(id, now);
    const ctx = s.ctx;
    ctx.checksInFlight++;
    verdict.then(
      (v) => {
        ctx.checksInFlight--;
        finish(s, id, v, difficulty, issued, now, slot);
      },
      (e: unknown) => {
        ctx.checksInFlight--;
        ctx.log.error("stratum: share check failed", { error: e, worker: s.name });
        finish(s, id, BROKEN, difficulty, issued, now, slot);
      },
    );
  } else {
    finish(s, id, verdict, difficulty, issued, now, undefined);
  }
}

// ---------------------------------------------------------------- fast path
// One submit at a time on this thread, so the parse result, the checker's input and the submit
// context are reused objects: a well-formed submit allocates only its reply.

const LINE = new SubmitLine();
const NO_BYTES = new Uint8Array(0);
const RAW: RawSubmit = { jobId: "", source: NO_BYTES, extranonce2Start: 0, extranonce2End: 0, ntime: 0, nonce: 0, versionBits: 0 };
const SC: { -readonly [K in keyof SubmitContext]: SubmitContext[K] } = {
  port: "",
  jobmanager: "",
  extranonce1: NO_BYTES,
  versionMask: 0,
  difficulty: 1,
  address: "",
  worker: "",
  receivedAt: 0,
  job: undefined,
  stale: true,
};
/** Scratch for the hex check of extranonce2 (the checker decodes it again into its own buffer). */
const HEX_SCRATCH = new Uint8Array(16);

/**
 * A mining.submit answered straight from the line's bytes (valid during the call only): the same
 * checks, verdicts, records and reply as `submit`, without JSON.parse or a string per param.
 * Returns false, having done nothing, for anything it does not handle — a line that is not a plain
 * submit (submit-line.ts), a client not authorized, a malformed param, a checker without
 * `checkRaw` — so the caller takes the generic path, which answers those cases.
 */
export function submitLine(s: Session, bytes: Uint8Array, start: number, end: number, now: number): boolean {
  const ctx = s.ctx;
  const checker = ctx.checker;
  if (!s.authorized || checker.checkRaw === undefined) return false;
  const L = LINE;
  if (!parseSubmitLine(bytes, start, end, L)) return false;
  // parseSubmit's rules, on bytes.
  const jobLength = L.jobEnd - L.jobStart;
  if (jobLength === 0 || jobLength > MAX_JOB_ID) return false;
  if (!hexBytesInto(bytes, L.en2Start, L.en2End, ctx.extranonce2Size, HEX_SCRATCH, 0)) return false;
  const ntime = L.ntimeEnd - L.ntimeStart === 8 ? parseHexU32At(bytes, L.ntimeStart) : -1;
  const nonce = L.nonceEnd - L.nonceStart === 8 ? parseHexU32At(bytes, L.nonceStart) : -1;
  const versionBits = L.vbStart < 0 ? 0 : L.vbEnd - L.vbStart === 8 ? parseHexU32At(bytes, L.vbStart) : -1;
  if (ntime < 0 || nonce < 0 || versionBits < 0) return false;

  const id = idText(bytes, L);
  try {
    checkLine(s, bytes, L, id, ntime, nonce, versionBits, now);
  } catch (e) {
    // As dispatch() does for the JSON path: the miner still gets an answer.
    ctx.log.error(`stratum: mining.submit failed`, { error: e, ip: s.transport.ip });
    s.send(errorReply(id, StratumError.OTHER));
  }
  return true;
}

function checkLine(s: Session, bytes: Uint8Array, L: SubmitLine, id: string, ntime: number, nonce: number, versionBits: number, now: number): void {
  const ctx = s.ctx;
  const checker = ctx.checker;
  // Job ids repeat share after share: interned, so looking one up makes no string.
  const jobId = internAscii(bytes, L.jobStart, L.jobEnd);
  s.markActive(now);
  resolveJob(s, jobId);
  const difficulty = resolved.difficulty;
  const r = RAW;
  r.jobId = resolved.job ? resolved.job.id : jobId;
  r.source = bytes;
  r.extranonce2Start = L.en2Start;
  r.extranonce2End = L.en2End;
  r.ntime = ntime;
  r.nonce = nonce;
  r.versionBits = versionBits;
  const sc = SC;
  sc.port = ctx.key;
  sc.jobmanager = ctx.jobmanager;
  sc.extranonce1 = s.extranonce1;
  sc.versionMask = s.versionMask;
  sc.difficulty = difficulty;
  sc.address = s.address;
  sc.worker = s.worker;
  sc.receivedAt = now;
  sc.job = resolved.job;
  sc.stale = resolved.stale;
  let verdict: ShareVerdict | Promise<ShareVerdict>;
  try {
    verdict = checker.checkRaw!(sc, r);
  } catch (e) {
    ctx.log.error("stratum: share check threw", { error: e, worker: s.name });
    verdict = BROKEN;
  } finally {
    // Keep no reference to the socket's chunk or this session past the call.
    r.source = NO_BYTES;
    sc.extranonce1 = NO_BYTES;
    sc.job = undefined;
  }
  answer(s, id, verdict, difficulty, resolved.job !== undefined, now);
}

/**
 * `issued`: the job id was one this client was given. A stale share for such a job (a block came
 * while the share was on its way) is what every honest miner sends after a new block, the faster
 * the more: it does not count toward the invalid-share ban. An id never issued does.
 */
function finish(s: Session, id: string, v: ShareVerdict, difficulty: number, issued: boolean, receivedAt: number, slot: ReplySlot | undefined): void {
  if (s.transport.closed) return;
  const ctx = s.ctx;
  ctx.counters[v.result]++;
  let reply: string;
  if (v.result === "acc") {
    reply = okReply(id);
    s.acceptedDifficulty += difficulty;
    (s.acceptedRate ??= new RateWindow(s.transport.connectedAt)).add(difficulty, receivedAt);
    ctx.counters.acceptedDifficulty += difficulty;
    ctx.onAccepted(difficulty, receivedAt);
    s.vardiff.onAccepted(difficulty, receivedAt);
    s.transport.markHonest();
  } else {
    reply = errorReply(id, v.code);
    if (ctx.log.enabled("debug")) ctx.log.debug(`${v.message}: share rejected from worker ${s.name}`, { code: v.code });
  }
  if (slot) s.fill(slot, reply);
  else s.send(reply);
  const now = slot ? ctx.clock.now() : receivedAt;
  if (s.recordOutcome(v.result !== "acc" && !(v.result === "stale" && issued), now)) return;
  retargetIfDue(s, now);
}

/** The params' shape, or undefined for anything malformed (error 20). */
export function parseSubmit(params: readonly unknown[], extranonce2HexLength: number): SubmitParams | undefined {
  if (params.length < 5) return undefined;
  const [, jobId, extranonce2, ntime, nonce, versionBits] = params;
  if (typeof jobId !== "string" || jobId.length === 0 || jobId.length > MAX_JOB_ID) return undefined;
  if (!isHexOfBytes(extranonce2, extranonce2HexLength / 2) || !isHexOfBytes(ntime, 4) || !isHexOfBytes(nonce, 4)) return undefined;
  if (versionBits !== undefined && versionBits !== null && !isHexOfBytes(versionBits, 4)) return undefined;
  return { jobId, extranonce2, ntime, nonce, versionBits: typeof versionBits === "string" ? versionBits : undefined };
}

function isPromise<T>(v: T | Promise<T>): v is Promise<T> {
  return typeof (v as { then?: unknown }).then === "function";
}
