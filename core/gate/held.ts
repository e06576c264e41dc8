/**
 * @module The operator's decision on a quarantined edge, carried out by the leader's gate: its held
 * entries — everything pending in the gate group on its streams (its own and other consumers'),
 * then the new ones up to each stream's last id at the time the decision was seen — are either
 * passed on WITHOUT audit (release: the operator vouched for them) or dead-lettered and
 * acknowledged (discard). Each entry is one fenced MULTI, so a crash midway leaves the rest
 * pending and the next leader finishes (the quarantine key goes only after).
 *
 * Entries past the cut-off that the read delivered stay pending under this consumer's name: the
 * edge's resumed consumer re-reads them first, with the audit.
 */
import type Redis from "ioredis";
import { callBuffer } from "../../shared/redis.ts";
import { deadLetter } from "../ingest/dead-letter.ts";
import { parseAutoClaim, parseReadGroup, type RawEntry } from "../ingest/stream-reply.ts";
import { createAgentGate, createShareGate, type GateContext, type GateSource } from "./entries.ts";
import type { QuarantineState } from "./quarantine-store.ts";

const COUNT = 100;

export interface Settled {
  /** Entries passed on (release) or dead-lettered (discard). */
  readonly entries: number;
}

export async function settleHeld(ctx: GateContext, q: QuarantineState & { readonly action: "release" | "discard" }): Promise<Settled> {
  let total = 0;
  for (const kind of ["shares", "agent"] as const) {
    const src: GateSource = { stream: ctx.names.edgeStream(kind, q.edge), kind, identity: q.edge };
    if ((await ctx.redis.exists(src.stream)) === 0) continue;
    await ensureGroup(ctx.redis, src.stream, ctx.names.gateGroup);
    const handle = q.action === "release" ? (kind === "shares" ? createShareGate(ctx, src, { audit: false }) : createAgentGate(ctx, src)) : discarder(ctx, src, q.reason);
    total += await eachHeld(ctx, src.stream, handle);
  }
  return { entries: total };
}

/** Dead-letters and acknowledges every entry it is given. */
function discarder(ctx: GateContext, src: GateSource, reason: string): (entries: RawEntry[]) => Promise<void> {
  const target = { stream: src.stream, group: ctx.names.gateGroup, deadLetter: ctx.names.deadLetter(src.kind), consumer: ctx.consumer };
  return async (entries) => {
    for (const e of entries) await deadLetter(ctx.redis, target, e, `discarded by the operator after quarantine: ${reason}`);
    ctx.totals.deadLettered += entries.length;
    ctx.counters?.deadLettered.incr(entries.length);
  };
}

/** Hands every held entry of `stream` to `handle` once; returns how many. */
async function eachHeld(ctx: GateContext, stream: string, handle: (entries: RawEntry[]) => Promise<void>): Promise<number> {
  const { redis, consumer } = ctx;
  const group = ctx.names.gateGroup;
  const lastReply = (await redis.xrevrange(stream, "+", "-", "COUNT", 1))[0];
  const last = lastReply ? lastReply[0] : null;
  let n = 0;
  // Pending in the group: this consumer's and anyone else's (min idle 0).
  let cursor = "0-0";
  do {
    const { next, entries } = parseAutoClaim(await callBuffer(redis, "XAUTOCLAIM", stream, group, consumer, 0, cursor, "COUNT", COUNT));
    await handle(entries);
    n += entries.length;
    cursor = next;
  } while (cursor !== "0-0");
  if (last === null) return n;
  // Not yet delivered, up to the cut-off.
  for (;;) {
    const entries = parseReadGroup(await callBuffer(redis, "XREADGROUP", "GROUP", group, consumer, "COUNT", COUNT, "STREAMS", stream, ">"));
    const upTo = entries.filter((e) => compareIds(e.id, last) <= 0);
    await handle(upTo);
    n += upTo.length;
    if (entries.length === 0 || upTo.length < entries.length) return n;
  }
}

async function ensureGroup(redis: Redis, stream: string, group: string): Promise<void> {
  await redis.call("XGROUP", "CREATE", stream, group, "0").catch((e: unknown) => {
    if (!(e instanceof Error && e.message.startsWith("BUSYGROUP"))) throw e;
  });
}

/** Stream ids compared as numbers (`ms-seq`). */
export function compareIds(a: string, b: string): number {
  const [am = "0", as = "0"] = a.split("-");
  const [bm = "0", bs = "0"] = b.split("-");
  const d = BigInt(am) - BigInt(bm) || BigInt(as) - BigInt(bs);
  return d === 0n ? 0 : d < 0n ? -1 : 1;
}
