/**
 * @module Every Redis stream, key and consumer-group name the edges and the core share. Nothing
 * else in the code spells one. All names start with the configured prefix (`redis.prefix`).
 *
 * SimpleCoin's own keys (`current_block_…`, `min_…`, `unproc_block_…`) are not part of this
 * contract: they are the accounting format, named in `core/accounting/`.
 */

export interface ContractNames {
  /** Share batches, edge → core (one stream entry = one ShareBatch). */
  readonly shareStream: string;
  /** Block candidates, edge → core; read ahead of everything else. */
  readonly candidateStream: string;
  /** PPAgent data, edge → core. */
  readonly agentStream: string;
  /** Jobs for one jobmanager, core → edges. */
  jobStream(jobmanager: string): string;
  /** The jobmanager's latest job, for an edge that starts between jobs. */
  latestJob(jobmanager: string): string;
  /** Aux work as last fetched, for the monitor and other cores. */
  auxWork(auxKey: string): string;
  /** An edge's status record, with a TTL: an expired key means the edge is gone. */
  edgeStatus(edge: string): string;
  /** Pattern matching every edge status key (SCAN MATCH). */
  readonly edgeStatusPattern: string;
  /** An edge's active bans (edge-bans.ts), with a TTL like its status. */
  edgeBans(edge: string): string;
  /** Pattern matching every edge bans key (SCAN MATCH). */
  readonly edgeBansPattern: string;
  /** Ban lifts, core (monitor) → edges; capped, read by every edge without a group. */
  readonly banLiftStream: string;
  /**
   * An edge's client list (EdgeClientsV1), with a TTL, written less often than its status so the
   * heartbeat stays small however many miners the edge serves; the monitor merges the two.
   */
  edgeClients(edge: string): string;
  /** Lease on a numeric edge id (the extranonce1 prefix); holds the owner's name and session. */
  edgeIdLease(id: number): string;
  /** An edge's last id, so a restarted edge gets the same prefix back when it is free. */
  edgeIdByName(edge: string): string;
  /** Entries of `shareStream` / `agentStream` the core could not use (malformed, unroutable), kept for inspection. */
  deadLetter(kind: "shares" | "agent"): string;
  /** Share-record seqs of one edge session already accounted (the core's exactly-once seen-set). */
  seenSet(edge: string, session: string): string;
  /** Consumer group of the share-accounting readers on `shareStream`. */
  readonly accountingGroup: string;
  /** Consumer group of the block submitters on `candidateStream`. */
  readonly blockGroup: string;
  /** Consumer group of the agent-data readers on `agentStream`. */
  readonly agentGroup: string;
  /**
   * A reporter's own consumer group on `shareStream` and on `agentStream` (a Celery reporter keeps
   * its own cursor, so a broker outage never holds up the accounting group).
   */
  reporterGroup(reporterKey: string): string;
  /** What every `reporterGroup` name starts with (groups of reporters no longer configured are removed). */
  readonly reporterGroupPrefix: string;
  /** A reporter's durable outbox: a list of ready-to-send broker messages, oldest first. */
  reporterOutbox(reporterKey: string): string;
  /** Lease naming the one core that drains a reporter's outbox (several cores may share it). */
  reporterDrainLease(reporterKey: string): string;
}

export function contractNames(prefix: string): ContractNames {
  return {
    shareStream: `${prefix}shares`,
    candidateStream: `${prefix}candidates`,
    agentStream: `${prefix}agent`,
    jobStream: (jm) => `${prefix}jobs:${jm}`,
    latestJob: (jm) => `${prefix}job:${jm}`,
    auxWork: (aux) => `${prefix}aux:${aux}`,
    edgeStatus: (edge) => `${prefix}edge:${edge}`,
    edgeStatusPattern: `${prefix}edge:*`,
    edgeBans: (edge) => `${prefix}edge-bans:${edge}`,
    edgeBansPattern: `${prefix}edge-bans:*`,
    banLiftStream: `${prefix}ban-lifts`,
    edgeClients: (edge) => `${prefix}edge-clients:${edge}`,
    edgeIdLease: (id) => `${prefix}edge-id:${id}`,
    edgeIdByName: (edge) => `${prefix}edge-name:${edge}`,
    deadLetter: (kind) => `${prefix}dead:${kind}`,
    seenSet: (edge, session) => `${prefix}seen:${edge}:${session}`,
    accountingGroup: "accounting",
    blockGroup: "blocks",
    agentGroup: "agent",
    reporterGroup: (key) => `reporter:${key}`,
    reporterGroupPrefix: "reporter:",
    reporterOutbox: (key) => `${prefix}reporter:${key}:outbox`,
    reporterDrainLease: (key) => `${prefix}reporter:${key}:drainer`,
  };
}

/** Stream entry field holding the encoded message. */
export const MESSAGE_FIELD = "m";
