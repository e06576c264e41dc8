/**
 * @module What the monitor knows about quarantined edges (issue 20 §3): the quarantine hashes the
 * gate (core/gate/) writes, how many of the edge's share entries the gate holds back meanwhile,
 * the one ERROR line per new quarantine, and the operator's desk that records a release or a
 * discard for the leader's gate to carry out (core/gate/quarantine-store.ts).
 *
 * Redis is untrusted input here: a key of the wrong type, missing or absurd fields, or a huge
 * value must show up as what it is, never throw out of a read or reach a log line unescaped.
 */
import type Redis from "ioredis";
import { isEdgeStreamName, type ContractNames } from "../../shared/contract/index.ts";
import type { Logger } from "../../shared/log.ts";
import type { RedisClient } from "../../shared/redis.ts";
import { parseQuarantine, requestQuarantineAction, type QuarantineAction, type QuarantineState } from "../gate/quarantine-store.ts";

/** The edge's share entries the gate has not acknowledged: the failed one and all after it. */
export interface HeldEntries {
  /** Delivered to the gate, not acknowledged (the entry whose check failed among them). */
  readonly pending: number;
  /** Not delivered yet; null when Redis cannot tell (before 7.0, or after deletions in the stream). */
  readonly lag: number | null;
  /** pending + lag; null while lag is unknown. */
  readonly total: number | null;
}

export interface QuarantineView extends QuarantineState {
  /** Null when the stream or its gate group is missing, or Redis did not say. */
  readonly held: HeldEntries | null;
  /** Set when the key is not a hash the gate could have written (its type, say); the operator must look at it by hand. */
  readonly malformed: string | null;
}

/** Quarantine keys read per view; only the gate writes them, so more means something is badly wrong. */
export const MAX_QUARANTINES = 1000;
const MAX_TEXT = 1000;

/** The quarantine at `key` (a key of quarantinePattern); null when it is gone. */
export async function readQuarantineKey(redis: RedisClient, names: ContractNames, key: string): Promise<QuarantineView | null> {
  const edge = key.slice(names.quarantinePattern.length - 1);
  const type = await redis.type(key);
  if (type === "none") return null;
  const valid = isEdgeStreamName(edge);
  if (type !== "hash" || !valid) {
    const malformed = valid ? `the quarantine key is a ${clip(type, 40)}, not a hash` : "the key does not name an edge (the gate never writes such a key)";
    return { ...parseQuarantine(clip(edge, 200), {}), reason: `(${malformed})`, held: valid ? await heldEntries(redis, names, edge) : null, malformed };
  }
  const h = await redis.hgetall(key);
  if (Object.keys(h).length === 0) return null; // deleted between TYPE and HGETALL
  const q = parseQuarantine(edge, h);
  return { ...q, reason: clip(q.reason), detail: clip(q.detail), stream: clip(q.stream), entry: clip(q.entry), held: await heldEntries(redis, names, edge), malformed: null };
}

/** Every quarantine among `keys` (SCAN results), oldest first. */
export async function readQuarantines(redis: RedisClient, names: ContractNames, keys: readonly string[]): Promise<QuarantineView[]> {
  const read = await Promise.all(keys.slice(0, MAX_QUARANTINES).map((k) => readQuarantineKey(redis, names, k)));
  return read.filter((q): q is QuarantineView => q !== null).sort((a, b) => a.since - b.since || a.edge.localeCompare(b.edge));
}

/** XINFO GROUPS of the edge's share stream, the gate group's pending and lag; null when either is missing or unreadable. */
export async function heldEntries(redis: RedisClient, names: ContractNames, edge: string): Promise<HeldEntries | null> {
  let groups: unknown;
  try {
    groups = await redis.xinfo("GROUPS", names.edgeStream("shares", edge));
  } catch {
    return null; // no such stream, or not a stream: nothing we can count
  }
  if (!Array.isArray(groups)) return null;
  for (const g of groups) {
    if (!Array.isArray(g)) continue;
    const f = new Map<string, unknown>();
    for (let i = 0; i + 1 < g.length; i += 2) f.set(String(g[i]), g[i + 1]);
    if (f.get("name") !== names.gateGroup) continue;
    const pending = count(f.get("pending"));
    if (pending === null) return null;
    const lag = count(f.get("lag"));
    return { pending, lag, total: lag === null ? null : pending + lag };
  }
  return null;
}

function count(v: unknown): number | null {
  const n = typeof v === "number" ? v : typeof v === "string" && /^\d{1,15}$/.test(v) ? Number(v) : NaN;
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}

/** Long values cut (the dashboard and the logs show one line). */
export function clip(s: string, max = MAX_TEXT): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/** For log lines: control characters escaped (an edge name or reason from Redis must not forge lines). */
export function printable(s: string, max = 300): string {
  return clip(s, max).replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

/** "12 held entries", or "its held entries" while the count is unknown. */
export function heldPhrase(held: HeldEntries | null): string {
  if (held?.total == null) return "its held entries (count unknown)";
  return `${held.total} held ${held.total === 1 ? "entry" : "entries"}`;
}

/**
 * Logs an ERROR once per quarantine (edge and its `since`) the monitor sees, and a notice when it
 * ends, so the operator's log shouts even when nobody looks at the dashboard. The gate logs too.
 */
export class QuarantineAlerts {
  private readonly known = new Map<string, number>();

  constructor(
    private readonly log: Logger,
    /** Where the operator reaches the monitor from the core's host, for the curl line. */
    private readonly monitorUrl = "http://127.0.0.1:<monitor port>/",
  ) {}

  observe(list: readonly QuarantineView[], complete = true): void {
    for (const q of list) {
      if (this.known.get(q.edge) === q.since) continue;
      this.known.set(q.edge, q.since);
      const edge = printable(q.edge);
      const since = q.since > 0 ? new Date(q.since).toISOString() : "an unknown time";
      this.log.error(
        `EDGE QUARANTINED: edge ${edge} since ${since}: ${printable(q.reason)}${q.detail ? ` (${printable(q.detail)})` : ""}. ` +
          `The core credits nothing more from it; ${heldPhrase(q.held)} wait for the operator: ` +
          `curl -X POST -H 'content-type: application/json' -d '{"edge": ${JSON.stringify(printable(q.edge))}}' ${this.monitorUrl}quarantine/release (credit them) or …/quarantine/discard (drop them)`,
        { edge, since: q.since, stream: printable(q.stream), entry: printable(q.entry) },
      );
    }
    if (!complete) return; // a truncated read says nothing about the edges left out
    const now = new Set(list.map((q) => q.edge));
    for (const edge of [...this.known.keys()]) {
      if (now.has(edge)) continue;
      this.known.delete(edge);
      this.log.notice(`quarantine of edge ${printable(edge)} ended (the gate carried out the operator's decision, or the key was deleted)`);
    }
  }
}

export type QuarantineRequest =
  | { readonly kind: "requested"; readonly quarantine: QuarantineView; readonly at: number }
  | { readonly kind: "already"; readonly quarantine: QuarantineView }
  | { readonly kind: "not_quarantined" }
  | { readonly kind: "conflict"; readonly quarantine: QuarantineView }
  | { readonly kind: "malformed"; readonly quarantine: QuarantineView };

/** The operator's side: read one edge's quarantine, record a decision on it. */
export interface QuarantineDesk {
  read(edge: string): Promise<QuarantineView | null>;
  request(edge: string, action: QuarantineAction): Promise<QuarantineRequest>;
}

export function quarantineDesk(redis: RedisClient, names: ContractNames, now: () => number = Date.now): QuarantineDesk {
  const read = (edge: string) => readQuarantineKey(redis, names, names.quarantine(edge));
  return {
    read,
    async request(edge, action) {
      const q = await read(edge);
      if (q === null) return { kind: "not_quarantined" };
      if (q.malformed !== null) return { kind: "malformed", quarantine: q };
      // A decision under way is not turned round: the gate may be half way through it.
      if (q.action === action) return { kind: "already", quarantine: q };
      if (q.action !== null) return { kind: "conflict", quarantine: q };
      const at = now();
      // One-key EVAL, which a Cluster routes like a Redis; the store's type names the single-server client only.
      if (!(await requestQuarantineAction(redis as Redis, names, edge, action, at))) return { kind: "not_quarantined" };
      return { kind: "requested", quarantine: { ...q, action, actionAt: at }, at };
    },
  };
}
