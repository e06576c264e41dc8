/**
 * @module mining.subscribe `[user_agent?, session_id?]` (PowerPool spec §2.4). Unlike PowerPool, a
 * session id from an earlier subscribe reply (cpuminer sends it on reconnect) asks the allocator
 * for that extranonce1 back. Nothing is sent before this reply: CPU miners read the first line as it.
 */
import { StratumError } from "./errors.ts";
import { errorReply, subscribeReply } from "./replies.ts";
import type { Session } from "./session.ts";

const MAX_USER_AGENT = 256;
/** Session ids we hand out are extranonce1 hex (at most 8 bytes). */
const SESSION_ID = /^[0-9a-fA-F]{2,32}$/;

export function subscribe(s: Session, id: string, params: readonly unknown[], _now: number): void {
  if (s.subscribed) {
    s.send(errorReply(id, StratumError.OTHER));
    return;
  }
  const agent = params[0];
  if (typeof agent === "string") s.userAgent = agent.slice(0, MAX_USER_AGENT);
  const resume = params[1];
  const sessionId = typeof resume === "string" && SESSION_ID.test(resume) ? resume.toLowerCase() : undefined;
  let allocated: { extranonce1: Uint8Array; hex: string };
  try {
    allocated = s.ctx.allocator.allocate(sessionId);
  } catch (e) {
    s.ctx.log.error("stratum: no extranonce1 to give", { error: e });
    s.send(errorReply(id, StratumError.OTHER));
    return;
  }
  s.setExtranonce1(allocated.hex);
  s.subscribed = true;
  s.send(subscribeReply(id, allocated.hex, s.ctx.extranonce2Size));
}
