/**
 * @module The edge/core contract: the only way the two processes talk. Stream and key names,
 * message shapes (each with a version) and their encoders/decoders.
 */
export { contractNames, isEdgeStreamName, CONTRACT_VERSION, EDGE_STREAM_KINDS, MESSAGE_FIELD, type ContractNames, type EdgeStreamKind } from "./names.ts";
export { ContractError } from "./error.ts";
export type { JsonCodec } from "./json-codec.ts";
export { jobCodec, JobType, JOB_VERSION, type JobV1, type AuxTargetV1 } from "./job.ts";
export { candidateCodec, CANDIDATE_VERSION, type BlockCandidateV1 } from "./candidate.ts";
export { edgeStatusCodec, EDGE_STATUS_VERSION, edgeClientsCodec, EDGE_CLIENTS_VERSION, type EdgeStatusV1, type EdgePortStatusV1, type EdgeClientV1, type EdgeClientsV1 } from "./edge-status.ts";
export {
  edgeBansCodec,
  banLiftCodec,
  BAN_KINDS,
  EDGE_BANS_VERSION,
  BAN_LIFT_VERSION,
  MAX_PUBLISHED_BANS,
  type EdgeBansV1,
  type EdgeBanV1,
  type BanKind,
  type BanLiftV1,
} from "./edge-bans.ts";
export { auxWorkCodec, AUX_WORK_VERSION, type AuxWorkV1 } from "./aux-work.ts";
export { agentRecordCodec, AGENT_RECORD_VERSION, MAX_AGENT_STAMP, type AgentRecordV1 } from "./agent-record.ts";
export {
  ShareBatchWriter,
  decodeShareBatch,
  ShareResult,
  SHARE_RESULT_NAMES,
  SHARE_BATCH_VERSION,
  MAX_PROOF_EXTRANONCE,
  EMPTY_PROOF,
  shareBatchVersion,
  MAX_BATCH_RECORDS,
  MAX_DIFFICULTY,
  MAX_TIME_MS,
  type ShareBatch,
  type ShareBatchVersion,
  type ShareProof,
  type ShareRecord,
  type ShareRecordV1,
} from "./share-batch.ts";
