/**
 * @module Block candidates, edge → core: a share whose PoW hash meets the network target or an aux
 * target, with everything the core needs to rebuild the block from its stored job.
 */
import { z } from "zod";
import { hex, jsonCodec, name, u32 } from "./json-codec.ts";

export const CANDIDATE_VERSION = 1;

const candidate = z.object({
  v: z.literal(CANDIDATE_VERSION),
  edge: name,
  session: hex(4),
  /**
   * The winning share's record id within (edge, session): the core records the block only once the
   * accounting has applied that record, so the block's round holds its own share (spec §8.2 (c)).
   */
  shareSeq: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  jobmanager: name,
  jobId: z.string().regex(/^[0-9a-f]{8,32}$/),
  coin: name,
  currency: name,
  algo: name,
  /** The 80-byte header as hashed (version with rolled bits applied). */
  header: hex(80),
  /** The coinbase exactly as the miner hashed it (no witness): coinb1 ‖ extranonce1 ‖ extranonce2 ‖ coinb2. */
  coinbase: hex(),
  extranonce1: hex(),
  extranonce2: hex(),
  ntime: u32,
  nonce: u32,
  version: u32,
  /** PoW hash, display hex. */
  powHash: hex(32),
  /** Block id, display hex (sha256d of the header, or the PoW hash on pow_block_hash coins). */
  blockHash: hex(32),
  /** The parent header meets the network target. */
  main: z.boolean(),
  /** Aux currencies whose target the share meets. */
  aux: z.array(name),
  address: z.string().min(1).max(128),
  worker: z.string().max(64),
  difficulty: z.number().positive(),
  /** ms since the epoch when the share reached the edge. */
  receivedAt: z.number().nonnegative(),
});

export type BlockCandidateV1 = z.output<typeof candidate>;
export const candidateCodec = jsonCodec("block candidate", CANDIDATE_VERSION, candidate);
