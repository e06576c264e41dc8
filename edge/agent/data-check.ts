/**
 * @module Bounds on what a PPAgent `stats.submit` may carry (issue 19): every number an edge puts
 * into an agent record is finite and in range. JSON.parse turns `1e400` into Infinity, which
 * JSON.stringify would then write as null, so a number is checked where it enters, not later.
 */
import { MAX_AGENT_STAMP } from "../../shared/contract/index.ts";

/** Devices one `hashrate`/`temp` list may report (a rig has a few; PPAgent sends one per GPU). */
export const MAX_AGENT_VALUES = 256;
const MAX_HASHRATE = 1e24;
const MIN_TEMP = -273.15;
const MAX_TEMP = 1000;
/** Nesting of `status`/`thresholds` objects (PPAgent's are flat or one level deep). */
const MAX_DEPTH = 8;

/** Why `data` cannot be relayed for `type`, or undefined when it can. */
export function agentDataProblem(type: string, data: unknown, stamp: unknown): string | undefined {
  if (typeof stamp !== "number" || !(stamp >= 0 && stamp <= MAX_AGENT_STAMP)) return `stamp: expected seconds since the epoch, got ${describe(stamp)}`;
  switch (type) {
    case "hashrate":
      return listProblem(type, data, 0, MAX_HASHRATE);
    case "temp":
      return listProblem(type, data, MIN_TEMP, MAX_TEMP);
    default:
      if (typeof data !== "object" || data === null || Array.isArray(data)) return `${type}: expected an object, got ${describe(data)}`;
      return numbersProblem(type, data, 0);
  }
}

function listProblem(type: string, data: unknown, lo: number, hi: number): string | undefined {
  if (!Array.isArray(data)) return `${type}: expected a list, got ${describe(data)}`;
  if (data.length > MAX_AGENT_VALUES) return `${type}: expected at most ${MAX_AGENT_VALUES} values, got ${data.length}`;
  for (const [i, v] of data.entries()) {
    // null: a device without a reading.
    if (v === null) continue;
    if (typeof v !== "number" || !(v >= lo && v <= hi)) return `${type}[${i}]: expected a number in [${lo}, ${hi}], got ${describe(v)}`;
  }
  return undefined;
}

function numbersProblem(path: string, v: unknown, depth: number): string | undefined {
  if (typeof v === "number") return Number.isFinite(v) ? undefined : `${path}: expected a finite number, got ${v}`;
  if (typeof v !== "object" || v === null) return undefined;
  if (depth >= MAX_DEPTH) return `${path}: nested deeper than ${MAX_DEPTH}`;
  for (const [k, x] of Object.entries(v)) {
    const p = numbersProblem(`${path}.${k.slice(0, 32)}`, x, depth + 1);
    if (p !== undefined) return p;
  }
  return undefined;
}

function describe(v: unknown): string {
  if (typeof v === "number") return String(v);
  if (typeof v === "string") return JSON.stringify(v.slice(0, 32));
  return v === null ? "null" : Array.isArray(v) ? "a list" : typeof v;
}
