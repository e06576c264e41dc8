/**
 * @module Jobs kept in Redis beside their publication (issue 16 §1), so a core that takes over can
 * still rebuild and submit a block found on a job of the core it replaced: rebuilding needs the
 * template's transactions and the coinbase halves, which otherwise live only in the memory of the
 * core that made the job. One key per job with a TTL (`<prefix>core:jobdata:<id>`), written in the
 * same fenced transaction as the job's publication (publisher.ts).
 */
import { z } from "zod";
import { bytesToHex, hexToBytes } from "../../shared/bitcoin/index.ts";
import { jobCodec } from "../../shared/contract/index.ts";
import type { StoredJob } from "./build-job.ts";

export const jobArchiveKey = (prefix: string, jobId: string): string => `${prefix}core:jobdata:${jobId}`;

const archived = z.strictObject({
  job: z.string(),
  coinb1: z.string(),
  coinb2: z.string(),
  branch: z.array(z.string()),
  txDataHex: z.array(z.string()),
  segwitActive: z.boolean(),
  mweb: z.string().nullable(),
  previousblockhash: z.string(),
  coinbaseValue: z.string().regex(/^\d+$/),
  fees: z.string().regex(/^-?\d+$/),
});

export function encodeStoredJob(s: StoredJob): string {
  return JSON.stringify({
    job: jobCodec.encode(s.job),
    coinb1: bytesToHex(s.coinb1),
    coinb2: bytesToHex(s.coinb2),
    branch: s.branch.map(bytesToHex),
    txDataHex: s.txDataHex,
    segwitActive: s.segwitActive,
    mweb: s.mweb,
    previousblockhash: s.previousblockhash,
    coinbaseValue: s.coinbaseValue.toString(),
    fees: s.fees.toString(),
  });
}

/** Throws on anything that is not an archived job. */
export function decodeStoredJob(raw: string): StoredJob {
  const a = archived.parse(JSON.parse(raw));
  return {
    job: jobCodec.decode(a.job),
    coinb1: hexToBytes(a.coinb1),
    coinb2: hexToBytes(a.coinb2),
    branch: a.branch.map(hexToBytes),
    txDataHex: a.txDataHex,
    segwitActive: a.segwitActive,
    mweb: a.mweb,
    previousblockhash: a.previousblockhash,
    coinbaseValue: BigInt(a.coinbaseValue),
    fees: BigInt(a.fees),
  };
}
