/** @module PPAgent data (hashrate, temp, status, thresholds) relayed by an edge to the core's reporters. */
import { z } from "zod";
import { jsonCodec, name } from "./json-codec.ts";

export const AGENT_RECORD_VERSION = 1;
/** Latest agent stamp (seconds since the epoch) an edge relays and the core writes into a key name; also refuses ms stamps. */
export const MAX_AGENT_STAMP = 1e11;

const agentRecord = z.object({
  v: z.literal(AGENT_RECORD_VERSION),
  edge: name,
  /** The stratum port the agent is paired with, so reporters can route it like that port's shares (absent from older edges). */
  port: name.optional(),
  address: z.string().min(1).max(128),
  worker: z.string().max(64),
  type: z.enum(["hashrate", "temp", "status", "thresholds"]),
  data: z.unknown(),
  /** The agent's own time stamp (seconds). */
  stamp: z.number().nonnegative(),
});

export type AgentRecordV1 = z.output<typeof agentRecord>;
export const agentRecordCodec = jsonCodec("agent record", AGENT_RECORD_VERSION, agentRecord);
