/**
 * @module The edge/core contract: the only way the two processes talk. Stream and key names,
 * message shapes (each with a version) and their encoders/decoders.
 */
export { contractNames, MESSAGE_FIELD, type ContractNames } from "./names.ts";
export { ContractError } from "./error.ts";
export type { JsonCodec } from "./json-codec.ts";
export { jobCodec, JobType, JOB_VERSION, type JobV1, type AuxTargetV1 } from "./job.ts";
export { candidateCodec, CANDIDATE_VERSION, type BlockCandidateV1 } from "./candidate.ts";
export { edgeStatusCodec, EDGE_STATUS_VERSION, edgeClientsCodec, EDGE_CLIENTS_VERSION, type EdgeStatusV1, type EdgePortStatusV1, type EdgeClientV1, type EdgeClientsV1 } from "./edge-status.ts";
export { auxWorkCodec, AUX_WORK_VERSION, type AuxWorkV1 } from "./aux-work.ts";
export { agentRecordCodec, AGENT_RECORD_VERSION, type AgentRecordV1 } from "./agent-record.ts";
export {
  ShareBatchWriter,
  decodeShareBatch,
  ShareResult,
  SHARE_RESULT_NAMES,
  SHARE_BATCH_VERSION,
  MAX_BATCH_RECORDS,
  type ShareBatchV1,
  type ShareRecordV1,
} from "./share-batch.ts";
