/**
 * @module mining.set_extranonce: sent when a client's extranonce1 changes (e.g. the edge's leased
 * id changed), which PowerPool never did. A client that asked for it (mining.extranonce.subscribe
 * or configure's subscribe-extranonce) gets the new value and a clean job under a fresh id map;
 * any other client is disconnected, since a miner that does not know its new extranonce1 (cpuminer
 * ignores set_extranonce) would only send shares that cannot validate.
 */
import { pushJob } from "./push.ts";
import { setExtranonceLine } from "./replies.ts";
import type { Session } from "./session.ts";

export function renewExtranonce1(s: Session, now: number): void {
  if (!s.subscribed || s.transport.closed) return;
  if (!s.extranonceSubscribed) {
    s.transport.close("extranonce1 changed");
    return;
  }
  const ctx = s.ctx;
  let next: { extranonce1: Uint8Array; hex: string };
  try {
    next = ctx.allocator.allocate();
  } catch (e) {
    ctx.log.error("stratum: no extranonce1 to give", { error: e });
    s.transport.close("extranonce1 changed");
    return;
  }
  ctx.allocator.release(s.extranonce1Hex);
  s.setExtranonce1(next.hex);
  s.send(setExtranonceLine(next.hex, ctx.extranonce2Size));
  // Ids issued for the old extranonce1 can no longer produce valid shares.
  s.jobs.clear();
  const job = ctx.feed.latest(ctx.jobmanager) ?? s.lastJob;
  if (s.authorized && job) pushJob(s, job, true, now);
}
