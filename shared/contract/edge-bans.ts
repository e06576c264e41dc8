/**
 * @module Bans, both ways (issue 14): each edge publishes the addresses it has banned, with their
 * reasons, under `edgeBans(edge)` with a TTL like its status (a separate key, so the status record
 * keeps its layout); the operator's lifts travel edge-ward as entries of the `banLifts` stream,
 * which every edge reads from where it joined (no consumer group: every edge must see every lift).
 */
import { z } from "zod";
import { jsonCodec, name } from "./json-codec.ts";

export const EDGE_BANS_VERSION = 1;
export const BAN_LIFT_VERSION = 1;

/** What a ban or a closed connection was for (edge/listener/ip-guard.ts). */
export const BAN_KINDS = ["oversize_line", "junk", "unauthorized", "invalid_shares"] as const;
const kind = z.enum(BAN_KINDS);
const byKind = z.object({ oversize_line: z.number().int().nonnegative(), junk: z.number().int().nonnegative(), unauthorized: z.number().int().nonnegative(), invalid_shares: z.number().int().nonnegative() });

const ban = z.object({
  ip: z.string().min(1).max(64),
  kind,
  reason: z.string().max(256),
  port: name,
  since: z.number().nonnegative(),
  until: z.number().nonnegative(),
});

const edgeBans = z.object({
  v: z.literal(EDGE_BANS_VERSION),
  edge: name,
  time: z.number().nonnegative(),
  /** Active bans, newest first (at most MAX_PUBLISHED_BANS; `total` says how many there are). */
  bans: z.array(ban),
  total: z.number().int().nonnegative(),
  /** Since the edge started: addresses banned, connections closed for abuse, bans lifted. */
  banned: byKind,
  closed: byKind,
  lifted: z.number().int().nonnegative(),
});

const banLift = z.object({
  v: z.literal(BAN_LIFT_VERSION),
  ip: z.string().min(1).max(64),
  /** Only this edge (its name, or a worker's `<edge>/<i>`); null: every edge. */
  edge: name.nullable(),
  at: z.number().nonnegative(),
});

/** An edge publishes at most this many bans (newest first); a flood of bans must not make a huge record. */
export const MAX_PUBLISHED_BANS = 1000;

export type EdgeBansV1 = z.output<typeof edgeBans>;
export type EdgeBanV1 = z.output<typeof ban>;
export type BanKind = z.output<typeof kind>;
export type BanLiftV1 = z.output<typeof banLift>;
export const edgeBansCodec = jsonCodec("edge bans", EDGE_BANS_VERSION, edgeBans);
export const banLiftCodec = jsonCodec("ban lift", BAN_LIFT_VERSION, banLift);
