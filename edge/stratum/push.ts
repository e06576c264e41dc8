/**
 * @module Sending jobs to one client (PowerPool spec §2.6).
 *
 * A job goes out under its own id, as the bytes the job built once for every client
 * (`notifyLine`): a broadcast writes one shared buffer to all. When this client already holds the
 * job (a keepalive or a difficulty change re-pushing it), it gets a per-client re-push id instead
 * (`notifyLineWithId`; issued-jobs.ts says why, and how ids are remembered); clients re-pushed in
 * the same second get the same id, so they share that line too. A pending difficulty change is
 * sent as set_difficulty immediately before the notify it applies to.
 */
import { clampDifficulty } from "../../shared/config/difficulty.ts";
import type { EdgeJob } from "../ports.ts";
import { repushId } from "./issued-jobs.ts";
import { setDifficultyLine } from "./replies.ts";
import type { Session } from "./session.ts";

/** Sends set_difficulty if the difficulty changed (or was never sent). */
export function sendDifficulty(s: Session): void {
  if (s.difficultySent && s.nextDiff === s.difficulty) return;
  s.difficulty = s.nextDiff;
  s.difficultySent = true;
  s.send(setDifficultyLine(s.difficulty));
}

export function pushJob(s: Session, job: EdgeJob, clean: boolean, now: number): void {
  sendDifficulty(s);
  const k = s.jobs.issue(job, s.difficulty, now);
  s.lastJob = job;
  s.lastPushAt = now;
  s.send(k === 0 ? job.notifyLine(clean) : repushLine(job, k, clean));
}

/**
 * A broadcast's push to one client in the common case (a client mid-retarget or with replies still
 * pending takes `pushJob`): the difficulty it was sent stands and the job is newer than any it
 * holds, so it gets `line`, the job's shared notify, recorded exactly as `pushJob` records it.
 * False, with nothing done, otherwise. Kept apart from `pushJob`, which the keepalive sweep and
 * retargets run between jobs with their set_difficulty and re-push ids: sharing it, those pushes
 * kept throwing away the code JavaScriptCore had optimized for the broadcast, and the next 10 k
 * client fan-outs paid a ~25 ms recompile on a JIT thread, on the core the receiving side needed
 * (measured beside bench:edge's load: the last notify of such a fan-out landed 15 ms after the
 * write loop ended, against ~0 in the others).
 */
export function broadcastJob(s: Session, job: EdgeJob, line: Uint8Array, now: number): boolean {
  if (!s.difficultySent || s.nextDiff !== s.difficulty || !s.jobs.issueOwn(job, s.difficulty)) return false;
  s.lastJob = job;
  s.lastPushAt = now;
  s.send(line);
  return true;
}

/** The last re-push line built: the clients re-pushed in one sweep mostly get the same id (issued-jobs.ts). */
let lastRepush: { readonly job: EdgeJob; readonly k: number; readonly clean: boolean; readonly line: Uint8Array } | undefined;

function repushLine(job: EdgeJob, k: number, clean: boolean): Uint8Array {
  const last = lastRepush;
  if (last && last.job === job && last.k === k && last.clean === clean) return last.line;
  const line = job.notifyLineWithId(repushId(job, k), clean);
  lastRepush = { job, k, clean, line };
  return line;
}

/**
 * Re-sends the newest job with clean_jobs=false: keepalive, and after a difficulty change. With no
 * job yet it only sends a changed difficulty; the first job reaches the client by broadcast.
 */
export function pushLatest(s: Session, now: number): void {
  const job = s.ctx.feed.latest(s.ctx.jobmanager) ?? s.lastJob;
  if (job) pushJob(s, job, false, now);
  else {
    sendDifficulty(s);
    s.lastPushAt = now;
  }
}

/**
 * Moves the client to `difficulty` (vardiff, suggest_difficulty, configure); it takes effect with a
 * new job id. Callers bound what they pass; this is the last guard that nothing outside the port's
 * range (or NaN) ever becomes a session's difficulty, and so a share record's.
 */
export function changeDifficulty(s: Session, difficulty: number, now: number): void {
  const r = s.ctx.difficultyRange;
  s.nextDiff = clampDifficulty(difficulty, Math.min(r.min, r.manualMin), r.max);
  if (s.authorized && s.nextDiff !== s.difficulty) pushLatest(s, now);
}

/** Runs a vardiff retarget if one is due; a change goes out at once (set_difficulty + re-push). True if it changed. */
export function retargetIfDue(s: Session, now: number): boolean {
  if (!s.vardiff.due(now)) return false;
  const next = s.vardiff.retarget(s.nextDiff, now);
  if (next === undefined) return false;
  s.ctx.counters.vardiffChanges++;
  s.ctx.log.info(`VARDIFF: Moving to D${next} from D${s.nextDiff} on ${s.name}`);
  changeDifficulty(s, next, now);
  return true;
}
