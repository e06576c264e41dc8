/** @module A coin's JobManager from the resolved config (wiring for core/main.ts). */
import type { Logger } from "../../shared/log.ts";
import type { TipSource } from "../coinserver/index.ts";
import type { AuxWork } from "./build-job.ts";
import type { JobIdAllocator } from "./job-ids.ts";
import { JobManager } from "./job-manager.ts";
import type { JobPublisher } from "./publisher.ts";
import { jobSettings, type ExtranonceConfig, type JobCoinConfig } from "./settings.ts";

export interface JobManagerDeps {
  /** The coin's CoinserverPool (started by the caller). */
  readonly pool: TipSource;
  /** One per core, shared by every jobmanager. */
  readonly publisher: JobPublisher;
  readonly log: Logger;
  /** One per core process, shared by every jobmanager, so ids are unique core-wide. */
  readonly ids?: JobIdAllocator;
  readonly aux?: () => AuxWork;
}

/** Throws RangeError when the coin is not configured or its `pool_address` does not decode. */
/** `cfg` is the resolved Config (only `coins` and `pool` are read). */
export function createJobManager(cfg: { readonly coins: Readonly<Record<string, JobCoinConfig>>; readonly pool: ExtranonceConfig }, coinKey: string, deps: JobManagerDeps): JobManager {
  const coin = cfg.coins[coinKey];
  if (!coin) throw new RangeError(`createJobManager: expected one of ${Object.keys(cfg.coins).join(", ")}, got ${coinKey}`);
  return new JobManager({
    settings: jobSettings(coin, cfg.pool),
    source: deps.pool,
    publisher: deps.publisher,
    log: deps.log,
    ...(deps.ids ? { ids: deps.ids } : {}),
    ...(deps.aux ? { aux: deps.aux } : {}),
  });
}
