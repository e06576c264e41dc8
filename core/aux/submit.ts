/**
 * @module Aux block submission (spec §6.5, with §15 item 28 fixed: every live aux coinserver, not
 * only the poll server). A candidate names the aux currencies its parent header meets; for each,
 * the auxpow is built from the stored job (coinbase branch) and the job's aux tree (chain branch,
 * slot) and sent with `getauxblock <hash> <auxpow>` (wallet payout) or `submitauxblock` (createauxblock
 * payout). Answers (auxpow-notes): true accepted (PowerPool also took null), false refused,
 * RPC -8 "block hash unknown" = the aux tip moved since the work was made (stale). Transport
 * failures are retried, on every live server, up to `tries` times.
 */
import { coinbaseMerkleRootInto, equalBytes, hexToBytes, targetToBits, u32ToHex } from "../../shared/bitcoin/index.ts";
import type { BlockCandidateV1 } from "../../shared/contract/index.ts";
import type { Logger } from "../../shared/log.ts";
import { RpcError, type ServerOutcome } from "../coinserver/index.ts";
import type { StoredJob } from "../jobs/build-job.ts";
import { auxPowHex, placeInJob } from "./auxpow.ts";
import { auxCommitment } from "./tree.ts";
import type { AuxWorkPoller } from "./work.ts";

export interface AuxChainHandle {
  readonly key: string;
  readonly currency: string;
  readonly algo: string;
  readonly method: "getauxblock" | "submitauxblock";
  readonly pool: { callAll(method: string, params?: readonly unknown[]): Promise<ServerOutcome[]> };
  readonly poller: AuxWorkPoller;
}

export type AuxVerdict = "accepted" | "rejected" | "stale" | "error";

export interface AuxBlockResult {
  readonly currency: string;
  readonly algo: string;
  readonly aux: string;
  /** Aux block hash, display hex. */
  readonly hash: string;
  readonly height: number;
  readonly verdict: AuxVerdict;
  readonly accepted: boolean;
  readonly reason: string | null;
  /** Compact bits of the aux target, UPPERCASE (spec §6.5 hex_bits). */
  readonly hexBits: string;
  readonly coinbaseValue: bigint;
  readonly address: string;
  readonly worker: string;
  /** The winning share's record id (edge, session, seq), which the record waits for. */
  readonly share: { readonly edge: string; readonly session: string; readonly seq: number };
  /** The parent share's block hash and whether the parent block was found too. */
  readonly parentHash: string;
  readonly parentMain: boolean;
  readonly candidateId: string;
  readonly tries: number;
  readonly submitMs: number;
}

export interface AuxSubmitterOptions {
  readonly chains: ReadonlyMap<string, AuxChainHandle>;
  /** The parent coin's stored job (by the candidate's `coin`: on a switching port `jobmanager` is the switcher). */
  readonly job: (coin: string, jobId: string) => StoredJob | undefined;
  readonly log: Logger;
  readonly onResult: (r: AuxBlockResult) => void;
  readonly tries?: number;
  readonly retryMs?: number;
}

export class AuxSubmitter {
  constructor(private readonly o: AuxSubmitterOptions) {}

  /** BlockConsumer's `onAux`: every aux currency of the candidate, concurrently. */
  async submit(c: BlockCandidateV1, entryId: string): Promise<void> {
    await Promise.all(c.aux.map((cur) => this.submitOne(c, cur, entryId)));
  }

  private async submitOne(c: BlockCandidateV1, currency: string, entryId: string): Promise<void> {
    const { log } = this.o;
    const chain = this.o.chains.get(currency);
    const stored = this.o.job(c.coin, c.jobId);
    const place = stored ? placeInJob(stored.job.aux, currency) : null;
    if (!chain || !stored || !place) {
      log.error(`${currency} aux block from ${c.address}.${c.worker} LOST: ${!chain ? "no aux chain with this currency" : !stored ? `job ${c.jobId} unknown` : "the job did not mine it"}`, { candidate: entryId });
      return;
    }
    const coinbase = hexToBytes(c.coinbase);
    const header = hexToBytes(c.header);
    // The edge's claim is checked against what the core committed to: the coinbase holds this job's
    // aux commitment and the header's merkle root is this coinbase's (rules 7 and 9 would refuse it anyway).
    const root = coinbaseMerkleRootInto(coinbase, stored.branch, new Uint8Array(32));
    if (!equalBytes(root, header.subarray(36, 68)) || indexOfBytes(coinbase, auxCommitment(place.tree)) < 0) {
      log.error(`${currency} aux block from ${c.address}.${c.worker} refused: the coinbase or header does not match job ${c.jobId}`, { candidate: entryId });
      return;
    }
    const work = chain.poller.byHash(place.target.hash);
    const auxpow = auxPowHex({ coinbase, coinbaseBranch: stored.branch, chainBranch: place.branch, chainIndex: place.slot, parentHeader: header });
    chain.poller.stats.solves++;
    log.notice(`new ${currency} aux block at height ${place.target.height} (${place.target.hash}) from ${c.address}.${c.worker}`, { parent: c.blockHash, main: c.main });
    const started = Date.now();
    const { verdict, reason, tries } = await this.send(chain, place.target.hash, auxpow);
    const r: AuxBlockResult = {
      currency,
      algo: chain.algo,
      aux: chain.key,
      hash: place.target.hash,
      height: place.target.height,
      verdict,
      accepted: verdict === "accepted",
      reason,
      hexBits: (work?.bits ?? "").toUpperCase() || bitsOfTarget(place.target.target),
      coinbaseValue: work?.coinbaseValue ?? 0n,
      address: c.address,
      worker: c.worker,
      share: { edge: c.edge, session: c.session, seq: c.shareSeq },
      parentHash: c.blockHash,
      parentMain: c.main,
      candidateId: entryId,
      tries,
      submitMs: Date.now() - started,
    };
    const st = chain.poller.stats;
    if (verdict === "accepted") st.accepts++;
    else if (verdict === "stale") st.stale++;
    else st.rejects++;
    st.lastSolve = { height: r.height, time: Date.now(), worker: `${c.address}.${c.worker}`, hash: r.hash };
    const line = `${currency} BLOCK ${r.hash}:${r.height}`;
    if (r.accepted) log.notice(`${line} accepted after ${r.submitMs} ms`);
    else if (verdict === "stale") log.warn(`${line} STALE: ${reason}`);
    else log.error(`${line} REJECTED: ${reason}`);
    // The tip moved (ours or someone's): fetch new work now rather than at the next interval.
    if (verdict === "accepted" || verdict === "stale") chain.poller.notify();
    this.o.onResult(r);
  }

  private async send(chain: AuxChainHandle, hash: string, auxpow: string): Promise<{ verdict: AuxVerdict; reason: string | null; tries: number }> {
    const max = this.o.tries ?? 5;
    let last = "no live aux coinserver";
    for (let t = 1; ; t++) {
      const outs = await chain.pool.callAll(chain.method, [hash, auxpow]);
      let refused: string | null = null;
      let unknown: string | null = null;
      let transient = outs.length === 0;
      for (const o of outs) {
        if (o.ok && (o.result === true || o.result === null)) return { verdict: "accepted", reason: null, tries: t };
        if (o.ok) refused = `${o.server} answered ${JSON.stringify(o.result)}`;
        else if (o.error instanceof RpcError && o.error.rpcCode === -8) unknown = `${o.server}: ${o.error.rpcMessage} (the aux tip moved)`;
        else if (o.error instanceof RpcError) refused = o.error.message;
        else {
          transient = true;
          last = o.error.message;
        }
      }
      if (!transient || t >= max) {
        if (refused) return { verdict: "rejected", reason: refused, tries: t };
        if (unknown) return { verdict: "stale", reason: unknown, tries: t };
        return { verdict: "error", reason: last, tries: t };
      }
      this.o.log.warn(`${chain.currency}: aux submission try ${t}/${max} failed (${last}); retrying`);
      await Bun.sleep(this.o.retryMs ?? 1000);
    }
  }
}

function bitsOfTarget(targetHex: string): string {
  return u32ToHex(targetToBits(BigInt(`0x${targetHex}`))).toUpperCase();
}

export function indexOfBytes(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
