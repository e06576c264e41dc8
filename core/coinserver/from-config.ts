/** @module Builds a coin's (or aux chain's) CoinserverPool and TipWatcher from the resolved config. */
import type { ResolvedAux, ResolvedCoin } from "../../shared/config/load.ts";
import type { Logger } from "../../shared/log.ts";
import type { Clock } from "./clock.ts";
import { CoinserverPool, type CoinserverPoolOptions } from "./pool.ts";
import { TipWatcher, type TipListener, type TipSource } from "./tip-watcher.ts";

type Extra = Partial<Pick<CoinserverPoolOptions, "waitForLiveMs" | "unavailableCodes" | "clock" | "fetch">>;

/** One pool per coin or aux chain; call `start()` on it. */
export function createCoinserverPool(
  chain: Pick<ResolvedCoin | ResolvedAux, "key" | "rpc_ping_int"> & { readonly coinservs: CoinserverPoolOptions["servers"] },
  log: Logger,
  extra: Extra = {},
): CoinserverPool {
  return new CoinserverPool({ label: chain.key, servers: chain.coinservs, pingInterval: chain.rpc_ping_int, log, ...extra });
}

/** The tip watcher of a main-chain coin; `source` is normally the coin's CoinserverPool. */
export function createTipWatcher(
  coin: Pick<ResolvedCoin, "key" | "block_poll" | "job_refresh" | "notify_timeout" | "polling"> & Partial<Pick<ResolvedCoin, "poll">>,
  source: TipSource,
  listener: TipListener,
  log: Logger,
  clock?: Clock,
): TipWatcher {
  return new TipWatcher({
    label: coin.key,
    source,
    listener,
    log,
    blockPoll: coin.block_poll,
    jobRefresh: coin.job_refresh,
    notifyTimeout: coin.notify_timeout,
    polling: coin.polling,
    pollWhileChannelUp: coin.poll === true,
    ...(clock ? { clock } : {}),
  });
}
