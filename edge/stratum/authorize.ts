/**
 * @module mining.authorize `[username, password?]` (PowerPool spec §2.4, §2.5, §4.4). Never fails
 * once subscribed. Replies, in order: `true`, set_difficulty, then the newest job (clean_jobs
 * false); with no job yet the first one arrives by broadcast, still after set_difficulty.
 *
 * Fixes: a lone username (no password) is credited to that username (PowerPool discarded it and
 * paid the donate key, §15 item 5); a non-string password is an empty one (PowerPool crashed, §15 item 18).
 */
import type { PortContext } from "./context.ts";
import { StratumError } from "./errors.ts";
import { parsePassword, type PasswordOptions } from "./password.ts";
import { pushJob, sendDifficulty } from "./push.ts";
import { errorReply, okReply } from "./replies.ts";
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
  const credit = parseUsername(username, ctx.usernameRules);
  applyPassword(s, parsePassword(password), ctx);
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

/** Spec §4.4 order: start-diff, diff, max-diff, min-diff; zero means "not given" as in PowerPool. */
function applyPassword(s: Session, o: PasswordOptions, ctx: PortContext): void {
  const floor = ctx.cfg.minimum_manual_diff;
  if (o.startDiff) s.nextDiff = Math.max(floor, o.startDiff);
  if (o.diff) {
    s.nextDiff = Math.max(floor, o.diff);
    s.vardiff.enabled = false;
  }
  s.vardiff.restrict(o.minDiff || undefined, o.maxDiff || undefined);
}
