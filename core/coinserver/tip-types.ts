/** @module The types of TipWatcher's inputs, events and status. */
import type { Logger } from "../../shared/log.ts";
import type { Clock } from "./clock.ts";

/** Anything with a pool-style `call`; CoinserverPool is the real one. */
export interface TipSource {
  call(method: string, params?: readonly unknown[]): Promise<unknown>;
}

export interface ChainTip {
  /** Display-order hex, as RPC shows it. */
  readonly hash: string;
  readonly height: number;
}

/** What found the block: the first check, a poll, a push-block datagram or the refresh tick. */
export type BlockCause = "start" | "poll" | "notify" | "refresh";

export interface NewBlockEvent {
  readonly tip: ChainTip;
  /** null on the first check after start. */
  readonly previous: ChainTip | null;
  readonly cause: BlockCause;
  readonly at: number;
}

export interface RefreshEvent {
  /** `timer`: the job_refresh tick; `notify`: a datagram about a block we already had. */
  readonly cause: "timer" | "notify";
  readonly tip: ChainTip;
  readonly at: number;
}

/** The job generator implements this; both are called after the tip state is updated. */
export interface TipListener {
  onNewBlock(ev: NewBlockEvent): void;
  onRefresh(ev: RefreshEvent): void;
}

export interface TipWatcherOptions {
  readonly label: string;
  readonly source: TipSource;
  readonly listener: TipListener;
  readonly log: Logger;
  /** Seconds, from the coin config: `block_poll`, `job_refresh`, `notify_timeout`; `polling` is the resolved `poll`. */
  readonly blockPoll: number;
  readonly jobRefresh: number;
  readonly notifyTimeout: number;
  readonly polling: boolean;
  /** Keep polling while a push channel is up (config `poll: true`); default false. */
  readonly pollWhileChannelUp?: boolean;
  readonly clock?: Clock;
}

/** `push-fallback`: polling is off by config but no notification came within notify_timeout. */
export type TipMode = "poll" | "push" | "push-fallback";

/** A push channel whose liveness is known (a ZMQ subscription, a held long poll): polling pauses while it is up. */
export type PushChannel = "zmq" | "longpoll";
/** Where push notifications come from: a channel, or push-block datagrams. */
export type SignalSource = PushChannel | "datagram";
/** How new blocks are noticed now: the monitor's "block method" per coin. */
export type BlockMethod = PushChannel | "datagram" | "poll";

export interface ChannelStatus {
  readonly kind: PushChannel;
  readonly up: boolean;
  /** When `up` last changed (epoch ms). */
  readonly since: number;
  /** Why it is down (or what it is subscribed to when up). */
  readonly detail: string;
}

export interface TipWatcherStatus {
  readonly mode: TipMode;
  /** How new blocks are noticed now (ZMQ, long polling, datagrams or polling). */
  readonly method: BlockMethod;
  /** The push channel, when one is configured. */
  readonly channel: ChannelStatus | null;
  readonly tip: ChainTip | null;
  /** When the last push notification arrived (epoch ms), PowerPool's `last_signal`. */
  readonly lastSignal: number | null;
  readonly signals: number;
  readonly lastCheck: number | null;
  readonly lastNewBlock: number | null;
  /** The last failed tip check, cleared when checks work again. */
  readonly checkError: string | null;
}
