/**
 * @module Share entries → SimpleCoin writes, exactly once per record. Entries are decoded and
 * routed, grouped into units of at most `maxRecordsPerApply` records, and each unit goes through
 * the apply script (core/accounting/apply-script.ts), which writes and acknowledges it atomically.
 * When the script reports records applied before (a replay, or an entry two consumers both held),
 * the unit is planned again without them: the seen-set only grows, so this ends.
 */
import type Redis from "ioredis";
import { ContractError, decodeShareBatch, type ShareBatch, type ShareRecord } from "../../shared/contract/index.ts";
import type { Logger } from "../../shared/log.ts";
import { planShares, type Accounting, type PlanEntry } from "../accounting/index.ts";
import type { SecondCounter, ShareStats } from "../stats/index.ts";
import { deadLetter, deadLetterRecords, type DeadLetterTarget } from "./dead-letter.ts";
import type { RawEntry } from "./stream-reply.ts";

export interface ShareHandlerOptions {
  readonly redis: Redis;
  readonly accounting: Accounting;
  /** The seen-set key of an edge session (contractNames().seenSet). */
  readonly seenKey: (edge: string, session: string) => string;
  readonly target: DeadLetterTarget;
  readonly log: Logger;
  readonly stats?: ShareStats;
  readonly counters?: { readonly applied: SecondCounter; readonly duplicates: SecondCounter; readonly deadLettered: SecondCounter; readonly recordsDeadLettered?: SecondCounter };
  readonly seenTtlSeconds: number;
  readonly maxRecordsPerApply: number;
}

/** Redis answers that mean "try again later", not "this entry is bad". */
const TRANSIENT = /^(FENCED|BUSY|LOADING|READONLY|OOM|MASTERDOWN|TRYAGAIN|CLUSTERDOWN|NOREPLICAS|MISCONF|NOGROUP)/;
/** Attempts at one unit before giving up for now (each sees more records as already applied). */
const MAX_REPLANS = 8;

export function createShareHandler(o: ShareHandlerOptions): (entries: RawEntry[]) => Promise<void> {
  /** Entries whose refused records are in the dead-letter stream already (this process's memory). */
  const partlyDeadLettered = new Set<string>();
  const reject = async (entry: RawEntry, reason: string) => {
    o.log.error(`share entry ${entry.id} dead-lettered to ${o.target.deadLetter}: ${reason}`);
    await deadLetter(o.redis, o.target, entry, reason);
    o.counters?.deadLettered.incr(1);
  };

  const applyUnit = async (unit: Decoded[]): Promise<void> => {
    const exclude = new Map<string, [number, number][]>();
    for (let attempt = 0; attempt < MAX_REPLANS; attempt++) {
      const plan = planShares({
        stream: o.target.stream,
        group: o.target.group,
        entries: unit,
        route: (port) => o.accounting.routing.forPort(port) ?? [],
        seenKey: o.seenKey,
        seenTtlSeconds: o.seenTtlSeconds,
        exclude,
      });
      const outcome = await o.accounting.applyShares(plan);
      if (outcome.kind === "ok") {
        o.stats?.recordAll(plan.applied);
        o.counters?.applied.incr(plan.applied.length);
        return;
      }
      if (outcome.kind === "badkey") throw new Error(`accounting key ${outcome.key}: ${outcome.detail} (fix or remove it; shares wait meanwhile)`);
      for (const [key, ranges] of outcome.ranges) {
        const merged = mergeRanges([...(exclude.get(key) ?? []), ...ranges]);
        exclude.set(key, merged);
        o.counters?.duplicates.incr(ranges.reduce((n, [a, b]) => n + b - a + 1, 0));
      }
      o.log.info(`records already applied were skipped (a replayed or redelivered batch)`, { entries: unit.map((e) => e.id).join(",") });
    }
    throw new Error(`apply of ${unit.length} entries kept finding newly applied records; retrying`);
  };

  return async (entries) => {
    const good: Decoded[] = [];
    for (const entry of entries) {
      if (entry.deleted) {
        o.log.error(`share entry ${entry.id} was trimmed from the stream before it was accounted; its shares are lost`);
        await deadLetter(o.redis, o.target, entry, "trimmed before it was read");
        continue;
      }
      if (!entry.message) {
        await reject(entry, `expected a field ${JSON.stringify("m")}, got none`);
        continue;
      }
      let batch;
      try {
        batch = decodeShareBatch(entry.message);
      } catch (e) {
        await reject(entry, e instanceof ContractError ? e.message : `share batch: ${e instanceof Error ? e.message : String(e)}`);
        continue;
      }
      const checked = await checkRecords(entry, batch);
      // Seen-sets by the identity the gate checked (the stream's edge), never by what the payload claims.
      if (checked) good.push({ id: entry.id, batch: entry.edge === undefined ? checked : { ...checked, edge: entry.edge }, raw: entry });
    }
    for (const unit of units(good, o.maxRecordsPerApply)) {
      try {
        await applyUnit(unit);
      } catch (e) {
        if (!isDeterministicReplyError(e)) throw e;
        // The script itself failed on this input: find the entry that causes it, apply the rest.
        if (unit.length > 1) {
          for (const single of unit) await applyOneOrReject(single);
        } else if (unit[0]) await reject(unit[0].raw, `apply script failed: ${(e as Error).message}`);
      }
    }
  };

  /**
   * Each record on its own (record-check.ts): failing ones are named in a dead letter (seq and
   * reason each) carrying the whole entry, and the rest of the entry is credited. Returns the
   * batch to plan, or undefined when nothing of the entry is left (then it was dead-lettered and
   * acknowledged whole).
   */
  async function checkRecords(entry: RawEntry, batch: ShareBatch): Promise<ShareBatch | undefined> {
    const now = o.accounting.now();
    const maxAgeMs = o.seenTtlSeconds * 1000;
    const bad: { record: ShareRecord; reason: string }[] = [];
    const ok: ShareRecord[] = [];
    for (const r of batch.records) {
      const reason = o.accounting.checkRecord(r, now, maxAgeMs);
      if (reason === undefined) ok.push(r);
      else bad.push({ record: r, reason });
    }
    if (bad.length === 0) return batch;
    const reasons = bad.map((b) => `seq ${b.record.seq}: ${b.reason}`);
    const summary = `${bad.length} of ${batch.records.length} records refused: ${reasons.slice(0, 3).join("; ")}${bad.length > 3 ? "; …" : ""}`;
    if (ok.length === 0) {
      await reject(entry, summary);
      return undefined;
    }
    // An apply that keeps failing (a key of the wrong type) re-reads the entry: one dead letter per entry, not per attempt.
    if (!partlyDeadLettered.has(entry.id)) {
      o.log.error(`share entry ${entry.id}: ${summary}; they go to ${o.target.deadLetter}, the other ${ok.length} are credited`);
      await deadLetterRecords(o.redis, o.target, entry, bad.map((b) => b.record.seq), reasons);
      o.counters?.recordsDeadLettered?.incr(bad.length);
      if (partlyDeadLettered.size >= 10_000) partlyDeadLettered.clear();
      partlyDeadLettered.add(entry.id);
    }
    return { ...batch, records: ok };
  }

  async function applyOneOrReject(entry: Decoded): Promise<void> {
    try {
      await applyUnit([entry]);
    } catch (e) {
      if (!isDeterministicReplyError(e)) throw e;
      await reject(entry.raw, `apply script failed: ${(e as Error).message}`);
    }
  }
}

/** A decoded entry that keeps its raw form for the dead-letter stream. */
interface Decoded extends PlanEntry {
  readonly raw: RawEntry;
}

function isDeterministicReplyError(e: unknown): boolean {
  return e instanceof Error && e.name === "ReplyError" && !TRANSIENT.test(e.message);
}

/** Consecutive groups of entries holding at most `max` records (an oversized entry goes alone). */
function* units<T extends PlanEntry>(entries: T[], max: number): Generator<T[]> {
  let unit: T[] = [];
  let n = 0;
  for (const e of entries) {
    if (unit.length > 0 && n + e.batch.records.length > max) {
      yield unit;
      unit = [];
      n = 0;
    }
    unit.push(e);
    n += e.batch.records.length;
  }
  if (unit.length > 0) yield unit;
}

export function mergeRanges(ranges: [number, number][]): [number, number][] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[1] + 1) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}
