/**
 * @module SimpleCoin-compatible accounting (spec §8.2): share writes, found blocks and PPAgent data
 * in PowerPool's RedisReporter key and value formats. Block submission calls `recordBlock` from
 * `createAccounting`; share ingest (core/ingest) plans and applies shares through the rest.
 */
import type Redis from "ioredis";
import type { Logger } from "../../shared/log.ts";
import { createShareApplier, type ShareApplier } from "./apply-script.ts";
import { createBlockRecorder, type BlockRecorder } from "./blocks.ts";
import { createAgentCheck, createRecordCheck, type AgentCheck, type RecordCheck } from "./record-check.ts";
import { buildRouting, type AccountingSettings, type Routing } from "./routing.ts";

export { createBlockRecorder, type BlockRecord, type BlockRecorder, type RecordBlockResult } from "./blocks.ts";
export { buildRouting, type AccountingSettings, type PoolReport, type ReporterTarget, type Routing } from "./routing.ts";
export { planShares, encodeRuns, parseRuns, inRanges, type PlanEntry, type PlanInput, type SeqRanges, type SharePlan } from "./share-plan.ts";
export { createShareApplier, type ApplyOutcome, type ShareApplier } from "./apply-script.ts";
export { shareIdText, waitForShareRecord, SHARE_WAIT_POLL_MS, SHARE_WAIT_TIMEOUT_MS, type ShareId, type ShareWaitOptions, type ShareWaitOutcome } from "./share-wait.ts";
export { planAgentWrites, AGENT_STATUS_TTL_SECONDS, type AgentPlan, type RedisCommand } from "./agent.ts";
export { createAgentCheck, createRecordCheck, MAX_AHEAD_MS, type AgentCheck, type RecordCheck, type RecordCheckSettings, type PortCheckSettings } from "./record-check.ts";
export { compileFormat, type CompiledFormat } from "./report-format.ts";
export { pyFloatRepr, pyNumber, pyStr, pyJsonDumps, PyFloat } from "./py-format.ts";
export * from "./keys.ts";

export interface Accounting {
  readonly routing: Routing;
  /** Each share record on its own, before planning (record-check.ts). */
  readonly checkRecord: RecordCheck;
  /** Each PPAgent record, before its keys are named after it. */
  readonly checkAgent: AgentCheck;
  /** The clock `checkRecord` is given. */
  readonly now: () => number;
  readonly applyShares: ShareApplier;
  /** Records a found block (accepted: rotation + unproc_block; rejected: rejected_block, no rotation). */
  readonly recordBlock: BlockRecorder;
}

/**
 * Accounting on one Redis primary. Bad pool_report_configs are logged (one line each, with the key
 * path) and skipped; everything else keeps working.
 */
export function createAccounting(redis: Redis, settings: AccountingSettings, log: Logger): Accounting {
  const routing = buildRouting(settings);
  for (const p of routing.problems) log.error(`config ${p.path}: expected ${p.expected}${p.found === undefined ? "" : `, found ${p.found}`}`);
  return { routing, checkRecord: createRecordCheck(settings), checkAgent: createAgentCheck(settings), now: settings.now ?? Date.now, applyShares: createShareApplier(redis), recordBlock: createBlockRecorder(redis) };
}
