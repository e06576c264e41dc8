/**
 * @module An edge's quarantine as Redis holds it (issue 20 §3): one hash per quarantined edge,
 * `quarantine(edge)`, written by the gate (core/gate/) when a check of that edge's records fails,
 * read by the monitor, and given the operator's decision — release (credit the held records) or
 * discard (dead-letter them) — which the leader's gate carries out and then deletes the key.
 *
 * While the key exists the gate reads nothing more from that edge's streams: its entries stay in
 * them ("held"), un-credited. The key has no TTL: a quarantine ends only by the operator's word.
 *
 * Fields: since (ms), reason (one line), stream and entry (where the failed check was), detail
 * (what was checked, one line), action ("release" | "discard" | ""), actionAt (ms).
 */
import type Redis from "ioredis";
import type { ContractNames } from "../../shared/contract/index.ts";

export type QuarantineAction = "release" | "discard";

export interface QuarantineState {
  readonly edge: string;
  readonly since: number;
  readonly reason: string;
  readonly detail: string;
  readonly stream: string;
  readonly entry: string;
  /** The operator's decision, not carried out yet; null while none was given. */
  readonly action: QuarantineAction | null;
  readonly actionAt: number | null;
}

/** The hash fields of a new quarantine, for the gate's fenced HSET. */
export function quarantineFields(q: Omit<QuarantineState, "edge" | "action" | "actionAt">): string[] {
  return ["since", String(q.since), "reason", oneLine(q.reason), "detail", oneLine(q.detail), "stream", q.stream, "entry", q.entry, "action", "", "actionAt", ""];
}

/** A hash read back (HGETALL); anything that is not one of ours gives a state that says so rather than a throw. */
export function parseQuarantine(edge: string, h: Record<string, string>): QuarantineState {
  const num = (v: string | undefined) => (v !== undefined && /^\d{1,16}$/.test(v) ? Number(v) : null);
  const action = h.action === "release" || h.action === "discard" ? h.action : null;
  return {
    edge,
    since: num(h.since) ?? 0,
    reason: h.reason ?? "(no reason recorded)",
    detail: h.detail ?? "",
    stream: h.stream ?? "",
    entry: h.entry ?? "",
    action,
    actionAt: action ? num(h.actionAt) : null,
  };
}

export async function readQuarantine(redis: Redis, names: ContractNames, edge: string): Promise<QuarantineState | null> {
  const h = await redis.hgetall(names.quarantine(edge));
  return Object.keys(h).length === 0 ? null : parseQuarantine(edge, h);
}

/**
 * Every quarantined edge, oldest first, from the index the core writes with each quarantine
 * (`quarantineIndex`, one small set); with `scan`, also from a SCAN of the keyspace, which finds a
 * quarantine key written without the index (by hand) — a walk of every key, so only now and then.
 */
export async function listQuarantined(redis: Redis, names: ContractNames, opts: { readonly scan?: boolean } = {}): Promise<QuarantineState[]> {
  const head = names.quarantinePattern.slice(0, -1);
  const edges = new Set(await redis.smembers(names.quarantineIndex));
  if (opts.scan) {
    let cursor = "0";
    do {
      const [next, batch] = await redis.scan(cursor, "MATCH", names.quarantinePattern, "COUNT", 500);
      for (const k of batch) edges.add(k.slice(head.length));
      cursor = next;
    } while (cursor !== "0");
  }
  const out: QuarantineState[] = [];
  for (const edge of edges) {
    const h = await redis.hgetall(names.quarantine(edge));
    if (Object.keys(h).length > 0) out.push(parseQuarantine(edge, h));
  }
  return out.sort((a, b) => a.since - b.since);
}

/** Sets the operator's decision on an existing quarantine; false when the edge is not quarantined. */
export async function requestQuarantineAction(redis: Redis, names: ContractNames, edge: string, action: QuarantineAction, now = Date.now()): Promise<boolean> {
  const set = await redis.eval(
    "if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end redis.call('HSET', KEYS[1], 'action', ARGV[1], 'actionAt', ARGV[2]) return 1",
    1,
    names.quarantine(edge),
    action,
    String(now),
  );
  return set === 1;
}

function oneLine(s: string): string {
  return s.replace(/[\r\n]+/g, " ").slice(0, 1000);
}
