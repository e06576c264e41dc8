/**
 * @module Merge mining in the core (issue 7; spec §6): per aux chain a CoinserverPool and a work
 * poller; per parent coin a provider that puts its `merged` chains' work into each job; new aux
 * work → `pushAux(flush)` on those parents (§5.8); aux block candidates → AuxSubmitter → accounting
 * (merged=1, the aux currency, UPPERCASE bits). Pollers start before the parents' first job so
 * that job already carries the aux work when a node answers fast.
 */
import { auxWorkCodec, contractNames } from "../../shared/contract/index.ts";
import type { Config } from "../../shared/config/load.ts";
import type { Logger } from "../../shared/log.ts";
import type { RedisClient } from "../../shared/redis.ts";
import { createCoinserverPool, type CoinserverPool } from "../coinserver/index.ts";
import type { BlockRecord } from "../accounting/index.ts";
import { recordFoundBlock, type FoundBlockAccounting } from "../ingest/found-block.ts";
import type { AuxWork, StoredJob } from "../jobs/build-job.ts";
import { auxProvider } from "./combine.ts";
import type { AuxChainStatus } from "./status.ts";
import { AuxSubmitter, type AuxBlockResult, type AuxChainHandle } from "./submit.ts";
import { AuxWorkPoller, type AuxWorkState } from "./work.ts";

export { auxPowHex, placeInJob, serializeAuxPow, type AuxPowParts, type AuxPlacement } from "./auxpow.ts";
export { auxProvider, auxTargetOf } from "./combine.ts";
export type { AuxChainStatus } from "./status.ts";
export { AuxSubmitter, type AuxBlockResult, type AuxVerdict } from "./submit.ts";
export { auxBranch, auxCommitment, auxSlot, buildAuxTree, EMPTY_AUX_COMMITMENT, foldChainBranch, type AuxTree } from "./tree.ts";
export { AuxWorkPoller, parseAuxBlock, type AuxWorkEvent, type AuxWorkState } from "./work.ts";

export interface AuxRuntimeDeps {
  readonly redis: RedisClient;
  readonly accounting: FoundBlockAccounting;
  /** A stored job of a jobmanager this core runs, or undefined. */
  readonly job: (jobmanager: string, jobId: string) => StoredJob | undefined;
  /** Called with `flush` when new aux work should become a job for a parent coin. */
  readonly pushAux: (coinKey: string, flush: boolean) => void;
  readonly log: Logger;
}

export interface AuxRuntime {
  readonly chains: ReadonlyMap<string, { readonly pool: CoinserverPool; readonly poller: AuxWorkPoller }>;
  /** The job manager's `aux` hook for a parent coin; undefined when the coin merges nothing. */
  provider(coinKey: string): (() => AuxWork) | undefined;
  /** Datagram targets by aux key (`DOGE _check_new_jobs`). */
  readonly notifyTargets: Readonly<Record<string, { notify(): void }>>;
  /** BlockConsumer's `onAux`. */
  onAux(c: Parameters<AuxSubmitter["submit"]>[0], entryId: string): Promise<void>;
  onBlock(listener: (r: AuxBlockResult) => void): () => void;
  status(): Record<string, AuxChainStatus>;
  start(): void;
  stop(): void;
}

export function createAuxRuntime(config: Pick<Config, "aux" | "coins" | "redis">, d: AuxRuntimeDeps): AuxRuntime {
  const names = contractNames(config.redis.prefix);
  const chains = new Map<string, { pool: CoinserverPool; poller: AuxWorkPoller }>();
  const handles = new Map<string, AuxChainHandle>();
  const listeners = new Set<(r: AuxBlockResult) => void>();
  for (const aux of Object.values(config.aux)) {
    const log = d.log.child(aux.key);
    const pool = createCoinserverPool(aux, log.child("coinserver"));
    const poller = new AuxWorkPoller({ aux, pool, log, publish: (w) => publish(d, names.auxWork(aux.key), w, log) });
    // §5.8: every parent that merges this chain makes a job from its last template.
    const parents = Object.values(config.coins).filter((c) => c.merged.includes(aux.key));
    poller.subscribe((ev) => {
      for (const p of parents) d.pushAux(p.key, ev.flush);
    });
    chains.set(aux.key, { pool, poller });
    const method = aux.payout.method === "createauxblock" ? "submitauxblock" : "getauxblock";
    handles.set(aux.currency, { key: aux.key, currency: aux.currency, algo: aux.algo, method, pool, poller });
  }
  const submitter = new AuxSubmitter({
    chains: handles,
    job: d.job,
    log: d.log,
    onResult: (r) => {
      if (config.aux[r.aux]?.send !== false) void recordFoundBlock(d.accounting, auxBlockRecord(r), { share: r.share, submitMs: r.submitMs }, d.log);
      for (const l of listeners) l(r);
    },
  });
  return {
    chains,
    provider(coinKey) {
      const merged = config.coins[coinKey]?.merged ?? [];
      const pollers = merged.map((k) => chains.get(k)?.poller).filter((p): p is AuxWorkPoller => p !== undefined);
      return pollers.length > 0 ? auxProvider(pollers, d.log.child(coinKey)) : undefined;
    },
    notifyTargets: Object.fromEntries([...chains].map(([k, c]) => [k, c.poller])),
    onAux: (c, id) => submitter.submit(c, id),
    onBlock(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    status: () => Object.fromEntries([...chains].map(([k, c]) => [k, c.poller.status()])),
    start() {
      for (const c of chains.values()) {
        c.pool.start();
        c.poller.start();
      }
    },
    stop() {
      for (const c of chains.values()) {
        c.poller.stop();
        c.pool.stop();
      }
    },
  };
}

/** The last work in Redis for the monitor and other cores (contract AuxWorkV1); best effort. */
function publish(d: AuxRuntimeDeps, key: string, w: AuxWorkState, log: Logger): void {
  const v = { v: 1 as const, aux: w.aux, currency: w.currency, chainId: w.chainId, hash: w.hash, target: w.target.toString(16).padStart(64, "0"), bits: w.bits, height: w.height, fetchedAt: w.fetchedAt };
  d.redis.set(key, auxWorkCodec.encode(v)).catch((e: unknown) => log.debug(`could not store aux work: ${(e as Error).message}`));
}

/** Spec §6.5 record: merged=1, the aux currency, fees None, UPPERCASE bits; refusals recorded as rejected blocks. */
function auxBlockRecord(r: AuxBlockResult): BlockRecord {
  return {
    currency: r.currency,
    algo: r.algo,
    hash: r.hash,
    height: r.height,
    address: r.address,
    worker: r.worker,
    totalSubsidy: r.coinbaseValue,
    fees: null,
    hexBits: r.hexBits,
    merged: true,
    accepted: r.accepted,
    ...(r.accepted ? {} : { rejectReason: r.reason ?? r.verdict }),
  };
}
