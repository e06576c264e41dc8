/**
 * @module mining.authorize `[username, password?]` (PowerPool spec §2.4, §2.5, §4.4). Never fails
 * once subscribed. Replies, in order: `true`, set_difficulty, then the newest job (clean_jobs
 * false); with no job yet the first one arrives by broadcast, still after set_difficulty.
 *
 * Fixes: a lone username (no password) is credited to that username (PowerPool discarded it and
 * paid the donate key, §15 item 5); a non-string password is an empty one (PowerPool crashed, §15 item 18).
 *
 * Password difficulties are bounded (issue 19: `d=1e308` once reached the core and wiped every
 * miner's credit): a value that is not finite, is negative, or is above the port's maximum
 * difficulty refuses the authorize with error 20 and a text naming the limit — the one case where
 * authorize fails, so a typo is seen at once instead of mining at a difficulty nobody asked for.
 * Values below `minimum_manual_diff` are raised to it, as in PowerPool. 0 means "not given".
 */
import { clampDifficulty } from "../../shared/config/difficulty.ts";
import type { PortContext } from "./context.ts";
import { StratumError } from "./errors.ts";
import { parsePassword, type PasswordOptions } from "./password.ts";
import { pushJob, sendDifficulty } from "./push.ts";
import { errorReply, errorReplyText, okReply } from "./replies.ts";
import type { Session } from "./session.ts";
import { parseUsername } from "./username.ts";

export function authorize(s: Session, id: string, params: readonly unknown[], now: number): void {
  const ctx = s.ctx;
  if (!s.subscribed) {
    ctx.counters.not_subbed_err++;
    s.send(errorReply(id, StratumError.NOT_SUBSCRIBED));
    return;
  }
  if (s.authorized) {
    ctx.counters.not_authed_err++;
    s.send(errorReply(id, StratumError.UNAUTHORIZED));
    return;
  }
  const username = typeof params[0] === "string" ? params[0] : "";
  const password = typeof params[1] === "string" ? params[1] : "";
  const options = parsePassword(password);
  const problem = passwordProblem(options, ctx.difficultyRange.max);
  if (problem !== undefined) {
    ctx.counters.unk_err++;
    if (ctx.log.enabled("debug")) ctx.log.debug(`authorize refused from ${s.transport.ip}: ${problem}`);
    s.send(errorReplyText(id, StratumError.OTHER, problem));
    return;
  }
  const credit = parseUsername(username, ctx.usernameRules);
  applyPassword(s, options, ctx);
  s.address = credit.address;
  s.worker = credit.worker;
  s.authorized = true;
  s.transport.markAuthorized();
  s.vardiff.onDifficultySet(now);
  ctx.onAuthorized(s);
  if (ctx.log.enabled("debug")) ctx.log.debug(`authorized ${s.name} (${credit.via}) from ${s.transport.ip}`, { difficulty: s.nextDiff });
  s.send(okReply(id));
  sendDifficulty(s);
  const job = ctx.feed.latest(ctx.jobmanager);
  if (job) pushJob(s, job, false, now);
  else s.lastPushAt = now;
}

const OPTION_NAMES: Readonly<Record<keyof PasswordOptions, string>> = { diff: "-d", startDiff: "--start-diff", maxDiff: "--max-diff", minDiff: "--min-diff" };

/** Why the password's difficulties cannot be used, or undefined when they can. */
export function passwordProblem(o: PasswordOptions, max: number): string | undefined {
  for (const key of Object.keys(OPTION_NAMES) as (keyof PasswordOptions)[]) {
    const v = o[key];
    if (v === undefined || v === 0) continue;
    const name = OPTION_NAMES[key];
    if (!Number.isFinite(v)) return `password ${name}: difficulty must be a finite number, got ${String(v)}`;
    if (v < 0) return `password ${name}: difficulty must be positive, got ${v}`;
    // --max-diff above the maximum limits nothing: harmless, allowed.
    if (v > max && key !== "maxDiff") return `password ${name}: difficulty ${v} is above this port's maximum ${max}`;
  }
  return undefined;
}

/** Spec §4.4 order: start-diff, diff, max-diff, min-diff; zero means "not given" as in PowerPool. Values were checked by `passwordProblem`. */
function applyPassword(s: Session, o: PasswordOptions, ctx: PortContext): void {
  const { manualMin, max } = ctx.difficultyRange;
  if (o.startDiff) s.nextDiff = clampDifficulty(o.startDiff, manualMin, max);
  if (o.diff) {
    s.nextDiff = clampDifficulty(o.diff, manualMin, max);
    s.vardiff.enabled = false;
  }
  s.vardiff.restrict(o.minDiff || undefined, o.maxDiff || undefined);
}
