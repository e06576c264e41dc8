/**
 * @module Every Redis stream, key and consumer-group name the edges and the core share. Nothing
 * else in the code spells one. All names start with the configured prefix (`redis.prefix`).
 *
 * SimpleCoin's own keys (`current_block_…`, `min_…`, `unproc_block_…`) are not part of this
 * contract: they are the accounting format, named in `core/accounting/`.
 */

/** The three kinds of edge → core stream. */
export type EdgeStreamKind = "shares" | "candidates" | "agent";
export const EDGE_STREAM_KINDS: readonly EdgeStreamKind[] = ["shares", "candidates", "agent"];

/**
 * Contract version of the streams. v2 (issue 20): every edge writes its own streams
 * (`edgeStream(kind, edge)`), so Redis ACLs bind an edge's credentials to its name, and share
 * records carry their proof. A v2 core still reads the v1 shared streams during a rolling upgrade.
 */
export const CONTRACT_VERSION = 2;

export interface ContractNames {
  /** v1: share batches of every edge in one stream (one stream entry = one ShareBatch); read during upgrades. */
  readonly shareStream: string;
  /** v1: block candidates of every edge; read ahead of everything else. */
  readonly candidateStream: string;
  /** v1: PPAgent data of every edge. */
  readonly agentStream: string;
  /** v2: one edge's (or edge worker's, `<edge>/<i>`) own stream of `kind`. */
  edgeStream(kind: EdgeStreamKind, edge: string): string;
  /** v2: SCAN MATCH pattern of every edge's stream of `kind`. */
  edgeStreamPattern(kind: EdgeStreamKind): string;
  /** v2: the edge name a stream of `kind` belongs to — what Redis lets only that edge write — or undefined when `key` is not one. */
  edgeOfStream(kind: EdgeStreamKind, key: string): string | undefined;
  /**
   * The newest contract version the running core reads (a decimal string, set by the core at
   * start). Edges write v2 only when it says 2 or more; absent (an older core) means v1.
   */
  readonly contractVersion: string;
  /**
   * Core-internal (edges have no right to it): share batches the core's gate (core/gate/) took from
   * the edges' streams after checking identity and proof. Accounting, stats and reporters read this.
   */
  readonly verifiedShareStream: string;
  /** Core-internal: PPAgent entries the gate passed on. */
  readonly verifiedAgentStream: string;
  /** Consumer group of the gate on every edge stream of shares and agent data. */
  readonly gateGroup: string;
  /** Core-internal: an edge's quarantine (a hash, core/gate/quarantine-store.ts); absent = not quarantined. */
  quarantine(edge: string): string;
  /** SCAN MATCH pattern of every quarantine key. */
  readonly quarantinePattern: string;
  /**
   * Core-internal: the set of quarantined edges, written with each quarantine key, so the gate's
   * frequent poll reads one small set instead of walking the keyspace.
   */
  readonly quarantineIndex: string;
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
  /**
   * Lease on a numeric edge id (the extranonce1 prefix); holds the owner's `<edge>:<session>`. From
   * contract v2 only the core writes it (core/edge-ids/); v1 edges lease it themselves.
   */
  edgeIdLease(id: number): string;
  /** An edge's last id, so a restarted edge gets the same prefix back when it is free (the core's memory from v2). */
  edgeIdByName(edge: string): string;
  /** v2: an edge's (or worker's) request for an edge id: its session, with a TTL, renewed with every heartbeat. */
  edgeIdWant(edge: string): string;
  /** v2: the id the core granted an edge, `<id>:<session>`, with a TTL; written only by the core. */
  edgeIdGrant(edge: string): string;
  /** SCAN MATCH pattern of every edge id key (leases, requests, grants): the core's allocator reads them in one pass. */
  readonly edgeIdKeysPattern: string;
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

/** Edge names as the config allows them (`edges.<name>`), optionally `/<worker index>`: no glob or `:` characters. */
const EDGE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*(?:\/\d+)?$/;

export function isEdgeStreamName(edge: string): boolean {
  return edge.length <= 64 && EDGE_NAME.test(edge);
}

export function contractNames(prefix: string): ContractNames {
  const edgeStream = (kind: EdgeStreamKind, edge: string) => `${prefix}${kind}:${edge}`;
  return {
    shareStream: `${prefix}shares`,
    candidateStream: `${prefix}candidates`,
    agentStream: `${prefix}agent`,
    edgeStream,
    edgeStreamPattern: (kind) => `${prefix}${kind}:*`,
    edgeOfStream(kind, key) {
      const head = `${prefix}${kind}:`;
      if (!key.startsWith(head)) return undefined;
      const edge = key.slice(head.length);
      return isEdgeStreamName(edge) ? edge : undefined;
    },
    contractVersion: `${prefix}contract`,
    verifiedShareStream: `${prefix}core:shares`,
    verifiedAgentStream: `${prefix}core:agent`,
    gateGroup: "gate",
    quarantine: (edge) => `${prefix}core:quarantine:${edge}`,
    quarantinePattern: `${prefix}core:quarantine:*`,
    quarantineIndex: `${prefix}core:quarantined`,
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
    edgeIdWant: (edge) => `${prefix}edge-id-want:${edge}`,
    edgeIdGrant: (edge) => `${prefix}edge-id-of:${edge}`,
    edgeIdKeysPattern: `${prefix}edge-id*`,
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
