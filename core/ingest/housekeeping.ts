/**
 * @module Keeps a consumed stream small: entries every group has acknowledged are trimmed (XTRIM
 * MINID up to the oldest entry some group still needs), and consumers that left nothing pending
 * and have been idle for an hour are removed (each core run adds one by its name). Also reports
 * the group's backlog for the monitor.
 */
import type Redis from "ioredis";

/** A consumer idle this long with nothing pending is a past run of a core. */
const DEAD_CONSUMER_IDLE_MS = 3_600_000;

export interface GroupBacklog {
  /** Entries delivered and not yet acknowledged. */
  readonly pending: number;
  /** Entries not yet delivered (Redis ≥ 7; null when unknown). */
  readonly lag: number | null;
}

export async function tidyStream(redis: Redis, stream: string, group: string, me: string): Promise<GroupBacklog> {
  const groups = (await redis.call("XINFO", "GROUPS", stream)) as unknown[];
  let minId: [bigint, bigint] | null = null;
  let backlog: GroupBacklog = { pending: 0, lag: null };
  for (const g of groups) {
    const info = fields(g);
    const name = String(info.name);
    const pending = Number(info.pending ?? 0);
    let needed = nextId(String(info["last-delivered-id"] ?? "0-0"));
    if (pending > 0) {
      const summary = (await redis.xpending(stream, name)) as unknown[];
      if (typeof summary[1] === "string") needed = parseId(summary[1]);
    }
    if (!minId || compareIds(needed, minId) < 0) minId = needed;
    if (name === group) backlog = { pending, lag: info.lag === undefined || info.lag === null ? null : Number(info.lag) };
  }
  if (minId) await redis.xtrim(stream, "MINID", `${minId[0]}-${minId[1]}`);

  const consumers = (await redis.call("XINFO", "CONSUMERS", stream, group)) as unknown[];
  for (const c of consumers) {
    const info = fields(c);
    if (info.name !== me && Number(info.pending) === 0 && Number(info.idle) > DEAD_CONSUMER_IDLE_MS) {
      await redis.call("XGROUP", "DELCONSUMER", stream, group, String(info.name));
    }
  }
  return backlog;
}

function fields(flat: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!Array.isArray(flat)) return out;
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = flat[i + 1];
  return out;
}

function parseId(id: string): [bigint, bigint] {
  const [ms = "0", seq = "0"] = id.split("-");
  return [BigInt(ms), BigInt(seq)];
}

function nextId(id: string): [bigint, bigint] {
  const [ms, seq] = parseId(id);
  return [ms, seq + 1n];
}

function compareIds(a: [bigint, bigint], b: [bigint, bigint]): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  return a[1] === b[1] ? 0 : a[1] < b[1] ? -1 : 1;
}
