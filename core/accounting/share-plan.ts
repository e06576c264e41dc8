/**
 * @module From decoded share batches to the exact SimpleCoin writes (spec §8.2 (a), (b)), planned
 * in memory and handed to the apply script as one atomic unit with the record ids it covers.
 *
 * Per record (the PowerPool RedisReporter's writes, aggregated over the unit):
 * - every type but `invalid`: `min_<type>_<algo>_<minute>` field `<address>.<worker>` += difficulty,
 *   plus one field per pool report (and per merged currency with `report_merge`);
 * - accepted only: `current_block_<M>_<algo>` `chain_<N>_shares` += difficulty for each merged
 *   currency M, the same for the main currency, and one `"<address>:<difficulty>"` on
 *   `chain_<N>_slice`.
 * The one-minute sums are written with the shares instead of ~1 s after each minute (PowerPool's
 * in-memory buckets): the same totals, and nothing is lost or doubled when the core dies.
 */
import { ShareResult, type ShareBatch, type ShareRecordV1 } from "../../shared/contract/index.ts";
import { chainSharesField, chainSliceKey, currentBlockKey, minuteField, minuteKey, minuteStamp, type SimpleCoinShareType } from "./keys.ts";
import { pyNumber } from "./py-format.ts";
import type { ReporterTarget } from "./routing.ts";

export interface PlanEntry {
  readonly id: string;
  /** The proof fields of a ShareBatch's records are not needed to plan their writes. */
  readonly batch: Pick<ShareBatch, "edge" | "session"> & { readonly records: readonly ShareRecordV1[] };
}

/** Seq ranges `[first, last]` per seen-set key, ascending and disjoint. */
export type SeqRanges = ReadonlyMap<string, readonly (readonly [number, number])[]>;

export interface PlanInput {
  readonly stream: string;
  readonly group: string;
  readonly entries: readonly PlanEntry[];
  /** Reporters of a port (the caller dead-letters entries whose ports have none to resolve). */
  readonly route: (port: string) => readonly ReporterTarget[];
  readonly seenKey: (edge: string, session: string) => string;
  readonly seenTtlSeconds: number;
  /** Records already applied (reported by an earlier attempt's script): left out. */
  readonly exclude: SeqRanges;
}

export interface SharePlan {
  readonly keys: string[];
  readonly args: string[];
  /** Seen-set key per script session index (1-based in the script, 0-based here). */
  readonly seenKeys: string[];
  /** Records this plan applies, in stream order (for stats once the script succeeded). */
  readonly applied: ShareRecordV1[];
}

const TYPE_OF: Record<ShareResult, SimpleCoinShareType | undefined> = { 0: "acc", 1: "dup", 2: "low", 3: "stale", 4: undefined };

export function planShares(input: PlanInput): SharePlan {
  const hashes = new Map<string, Map<string, number>>();
  const lists = new Map<string, string[]>();
  const seqs = new Map<string, Set<number>>();
  const applied: ShareRecordV1[] = [];
  const add = (key: string, field: string, amount: number) => {
    let h = hashes.get(key);
    if (!h) hashes.set(key, (h = new Map()));
    h.set(field, (h.get(field) ?? 0) + amount);
  };

  for (const { batch } of input.entries) {
    const sk = input.seenKey(batch.edge, batch.session);
    let seen = seqs.get(sk);
    if (!seen) seqs.set(sk, (seen = new Set()));
    const excluded = input.exclude.get(sk);
    for (const r of batch.records) {
      // A record repeated inside this unit (a replay split differently) counts once.
      if (seen.has(r.seq) || (excluded && inRanges(excluded, r.seq))) continue;
      seen.add(r.seq);
      applied.push(r);
      const type = TYPE_OF[r.result];
      if (type === undefined) continue;
      for (const t of input.route(r.port)) planRecord(r, type, t, add, lists);
    }
  }

  const seenKeys = [...seqs.entries()].filter(([, s]) => s.size > 0).map(([k]) => k);
  const keys = [input.stream, ...seenKeys, ...hashes.keys(), ...lists.keys()];
  const ids = input.entries.map((e) => e.id);
  const args: string[] = [input.group, String(input.seenTtlSeconds), String(seenKeys.length), String(hashes.size), String(lists.size), String(ids.length)];
  for (const k of seenKeys) args.push(encodeRuns(seqs.get(k) ?? new Set()));
  args.push(...ids);
  for (const fields of hashes.values()) {
    args.push(String(fields.size));
    for (const [field, amount] of fields) args.push(field, pyNumber(amount));
  }
  for (const values of lists.values()) {
    args.push(String(values.length));
    for (const v of values) args.push(v);
  }
  return { keys, args, seenKeys, applied };
}

function planRecord(r: ShareRecordV1, type: SimpleCoinShareType, t: ReporterTarget, add: (key: string, field: string, amount: number) => void, lists: Map<string, string[]>): void {
  const diff = r.difficulty;
  const minKey = minuteKey(type, r.algo, minuteStamp(r.time));
  add(minKey, minuteField(r.address, r.worker), diff);
  // Without a job the share has no currency: PowerPool formatted {currency} as UNKNOWN and skipped merged credit.
  const hasJob = r.jobId !== "";
  for (const pr of t.poolReports) {
    add(minKey, minuteField(pr.user, pr.worker(r.algo, hasJob ? r.currency : "UNKNOWN")), diff);
    if (pr.reportMerge && hasJob) for (const aux of r.aux) add(minKey, minuteField(pr.user, pr.worker(r.algo, aux)), diff);
  }
  if (r.result !== ShareResult.acc) return;
  const field = chainSharesField(t.chain);
  for (const aux of r.aux) add(currentBlockKey(aux, r.algo), field, diff);
  add(currentBlockKey(r.currency, r.algo), field, diff);
  const slice = chainSliceKey(t.chain);
  let list = lists.get(slice);
  if (!list) lists.set(slice, (list = []));
  list.push(`${r.address}:${pyNumber(diff)}`);
}

/** Ascending seqs as `"a-b,c-d"` runs: the apply script's seen-set format. */
export function encodeRuns(seqs: ReadonlySet<number>): string {
  const sorted = [...seqs].sort((a, b) => a - b);
  const out: string[] = [];
  let start = sorted[0];
  let prev = start;
  for (let i = 1; i <= sorted.length; i++) {
    const s = sorted[i];
    if (s !== undefined && prev !== undefined && s === prev + 1) {
      prev = s;
      continue;
    }
    if (start !== undefined) out.push(`${start}-${prev}`);
    start = s;
    prev = s;
  }
  return out.join(",");
}

/** A seen-set value (`"a-b,c-d"`, as encodeRuns and the apply script write it) as ranges; malformed parts are skipped. */
export function parseRuns(text: string | null): [number, number][] {
  const out: [number, number][] = [];
  for (const part of (text ?? "").split(",")) {
    const m = /^(\d+)-(\d+)$/.exec(part);
    if (m) out.push([Number(m[1]), Number(m[2])]);
  }
  return out;
}

/** Whether `seq` is in ascending, disjoint `ranges` (binary search). */
export function inRanges(ranges: readonly (readonly [number, number])[], seq: number): boolean {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [a, b] = ranges[mid] as readonly [number, number];
    if (seq < a) hi = mid - 1;
    else if (seq > b) lo = mid + 1;
    else return true;
  }
  return false;
}
