/** @module edge/forward: the only edge code that writes Redis — share records, block candidates, the spool, heartbeats, the edge id, bans. */
export { Forwarder, randomSession, REFUSED_V1_SPOOL, type ForwarderOptions, type ShareFields } from "./forwarder.ts";
export { ContractDetector, downgradeBatch, isNoPerm, type ContractMode } from "./contract.ts";
export { RedisLink, RedisTimeoutError, LINK_REDIS_OPTIONS } from "./link.ts";
export { Spool, type SpoolFrame, type SpoolOptions } from "./spool.ts";
export { EdgeIdLease, edgeIdBytes, DEFAULT_LEASE_TTL_MS, type EdgeIdLeaseOptions } from "./edge-id.ts";
export { EdgeExtranonce1Allocator, type EdgeIdSource, type Extranonce1AllocatorOptions } from "./extranonce1.ts";
export { Heartbeat, DEFAULT_HEARTBEAT_MS, type HeartbeatOptions } from "./heartbeat.ts";
export { BanBoard, type BanBoardOptions } from "./bans.ts";
