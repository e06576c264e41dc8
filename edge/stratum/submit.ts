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
 */
import type { ShareVerdict, SubmitContext, SubmitParams } from "../ports.ts";
import { isHexOfBytes } from "../shares/params.ts";
import { StratumError } from "./errors.ts";
import { retargetIfDue } from "./push.ts";
import { errorReply, okReply } from "./replies.ts";
import type { ReplySlot, Session } from "./session.ts";

const MAX_JOB_ID = 64;
const BROKEN: ShareVerdict = { result: "invalid", code: StratumError.OTHER, message: "share check failed" };

export function submit(s: Session, id: string, params: readonly unknown[], now: number): void {
  const ctx = s.ctx;
  if (!s.authorized) {
    ctx.counters.not_authed_err++;
    s.send(errorReply(id, StratumError.UNAUTHORIZED));
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
  const issued = s.jobs.get(p.jobId);
  let stale = true;
  let shareParams = p;
  if (issued) {
    const found = ctx.feed.find(ctx.jobmanager, issued.job.id);
    stale = found === "unknown" || found.stale;
    // The checker sees the job's own id: a per-client re-push id is this layer's business.
    if (issued.job.id !== p.jobId) shareParams = { ...p, jobId: issued.job.id };
  }
  const difficulty = issued ? issued.difficulty : s.difficulty;
  const sc: SubmitContext = {
    port: ctx.key,
    jobmanager: ctx.jobmanager,
    extranonce1: s.extranonce1,
    versionMask: s.versionMask,
    difficulty,
    address: s.address,
    worker: s.worker,
    receivedAt: now,
    job: issued?.job,
    stale,
  };
  let verdict: ShareVerdict | Promise<ShareVerdict>;
  try {
    verdict = ctx.checker.check(sc, shareParams);
  } catch (e) {
    ctx.log.error("stratum: share check threw", { error: e, worker: s.name });
    verdict = BROKEN;
  }
  if (isPromise(verdict)) {
    const slot = s.reserve(id, now);
    verdict.then(
      (v) => finish(s, id, v, difficulty, now, slot),
      (e: unknown) => {
        ctx.log.error("stratum: share check failed", { error: e, worker: s.name });
        finish(s, id, BROKEN, difficulty, now, slot);
      },
    );
  } else {
    finish(s, id, verdict, difficulty, now, undefined);
  }
}

function finish(s: Session, id: string, v: ShareVerdict, difficulty: number, receivedAt: number, slot: ReplySlot | undefined): void {
  if (s.transport.closed) return;
  const ctx = s.ctx;
  ctx.counters[v.result]++;
  let reply: string;
  if (v.result === "acc") {
    reply = okReply(id);
    s.acceptedDifficulty += difficulty;
    ctx.counters.acceptedDifficulty += difficulty;
    ctx.onAccepted(difficulty, receivedAt);
    s.vardiff.onAccepted(difficulty, receivedAt);
  } else {
    reply = errorReply(id, v.code);
    if (ctx.log.enabled("debug")) ctx.log.debug(`${v.message}: share rejected from worker ${s.name}`, { code: v.code });
  }
  if (slot) s.fill(slot, reply);
  else s.send(reply);
  const now = slot ? ctx.clock.now() : receivedAt;
  if (s.recordOutcome(v.result !== "acc", now)) return;
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
