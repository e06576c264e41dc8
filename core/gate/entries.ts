/**
 * @module What the gate does with one edge stream's entries (issue 20 §3): identity first — the
 * stream's edge, which Redis lets only that edge write, must be the edge the payload names — then,
 * for shares, the audit; an entry that passes is copied to the core's verified stream with that
 * identity and acknowledged in one fenced MULTI, so a crash leaves it either pending (copied again
 * once, and the accounting's seen-sets drop the replay) or copied and acknowledged, never half.
 * An entry that cannot be used is dead-lettered; a failed audit quarantines its edge and leaves the
 * entry (and everything after it) pending: held until the operator decides.
 */
import type Redis from "ioredis";
import { agentRecordCodec, ContractError, MESSAGE_FIELD, ShareBatchWriter, shareBatchVersion, type ContractNames, type ShareBatch } from "../../shared/contract/index.ts";
import type { Logger } from "../../shared/log.ts";
import { defineLuaCommand } from "../../shared/redis.ts";
import { ScannedShareBatch } from "../audit/batch-scan.ts";
import { NO_AUDIT, type AuditVerdict, type ShareAuditor } from "../audit/types.ts";
import { deadLetter, deadLetterRecords, type DeadLetterTarget } from "../ingest/dead-letter.ts";
import type { RawEntry } from "../ingest/stream-reply.ts";
import { fencedLua, fencedTx, fenceOf } from "../leader/fence.ts";
import type { SecondCounter } from "../stats/index.ts";
import { batchEdge } from "./batch-header.ts";
import { quarantineFields } from "./quarantine-store.ts";

/** One stream the gate reads. */
export interface GateSource {
  readonly stream: string;
  readonly kind: "shares" | "agent";
  /** The edge Redis binds the stream to; undefined for the v1 shared streams (identity = what the payload says). */
  readonly identity: string | undefined;
}

export interface GateCounters {
  readonly passed: SecondCounter;
  readonly identityMismatches: SecondCounter;
  readonly quarantines: SecondCounter;
  readonly deadLettered: SecondCounter;
}

/** Totals since start, for status(). */
export interface GateTotals {
  passed: number;
  identityMismatches: number;
  quarantines: number;
  deadLettered: number;
}

export interface GateContext {
  readonly redis: Redis;
  readonly names: ContractNames;
  readonly consumer: string;
  readonly log: Logger;
  readonly auditor: ShareAuditor;
  /** `redis.accept_contract_v1`: false dead-letters every entry of the v1 shared streams. */
  readonly acceptV1: boolean;
  readonly counters: GateCounters | undefined;
  readonly totals: GateTotals;
  /** Whether `edge` is quarantined (a v1 entry naming it is not passed on). */
  isQuarantined(edge: string): boolean;
  /** Called once the quarantine of `edge` is written: stop reading its streams (do not await inside a handler). */
  onQuarantine(edge: string): void;
}

export type EntriesHandler = (entries: RawEntry[]) => Promise<void>;

/** How the gate handles a share stream's entries; `audit: false` when releasing held entries (the operator vouched for them). */
export function createShareGate(ctx: GateContext, src: GateSource, opts: { audit: boolean }): EntriesHandler {
  const target = targetOf(ctx, src);
  let halted = false;
  return async (entries) => {
    // The entries that passed go on in one script call per read (each still copied only while pending).
    const passed: Passed[] = [];
    try {
      for (const entry of entries) {
        // After a quarantine in this read, the rest stays pending: held with the failed entry.
        if (halted) return;
        const out = await shareEntry(ctx, src, target, entry, opts.audit);
        if (out === "quarantined") halted = true;
        else if (out !== "done") passed.push(out);
      }
    } finally {
      if (passed.length > 0) await passOn(ctx, src, ctx.names.verifiedShareStream, passed);
    }
  };
}

interface Passed {
  readonly id: string;
  readonly message: Uint8Array;
  readonly identity: string;
}

async function shareEntry(ctx: GateContext, src: GateSource, target: DeadLetterTarget, entry: RawEntry, audit: boolean): Promise<"done" | "quarantined" | Passed> {
  const reject = (reason: string) => rejectEntry(ctx, target, entry, reason).then(() => "done" as const);
  const checked = checkIdentity(ctx, src, entry, (m) => batchEdge(m));
  if (checked.kind === "reject") return reject(checked.reason);
  const { identity, message } = checked;
  let out = message;
  const v1 = src.identity === undefined;
  // v1 batches carry no proof; the v2 ones on the v1 stream are audited, but their failure cannot quarantine a name anyone may write.
  if (audit && ctx.auditor !== NO_AUDIT && (!v1 || shareBatchVersion(message) === 2)) {
    // Read without decoding every record (core/audit/batch-scan.ts): the audit draws about one in a hundred.
    let batch: ScannedShareBatch;
    let verdict: AuditVerdict;
    try {
      batch = new ScannedShareBatch(message);
      // A transient error (Redis away while the auditor fetches a job) throws: the entry stays pending and comes back.
      verdict = await ctx.auditor.audit(identity, batch);
    } catch (e) {
      // Malformed (the scan, or a drawn record's full decode): never comes right, so dead-lettered.
      if (e instanceof ContractError) return reject(e.message);
      throw e;
    }
    if (verdict.kind === "fail") {
      if (v1) return reject(`audit failed on the v1 shared stream (no quarantine: Redis does not bind its edge names): seq ${verdict.seq}: ${verdict.reason} (${verdict.detail})`);
      await quarantine(ctx, src, identity, entry, verdict);
      return "quarantined";
    }
    if (verdict.refused && verdict.refused.length > 0) {
      let records: ShareBatch["records"];
      try {
        records = batch.records;
      } catch (e) {
        if (e instanceof ContractError) return reject(e.message);
        throw e;
      }
      const kept = await dropRefused(ctx, target, entry, { v: batch.v, edge: batch.edge, session: batch.session, records }, verdict.refused);
      if (kept === undefined) return "done";
      out = kept;
    }
  }
  return { id: entry.id, message: out, identity };
}

/**
 * Records the audit refused (exact duplicates) are dead-lettered and the entry goes on without
 * them; undefined when nothing is left (then the whole entry was dead-lettered and acknowledged).
 */
async function dropRefused(ctx: GateContext, target: DeadLetterTarget, entry: RawEntry, batch: ShareBatch, refused: NonNullable<Extract<AuditVerdict, { kind: "pass" }>["refused"]>): Promise<Uint8Array | undefined> {
  const seqs = new Set(refused.map((r) => r.seq));
  const reasons = refused.map((r) => `seq ${r.seq}: ${r.reason}`);
  const kept = batch.records.filter((r) => !seqs.has(r.seq));
  if (kept.length === 0) {
    await rejectEntry(ctx, target, entry, `all ${batch.records.length} records refused by the audit: ${reasons.slice(0, 3).join("; ")}${reasons.length > 3 ? "; …" : ""}`);
    return undefined;
  }
  ctx.log.warn(`share entry ${entry.id} of ${target.stream}: ${refused.length} of ${batch.records.length} records refused by the audit (${reasons.slice(0, 3).join("; ")}); they go to ${target.deadLetter}, the rest is passed on`);
  // Before the pass: a crash in between dead-letters them again on the next read (a dead letter may repeat, a record is never lost).
  await deadLetterRecords(ctx.redis, target, entry, [...seqs], reasons);
  ctx.totals.deadLettered += refused.length;
  ctx.counters?.deadLettered.incr(refused.length);
  const w = new ShareBatchWriter(batch.edge, batch.session, batch.v);
  for (const r of kept) w.add(r);
  return w.finish();
}

async function quarantine(ctx: GateContext, src: GateSource, edge: string, entry: RawEntry, verdict: Extract<AuditVerdict, { kind: "fail" }>): Promise<void> {
  const fields = quarantineFields({ since: Date.now(), reason: verdict.reason, detail: `seq ${verdict.seq}: ${verdict.detail}`, stream: src.stream, entry: entry.id });
  const results = await fencedTx(ctx.redis).call("HSET", ctx.names.quarantine(edge), ...fields).call("SADD", ctx.names.quarantineIndex, edge).exec();
  const failed = results?.find(([err]) => err);
  if (!results || failed) throw failed?.[0] ?? new Error(`quarantine of ${edge}: expected the HSET to succeed, got an aborted transaction`);
  ctx.totals.quarantines++;
  ctx.counters?.quarantines.incr(1);
  ctx.log.error(`EDGE ${edge} QUARANTINED: a share it sent failed the audit; nothing more of it is credited until an operator releases or discards its held entries`, { edge, reason: verdict.reason, detail: verdict.detail, seq: verdict.seq, stream: src.stream, entry: entry.id });
  ctx.onQuarantine(edge);
}

/** How the gate handles an agent stream's entries: identity, then all good ones passed on in one fenced MULTI. */
export function createAgentGate(ctx: GateContext, src: GateSource): EntriesHandler {
  const target = targetOf(ctx, src);
  const decoder = new TextDecoder();
  return async (entries) => {
    const good: Passed[] = [];
    for (const entry of entries) {
      const checked = checkIdentity(ctx, src, entry, (m) => agentRecordCodec.decode(decoder.decode(m)).edge);
      if (checked.kind === "reject") await rejectEntry(ctx, target, entry, checked.reason);
      else good.push({ id: entry.id, message: checked.message, identity: checked.identity });
    }
    if (good.length > 0) await passOn(ctx, src, ctx.names.verifiedAgentStream, good);
  };
}

type Checked = { readonly kind: "ok"; readonly identity: string; readonly message: Uint8Array } | { readonly kind: "reject"; readonly reason: string };

/** The checks every entry goes through, shares and agent data alike; `claimedEdge` reads the payload's edge (throws when it cannot). */
function checkIdentity(ctx: GateContext, src: GateSource, entry: RawEntry, claimedEdge: (m: Uint8Array) => string): Checked {
  if (entry.deleted) return { kind: "reject", reason: "trimmed from the stream before the gate read it" };
  if (!entry.message) return { kind: "reject", reason: `expected a field ${JSON.stringify(MESSAGE_FIELD)}, got none` };
  const v1 = src.identity === undefined;
  if (v1 && !ctx.acceptV1) return { kind: "reject", reason: `contract v1 entry refused (redis.accept_contract_v1 is false): edges must write their own streams (${ctx.names.edgeStream(src.kind, "<edge>")})` };
  let claimed: string;
  try {
    claimed = claimedEdge(entry.message);
  } catch (e) {
    return { kind: "reject", reason: e instanceof ContractError ? e.message : `${src.kind} entry: ${e instanceof Error ? e.message : String(e)}` };
  }
  const identity = src.identity ?? claimed;
  if (claimed !== identity) {
    ctx.totals.identityMismatches++;
    ctx.counters?.identityMismatches.incr(1);
    return { kind: "reject", reason: `edge name ${JSON.stringify(claimed)} does not match its stream ${src.stream} (edge ${identity}): never credited` };
  }
  if (v1 && ctx.isQuarantined(identity)) return { kind: "reject", reason: `edge ${identity} is quarantined: a v1 entry naming it is not passed on` };
  return { kind: "ok", identity, message: entry.message };
}

async function passOn(ctx: GateContext, src: GateSource, verified: string, entries: readonly Passed[]): Promise<void> {
  const copied = await passScript(ctx.redis)(verified, src.stream, ctx.names.gateGroup, entries);
  ctx.totals.passed += copied;
  ctx.counters?.passed.incr(copied);
}

/**
 * Per entry: copy to the verified stream (with its identity and source) and acknowledge it — only
 * while it is still pending in the group, so an entry two reads both held (a takeover, a release
 * racing a read) is copied once. A failed XADD raises before the XACK: never acknowledged uncopied.
 * KEYS: verified, source; ARGV: group, message field, then id, message, identity per entry.
 */
const PASS_LUA = `
local copied = 0
for i = 3, #ARGV, 3 do
  local id = ARGV[i]
  if #redis.call('XPENDING', KEYS[2], ARGV[1], id, id, 1) > 0 then
    redis.call('XADD', KEYS[1], '*', ARGV[2], ARGV[i + 1], 'edge', ARGV[i + 2], 'source', KEYS[2])
    redis.call('XACK', KEYS[2], ARGV[1], id)
    copied = copied + 1
  end
end
return copied
`;
const PASS_COMMAND = "ppGatePass";
const passCommands = new WeakMap<Redis, (verified: string, source: string, group: string, entries: readonly Passed[]) => Promise<number>>();

/** The pass script on this connection, fenced when the connection carries a fence (like accounting/scripts.ts, with binary arguments). */
function passScript(redis: Redis) {
  let run = passCommands.get(redis);
  if (run) return run;
  const fence = fenceOf(redis);
  defineLuaCommand(redis, PASS_COMMAND, fence ? fencedLua(PASS_LUA) : PASS_LUA);
  const command = (redis as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[PASS_COMMAND];
  if (typeof command !== "function") throw new TypeError(`gate: expected ioredis to define ${PASS_COMMAND}, got ${typeof command}`);
  run = async (verified, source, group, entries) => {
    const args: (string | Buffer)[] = [group, MESSAGE_FIELD];
    for (const e of entries) args.push(e.id, Buffer.from(e.message.buffer, e.message.byteOffset, e.message.byteLength), e.identity);
    const reply = fence ? await command.call(redis, 3, verified, source, fence.key, ...args, String(fence.epoch)) : await command.call(redis, 2, verified, source, ...args);
    if (typeof reply !== "number") throw new TypeError(`gate pass: expected a count, got ${typeof reply}`);
    return reply;
  };
  passCommands.set(redis, run);
  return run;
}

async function rejectEntry(ctx: GateContext, target: DeadLetterTarget, entry: RawEntry, reason: string): Promise<void> {
  ctx.log.error(`${target.stream} entry ${entry.id} dead-lettered to ${target.deadLetter}: ${reason}`);
  await deadLetter(ctx.redis, target, entry, reason);
  ctx.totals.deadLettered++;
  ctx.counters?.deadLettered.incr(1);
}

function targetOf(ctx: GateContext, src: GateSource): DeadLetterTarget {
  return { stream: src.stream, group: ctx.names.gateGroup, deadLetter: ctx.names.deadLetter(src.kind), consumer: ctx.consumer };
}
