/**
 * @module mining.suggest_difficulty `[difficulty]` (PowerPool answered error 20). Accepted before
 * or after authorize, fractional values included, clamped to the port's
 * [vardiff.minimum_difficulty, vardiff.maximum_difficulty] (and not below the client's own
 * mining.configure minimum-difficulty); always answered. It sets the
 * difficulty vardiff starts from (the last of suggest and password `-d` wins); after authorize the
 * new difficulty goes out with a re-push of the newest job under a new id.
 */
import { clamp } from "../vardiff/retarget.ts";
import { StratumError } from "./errors.ts";
import { changeDifficulty } from "./push.ts";
import { errorReply, okReply } from "./replies.ts";
import type { Session } from "./session.ts";

/** A decimal number as text ("0x10", "Infinity", " 5" are not). */
const DECIMAL = /^[+]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

export function suggestDifficulty(s: Session, id: string, params: readonly unknown[], now: number): void {
  const raw = params[0];
  // JSON.parse makes 1e400 Infinity: refused below with the rest of the non-finite values.
  const value = typeof raw === "number" ? raw : typeof raw === "string" && DECIMAL.test(raw) ? Number(raw) : NaN;
  if (!Number.isFinite(value) || value <= 0) {
    s.send(errorReply(id, StratumError.OTHER));
    return;
  }
  const v = s.ctx.cfg.vardiff;
  const difficulty = clamp(value, Math.max(v.minimum_difficulty, s.minimumDifficulty ?? 0), v.maximum_difficulty);
  s.send(okReply(id));
  s.vardiff.onDifficultySet(now);
  changeDifficulty(s, difficulty, now);
}
