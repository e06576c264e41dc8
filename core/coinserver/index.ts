/** @module Public surface of core/coinserver: talk to coinservers, notice new blocks. */
export { realClock, type Cancel, type Clock } from "./clock.ts";
export {
  CoinserverError,
  isServerFailure,
  NoLiveServerError,
  RpcError,
  RpcProtocolError,
  RpcTransportError,
  UNAVAILABLE_RPC_CODES,
  type CoinserverErrorCode,
  type TransportReason,
} from "./errors.ts";
export { createCoinserverPool, createTipWatcher } from "./from-config.ts";
export { resolveBlockMethod, startBlockSignals, type BlockSignals, type BlockSignalsStatus, type ConfiguredMethod } from "./block-signals.ts";
export { CoinserverPool, type CoinserverPoolOptions, type PoolCallOptions, type PoolEvent, type PoolStatus, type ServerOutcome } from "./pool.ts";
export { RpcClient, serverDisplayName, type FetchLike, type RpcCallOptions, type RpcServerConfig } from "./rpc-client.ts";
export type { CoinserverStatus, ServerHealth } from "./server-state.ts";
export {
  TipWatcher,
  type BlockCause,
  type ChainTip,
  type NewBlockEvent,
  type RefreshEvent,
  type TipListener,
  type TipMode,
  type TipSource,
  type TipWatcherOptions,
  type TipWatcherStatus,
} from "./tip-watcher.ts";
