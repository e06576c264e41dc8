/**
 * @module An edge job (edge/jobs PreparedJob) in SV2's terms (sv2-spec §5.3.15–5.3.17), made once per
 * job and kept beside it, so a fan-out to many connections builds nothing per connection except
 * the standard channels' own merkle roots.
 *
 * The core's coinb1/coinb2 are already the txid serialization stratum v1 hashes (no BIP141 fields),
 * which is what §3.7.1 asks of `coinbase_tx_prefix`/`suffix`. The job id is the edge's own id (the
 * hex of a 32-bit counter, edge/ports.ts) as a U32, so a share's job_id finds the job in the feed.
 */
import { coinbaseMerkleRootInto } from "../../shared/bitcoin/index.ts";
import type { PreparedJob } from "../jobs/index.ts";
import type { EdgeJob } from "../ports.ts";
import { encodeNewExtendedMiningJob, encodeSetNewPrevHash, type MessageOut } from "./messages.ts";

export interface Sv2Job {
  readonly edgeJob: PreparedJob;
  readonly jobId: number;
  readonly prevHash: Uint8Array;
  readonly version: number;
  readonly nbits: number;
  /** Sent as min_ntime: the job's ntime (the checker still accepts anything from the template's mintime). */
  readonly ntime: number;
  readonly merklePath: readonly Uint8Array[];
  readonly coinbasePrefix: Uint8Array;
  readonly coinbaseSuffix: Uint8Array;
  /** Bytes of the extranonce slot between prefix and suffix (extranonce1 + extranonce2 sizes). */
  readonly extranonceSize: number;
  /** Hex of a prevhash, to compare jobs cheaply. */
  readonly prevHashKey: string;
}

const cache = new WeakMap<EdgeJob, Sv2Job>();

export function sv2Job(job: PreparedJob): Sv2Job {
  let j = cache.get(job);
  if (j) return j;
  const w = job.work;
  const slot = w.extranonce1Size + w.extranonce2Size;
  j = {
    edgeJob: job,
    jobId: Number.parseInt(job.id, 16) >>> 0,
    prevHash: w.prevHash.slice(),
    version: w.version,
    nbits: w.bits,
    ntime: job.job.ntime,
    merklePath: w.branch.map((b) => b.slice()),
    coinbasePrefix: w.coinbase.slice(0, w.slotOffset),
    coinbaseSuffix: w.coinbase.slice(w.slotOffset + slot),
    extranonceSize: slot,
    prevHashKey: job.job.prevhash,
  };
  cache.set(job, j);
  return j;
}

/** The edge job id (lower-case hex, edge/ports.ts) of an SV2 job_id. */
export const edgeJobId = (jobId: number): string => jobId.toString(16);

/** One merkle root per (standard channel, job): the channel's whole extranonce sits in the coinbase. */
export function standardMerkleRoot(j: Sv2Job, extranoncePrefix: Uint8Array, out = new Uint8Array(32)): Uint8Array {
  const cb = new Uint8Array(j.coinbasePrefix.length + extranoncePrefix.length + j.coinbaseSuffix.length);
  cb.set(j.coinbasePrefix, 0);
  cb.set(extranoncePrefix, j.coinbasePrefix.length);
  cb.set(j.coinbaseSuffix, j.coinbasePrefix.length + extranoncePrefix.length);
  return coinbaseMerkleRootInto(cb, j.merklePath, out);
}

/** Message payloads that are the same for every connection but for the channel id, built once per (job, kind). */
export interface SharedJobMessages {
  extended(channelId: number, future: boolean, versionRolling: boolean): MessageOut;
  prevHash(channelId: number): MessageOut;
}

const built = new WeakMap<Sv2Job, Map<string, Uint8Array>>();

/** Writes channelId over the first four payload bytes of a message built for channel 0 (a copy). */
function withChannel(payload: Uint8Array, channelId: number): Uint8Array {
  const p = payload.slice();
  p[0] = channelId;
  p[1] = channelId >>> 8;
  p[2] = channelId >>> 16;
  p[3] = channelId >>> 24;
  return p;
}

export function jobMessages(j: Sv2Job): SharedJobMessages {
  let m = built.get(j);
  if (!m) built.set(j, (m = new Map()));
  const memo = m;
  const once = (key: string, make: () => MessageOut): Uint8Array => {
    let p = memo.get(key);
    if (!p) memo.set(key, (p = make().payload));
    return p;
  };
  return {
    extended(channelId, future, versionRolling) {
      const base = once(`x${future ? 1 : 0}${versionRolling ? 1 : 0}`, () =>
        encodeNewExtendedMiningJob({
          channelId: 0,
          jobId: j.jobId,
          minNtime: future ? undefined : j.ntime,
          version: j.version,
          versionRollingAllowed: versionRolling,
          merklePath: j.merklePath,
          coinbaseTxPrefix: j.coinbasePrefix,
          coinbaseTxSuffix: j.coinbaseSuffix,
        }),
      );
      return { msgType: 0x1f, payload: withChannel(base, channelId) };
    },
    prevHash(channelId) {
      const base = once("p", () => encodeSetNewPrevHash({ channelId: 0, jobId: j.jobId, prevHash: j.prevHash, minNtime: j.ntime, nbits: j.nbits }));
      return { msgType: 0x20, payload: withChannel(base, channelId) };
    },
  };
}
