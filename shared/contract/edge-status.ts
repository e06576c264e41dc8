/**
 * @module Edge heartbeats: each edge writes its status under a key with a TTL; the core's monitor
 * aggregates the live ones. Clients are listed so the monitor can serve PowerPool's /clients/ views:
 * since issue 16 in their own key (`edgeClients`, EdgeClientsV1, written every few beats) rather than
 * in `clientList`, which edges before it filled on every beat and which the core still reads.
 */
import { z } from "zod";
import { hex, jsonCodec, name } from "./json-codec.ts";

export const EDGE_STATUS_VERSION = 1;

const client = z.object({
  extranonce1: hex(),
  address: z.string(),
  worker: z.string(),
  idle: z.boolean(),
  difficulty: z.number().nonnegative(),
  userAgent: z.string().max(256),
  ip: z.string(),
  connectedAt: z.number().nonnegative(),
  lastShareAt: z.number().nonnegative().nullable(),
  acceptedDifficulty: z.number().nonnegative(),
  jobIds: z.number().int().nonnegative(),
  /**
   * Hashes/s from this connection's accepted difficulty over the last minute, or since it
   * connected when that is shorter. Optional: edges before it did not send it.
   */
  hashrate: z.number().nonnegative().optional(),
  /** Optional (absent: stratum v1): "sv2" for a Stratum V2 channel (edge/sv2), one entry per channel. */
  protocol: z.enum(["v1", "sv2"]).optional(),
});

const port = z.object({
  key: name,
  listenPort: z.number().int().min(1).max(65535),
  jobmanager: name,
  algo: name,
  clients: z.number().int().nonnegative(),
  authed: z.number().int().nonnegative(),
  idle: z.number().int().nonnegative(),
  agentClients: z.number().int().nonnegative(),
  /**
   * Hashes/s from accepted difficulty over the last minute (sliding), or since the port started
   * when that is shorter; older edges sent the last completed wall-clock minute.
   */
  hashrate: z.number().nonnegative(),
  /** The time `hashrate` was measured over (ms). Optional: older edges did not send it. */
  hashrateSpanMs: z.number().nonnegative().optional(),
  /** Counters since the edge started. */
  shares: z.object({ acc: z.number(), dup: z.number(), low: z.number(), stale: z.number(), invalid: z.number() }),
  lastJobId: z.string().nullable(),
  lastJobAt: z.number().nullable(),
  /** Connections reset by the peer before the edge set them up, since it started (optional: older edges do not send it). */
  resetBeforeSetup: z.number().int().nonnegative().optional(),
  /** Filled by edges before issue 16 (and by in-process status reads); newer edges' heartbeats leave it out. */
  clientList: z.array(client).optional(),
  /** Optional: open Stratum V2 channels, included in `authed` (their connections in `clients`). */
  sv2Clients: z.number().int().nonnegative().optional(),
});

const status = z.object({
  v: z.literal(EDGE_STATUS_VERSION),
  edge: name,
  session: hex(4),
  edgeId: z.number().int().nonnegative(),
  publicHost: z.string().nullable(),
  startedAt: z.number().nonnegative(),
  time: z.number().nonnegative(),
  ports: z.array(port),
  /** Share records waiting in the local spool while Redis is unreachable. */
  spooled: z.number().int().nonnegative(),
  /**
   * The contract version the edge writes: 2 its own streams with share proofs, 1 the shared
   * streams (a core before v2, or a Redis user made before v2). Optional: older edges did not
   * send it, and an edge that has not reached Redis yet does not know.
   */
  contract: z.union([z.literal(1), z.literal(2)]).optional(),
});

export type EdgeStatusV1 = z.output<typeof status>;
export type EdgePortStatusV1 = z.output<typeof port>;
export type EdgeClientV1 = z.output<typeof client>;
export const edgeStatusCodec = jsonCodec("edge status", EDGE_STATUS_VERSION, status);

export const EDGE_CLIENTS_VERSION = 1;

const clients = z.object({
  v: z.literal(EDGE_CLIENTS_VERSION),
  edge: name,
  /** The edge process's session (its status record's): a list from an earlier run of the edge is ignored. */
  session: hex(4),
  time: z.number().nonnegative(),
  ports: z.array(z.object({ key: name, clients: z.array(client) })),
});

export type EdgeClientsV1 = z.output<typeof clients>;
export const edgeClientsCodec = jsonCodec("edge clients", EDGE_CLIENTS_VERSION, clients);
