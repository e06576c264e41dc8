/**
 * @module Notices new blocks on one coin and tells the job generator (spec §5.2/§5.3).
 *
 * Triggers, all funnelled into one serial tip check (getbestblockhash, then the new tip's height):
 * - polling every `block_poll` s when polling is on (or in fallback, below);
 * - a refresh tick every `job_refresh` s, restarted on every new block;
 * - `notify()` from a push-block datagram, a ZMQ `hashblock` or a returning long poll: an immediate
 *   check, and `last_signal` is recorded.
 * - A push channel whose liveness is known (ZMQ subscription, held long poll) reports itself with
 *   `setChannel()`: while it is up polling pauses (unless `poll: true`); when it goes down polling
 *   resumes at once, and both changes are logged.
 * The hash is compared, not the height, so a reorg to a different block at the same height is seen.
 *
 * With polling off (`poll: false`), a watchdog waits `notify_timeout` s for a notification. When
 * none comes it warns once and polls until notifications return (PowerPool's docs wished for this).
 * In push mode a failed check is retried after `block_poll` s, so a notification is not lost to a
 * brief coinserver outage.
 */
import { realClock, type Cancel, type Clock } from "./clock.ts";
import type { BlockCause, ChainTip, ChannelStatus, PushChannel, RefreshEvent, SignalSource, TipMode, TipWatcherOptions, TipWatcherStatus } from "./tip-types.ts";

export type {
  BlockCause,
  BlockMethod,
  ChainTip,
  ChannelStatus,
  NewBlockEvent,
  PushChannel,
  RefreshEvent,
  SignalSource,
  TipListener,
  TipMode,
  TipSource,
  TipWatcherOptions,
  TipWatcherStatus,
} from "./tip-types.ts";

const CHANNEL_NAMES: Record<SignalSource, string> = { zmq: "ZMQ hashblock", longpoll: "getblocktemplate long polling", datagram: "push notification" };

const HASH_HEX = /^[0-9a-f]{64}$/i;
/** Which queued trigger to keep when several arrive during one check: the one with most to report. */
const RANK: Record<BlockCause, number> = { start: 3, notify: 2, refresh: 1, poll: 0 };

export class TipWatcher {
  private readonly o: TipWatcherOptions;
  private readonly clock: Clock;
  private mode: TipMode;
  private tip: ChainTip | null = null;
  private lastSignal: number | null = null;
  private signals = 0;
  private lastCheck: number | null = null;
  private lastNewBlock: number | null = null;
  private checkError: string | null = null;
  private channel: ChannelStatus | null = null;
  private lastVia: SignalSource = "datagram";
  private running = false;
  private checking = false;
  private queued: BlockCause | null = null;
  private cancelPoll: Cancel | undefined;
  private cancelRefresh: Cancel | undefined;
  private cancelWatchdog: Cancel | undefined;
  private cancelRetry: Cancel | undefined;

  constructor(opts: TipWatcherOptions) {
    this.o = opts;
    this.clock = opts.clock ?? realClock;
    this.mode = opts.polling ? "poll" : "push";
  }

  /** Checks the tip at once (the first onNewBlock has cause `start`), then starts the timers. */
  start(): void {
    if (this.running) return;
    this.running = true;
    if (this.mode === "poll") this.schedulePoll();
    else this.armWatchdog();
    this.scheduleRefresh();
    this.request("start");
  }

  /** Cancels every timer; a check in flight finishes without emitting. */
  stop(): void {
    this.running = false;
    for (const c of [this.cancelPoll, this.cancelRefresh, this.cancelWatchdog, this.cancelRetry]) c?.();
    this.cancelPoll = this.cancelRefresh = this.cancelWatchdog = this.cancelRetry = undefined;
  }

  [Symbol.dispose](): void {
    this.stop();
  }

  /** A push-block notification: record it and check the tip now. */
  notify(via: SignalSource = "datagram"): void {
    if (!this.running) return;
    this.lastSignal = this.clock.now();
    this.signals++;
    this.lastVia = via;
    if (this.mode === "push-fallback") {
      this.mode = "push";
      this.cancelPoll?.();
      this.cancelPoll = undefined;
      this.o.log.notice(`${this.o.label}: push notifications are back; polling stopped`);
    }
    if (this.mode === "push" && !this.channel?.up) this.armWatchdog();
    this.request("notify");
  }

  /**
   * A push channel came up or went down. Up: polling stops (unless `pollWhileChannelUp`) and the
   * tip is checked once, for a block that came while it was down. Down: polling resumes at once.
   */
  setChannel(kind: PushChannel, up: boolean, detail: string): void {
    const prev = this.channel;
    if (prev?.kind === kind && prev.up === up) {
      this.channel = { ...prev, detail };
      return;
    }
    this.channel = { kind, up, since: this.clock.now(), detail };
    const what = CHANNEL_NAMES[kind];
    if (up) {
      const keep = this.o.pollWhileChannelUp === true;
      this.o.log.notice(`${this.o.label}: new blocks arrive by ${what} (${detail}); ${keep ? "polling continues (poll: true)" : "polling stopped"}`);
      if (!keep) {
        this.mode = "push";
        for (const c of [this.cancelPoll, this.cancelWatchdog]) c?.();
        this.cancelPoll = this.cancelWatchdog = undefined;
      }
      this.request("poll");
      return;
    }
    if (prev?.up) this.o.log.warn(`${this.o.label}: ${what} is down (${detail}); polling every ${this.o.blockPoll} s until it is back`);
    else this.o.log.info(`${this.o.label}: ${what} not available yet (${detail}); polling every ${this.o.blockPoll} s meanwhile`);
    if (this.mode === "push") {
      this.mode = this.o.polling ? "poll" : "push-fallback";
      this.cancelWatchdog?.();
      this.cancelWatchdog = undefined;
      if (this.running) this.schedulePoll();
    }
  }

  status(): TipWatcherStatus {
    const { mode, tip, lastSignal, signals, lastCheck, lastNewBlock, checkError, channel } = this;
    const method = channel?.up ? channel.kind : mode === "push" ? "datagram" : "poll";
    return { mode, method, channel, tip, lastSignal, signals, lastCheck, lastNewBlock, checkError };
  }

  /** Runs a check now, or right after the one in flight (triggers arriving meanwhile merge). */
  private request(cause: BlockCause): void {
    if (!this.running) return;
    if (this.checking) {
      if (this.queued === null || RANK[cause] > RANK[this.queued]) this.queued = cause;
      return;
    }
    void this.drain(cause);
  }

  private async drain(first: BlockCause): Promise<void> {
    this.checking = true;
    let cause: BlockCause | null = first;
    while (cause !== null && this.running) {
      try {
        await this.check(cause);
        if (this.checkError !== null) this.o.log.info(`${this.o.label}: tip checks work again`);
        this.checkError = null;
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        if (this.checkError === null) this.o.log.warn(`${this.o.label}: tip check failed: ${msg}`);
        this.checkError = msg;
        this.scheduleRetry(cause);
      }
      cause = this.queued;
      this.queued = null;
    }
    this.checking = false;
  }

  private async check(cause: BlockCause): Promise<void> {
    const hash = await this.o.source.call("getbestblockhash");
    if (typeof hash !== "string" || !HASH_HEX.test(hash)) throw new TypeError(`getbestblockhash: expected 64 hex digits, got ${JSON.stringify(hash)}`);
    this.lastCheck = this.clock.now();
    if (this.tip !== null && hash === this.tip.hash) {
      if (!this.running) return;
      if (cause === "notify") this.o.log.debug(`${this.o.label}: push notification about a block we already know`, { height: this.tip.height });
      if (cause === "notify" || cause === "refresh") this.emitRefresh(cause === "notify" ? "notify" : "timer", this.tip);
      return;
    }
    const height = await this.heightOf(hash);
    if (!this.running) return;
    const previous = this.tip;
    this.tip = { hash, height };
    this.lastNewBlock = this.clock.now();
    const how = cause === "notify" ? CHANNEL_NAMES[this.lastVia] : cause;
    this.o.log.info(`${this.o.label}: new block ${height} ${hash} (found by ${how})`);
    this.scheduleRefresh();
    try {
      this.o.listener.onNewBlock({ tip: this.tip, previous, cause, at: this.lastNewBlock });
    } catch (err) {
      this.o.log.error(`${this.o.label}: onNewBlock listener threw`, { error: err });
    }
  }

  /** Height of a block by hash (exact even if the tip moves again); getblockcount if the coin lacks getblockheader. */
  private async heightOf(hash: string): Promise<number> {
    let height: unknown;
    try {
      const header = await this.o.source.call("getblockheader", [hash, true]);
      height = typeof header === "object" && header !== null ? (header as Record<string, unknown>).height : undefined;
    } catch {
      height = await this.o.source.call("getblockcount");
    }
    if (typeof height !== "number" || !Number.isInteger(height) || height < 0) throw new TypeError(`block height of ${hash}: expected an integer ≥ 0, got ${JSON.stringify(height)}`);
    return height;
  }

  private emitRefresh(cause: RefreshEvent["cause"], tip: ChainTip): void {
    try {
      this.o.listener.onRefresh({ cause, tip, at: this.clock.now() });
    } catch (err) {
      this.o.log.error(`${this.o.label}: onRefresh listener threw`, { error: err });
    }
  }

  private schedulePoll(): void {
    this.cancelPoll?.();
    this.cancelPoll = this.clock.after(this.o.blockPoll * 1000, () => {
      this.request("poll");
      if (this.running && this.mode !== "push") this.schedulePoll();
    });
  }

  private scheduleRefresh(): void {
    if (!this.running) return;
    this.cancelRefresh?.();
    this.cancelRefresh = this.clock.after(this.o.jobRefresh * 1000, () => {
      this.request("refresh");
      this.scheduleRefresh();
    });
  }

  /**
   * Without polling nothing else would repeat a failed check soon, and a failed check after a
   * notification would lose that block until the refresh tick; so retry after block_poll.
   */
  private scheduleRetry(cause: BlockCause): void {
    if (!this.running || this.mode !== "push") return;
    this.cancelRetry?.();
    this.cancelRetry = this.clock.after(this.o.blockPoll * 1000, () => this.request(cause));
  }

  private armWatchdog(): void {
    this.cancelWatchdog?.();
    if (this.channel?.up) return; // a live channel's silence just means no new block
    this.cancelWatchdog = this.clock.after(this.o.notifyTimeout * 1000, () => {
      if (!this.running || this.mode !== "push" || this.channel?.up) return;
      this.mode = "push-fallback";
      this.o.log.warn(`${this.o.label}: no push notification for ${this.o.notifyTimeout} s; polling every ${this.o.blockPoll} s until one arrives (check the coinserver's blocknotify)`);
      this.schedulePoll();
    });
  }
}
