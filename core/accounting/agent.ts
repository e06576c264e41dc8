/**
 * @module PPAgent data in SimpleCoin's keys (spec §8.2 (d)), planned as plain Redis commands so the
 * reader can run them and its XACK in one MULTI. All writes are overwrites (HSET, SETEX), so a
 * redelivered record changes nothing: no seen-set needed here.
 *
 * Stamps: PowerPool floored the agent's stamp to the minute in the stamp's own type, so a float
 * stamp gave `hashrate_1409899740.0`. JSON gives us a number without its type: a stamp with a
 * fraction prints with `.0` after flooring, an integral one without.
 */
import type { AgentRecordV1 } from "../../shared/contract/index.ts";
import { agentSeriesField, agentSeriesKey, agentStatusKey } from "./keys.ts";
import { PyFloat, pyFloatRepr, pyJsonDumps, pyStr } from "./py-format.ts";

/** Seconds a worker's status lives (PowerPool's SETEX). */
export const AGENT_STATUS_TTL_SECONDS = 86_400;

export type RedisCommand = readonly [command: string, ...args: string[]];

export type AgentPlan =
  | { readonly kind: "write"; readonly commands: readonly RedisCommand[] }
  /** Types PowerPool accepted but never stored (e.g. `thresholds`): logged, nothing written. */
  | { readonly kind: "unsupported"; readonly type: string }
  | { readonly kind: "invalid"; readonly reason: string };

export function planAgentWrites(rec: AgentRecordV1, nowMs: number): AgentPlan {
  switch (rec.type) {
    case "hashrate":
    case "temp": {
      if (!Array.isArray(rec.data)) return { kind: "invalid", reason: `${rec.type} data: expected a list, got ${describe(rec.data)}` };
      if (rec.data.length === 0) return { kind: "write", commands: [] };
      const minute = Math.floor(rec.stamp / 60) * 60;
      const stamp = Number.isInteger(rec.stamp) ? String(minute) : pyFloatRepr(minute);
      const args: string[] = [];
      rec.data.forEach((v: unknown, i: number) => args.push(agentSeriesField(rec.address, rec.worker, i), pyStr(v)));
      return { kind: "write", commands: [["HSET", agentSeriesKey(rec.type, stamp), ...args]] };
    }
    case "status": {
      if (typeof rec.data !== "object" || rec.data === null || Array.isArray(rec.data)) return { kind: "invalid", reason: `status data: expected an object, got ${describe(rec.data)}` };
      const status = { ...(rec.data as Record<string, unknown>), time: new PyFloat(nowMs / 1000) };
      const json = pyJsonDumps(status);
      return { kind: "write", commands: [["SETEX", agentStatusKey(rec.address, rec.worker), String(AGENT_STATUS_TTL_SECONDS), json]] };
    }
    default:
      return { kind: "unsupported", type: rec.type };
  }
}

function describe(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "a list" : typeof v;
}
