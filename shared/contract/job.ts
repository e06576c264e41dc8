/**
 * @module Jobs, core → edges: what an edge needs to hand work to miners and check their shares —
 * never the template's transactions, which stay on the core.
 *
 * Byte orders are stratum's (spec §5.6): `prevhash` is the display hash with its eight 4-byte
 * groups reversed; coinb1/coinb2/branch are raw bytes as hex; `target` and aux targets are
 * big-endian 64-digit hex (display order), compared against the PoW hash read little-endian.
 */
import { z } from "zod";
import { hex, jsonCodec, name, u32 } from "./json-codec.ts";

export const JOB_VERSION = 1;

/** PowerPool's job types (spec §5.6): flush = new block (clean_jobs), push = broadcast, refresh = next re-push. */
export const JobType = { flush: 0, push: 1, refresh: 2 } as const;
export type JobType = (typeof JobType)[keyof typeof JobType];

const auxTarget = z.object({
  currency: name,
  chainId: u32,
  /** Aux block hash (display hex), so the core can match a solution to the work it came from. */
  hash: hex(32),
  target: hex(32),
  height: z.number().int().min(0),
  /** Algorithm the aux chain checks the parent header with. */
  algo: name,
});

const job = z.object({
  v: z.literal(JOB_VERSION),
  /** Unique for the core's lifetime and across restarts (a boot-time prefix plus a counter). */
  id: z.string().regex(/^[0-9a-f]{8,32}$/),
  /** The coin or switcher the job is published under (stratum ports name it as `jobmanager`). */
  jobmanager: name,
  /** The coin the work is for (differs from `jobmanager` on a switching port). */
  coin: name,
  currency: name,
  algo: name,
  type: z.union([z.literal(0), z.literal(1), z.literal(2)]),
  height: z.number().int().min(0),
  prevhash: hex(32),
  coinb1: hex(),
  coinb2: hex(),
  branch: z.array(hex(32)).max(32),
  version: u32,
  /** Version bits miners may roll on this coin (BIP310). */
  versionMask: u32,
  bits: hex(4),
  ntime: u32,
  /** Earliest ntime a share may carry (the template's mintime, or curtime). */
  mintime: u32,
  target: hex(32),
  diff1: hex(32),
  powBlockHash: z.boolean(),
  extranonce1Size: z.number().int().min(2).max(16),
  extranonce2Size: z.number().int().min(2).max(16),
  aux: z.array(auxTarget).max(32),
  /** ms since the epoch when the core made the job. */
  createdAt: z.number().nonnegative(),
});

export type JobV1 = z.output<typeof job>;
export type AuxTargetV1 = z.output<typeof auxTarget>;
export const jobCodec = jsonCodec("job", JOB_VERSION, job);
