/**
 * @module How one coin learns of new blocks beside polling and datagrams (issue 21): ZMQ `hashblock`
 * subscriptions and/or a held long-poll getblocktemplate, chosen by `block_method`:
 * - `auto` (default): ZMQ when a coinserver has `zmq`, else long polling (where the node returns a
 *   `longpollid`; else the coin simply keeps polling);
 * - `zmq`, `longpoll`: that one; `poll`: neither.
 * Every signal goes to the TipWatcher (`notify`), and the channel's up/down to `setChannel`, so
 * polling runs exactly while no channel is up. To save round trips between the block and the
 * miners, a signal also goes straight to the job manager: a ZMQ hashblock asks for a template at
 * once (in parallel with the watcher's tip check), a returned long poll hands over the template
 * the node sent. The watcher's own check then finds the template unchanged: no second job.
 */
import type { CoinConfig } from "../../shared/config/schema.ts";
import type { Logger } from "../../shared/log.ts";
import { LongPoller, type LongPollPool, type LongPollStatus } from "./longpoll.ts";
import type { PoolServerConfig } from "./pool-types.ts";
import { serverDisplayName } from "./rpc-client.ts";
import type { TipWatcher } from "./tip-watcher.ts";
import { HashblockSubscriber, type HashblockStatus } from "./zmq-blocks.ts";

export type ConfiguredMethod = "zmq" | "longpoll" | "poll";

export interface BlockSignalsStatus {
  /** What the configuration asks for, after resolving `auto`. */
  readonly configured: ConfiguredMethod;
  readonly zmq: readonly HashblockStatus[];
  readonly longpoll: LongPollStatus | null;
}

export interface BlockSignals {
  status(): BlockSignalsStatus;
  stop(): Promise<void>;
}

/** The method `block_method` resolves to for these coinservers. */
export function resolveBlockMethod(method: CoinConfig["block_method"], servers: readonly Pick<PoolServerConfig, "zmq">[]): ConfiguredMethod {
  if (method !== "auto") return method;
  return servers.some((s) => s.zmq) ? "zmq" : "longpoll";
}

/** The job manager as signals see it. */
export interface SignalJobs {
  refreshNow(cause: "notify"): void;
  offerTemplate(raw: unknown): void;
}

export function startBlockSignals(
  coin: { readonly key: string; readonly block_method: CoinConfig["block_method"]; readonly rules: readonly string[]; readonly coinservs: readonly PoolServerConfig[] },
  pool: LongPollPool,
  watcher: Pick<TipWatcher, "notify" | "setChannel">,
  jobs: SignalJobs,
  log: Logger,
): BlockSignals {
  const configured = resolveBlockMethod(coin.block_method, coin.coinservs);
  const subs: HashblockSubscriber[] = [];
  let poller: LongPoller | null = null;
  if (configured === "zmq") {
    const up = new Set<string>();
    for (const cs of coin.coinservs) {
      if (!cs.zmq) continue;
      const server = serverDisplayName(cs);
      const sub = new HashblockSubscriber({
        label: coin.key,
        server,
        endpoint: cs.zmq,
        log,
        onBlock: () => {
          jobs.refreshNow("notify");
          watcher.notify("zmq");
        },
        // The channel is up while any coinserver's subscription is.
        onState: (isUp, detail) => {
          if (isUp) up.add(server);
          else up.delete(server);
          watcher.setChannel("zmq", up.size > 0, detail);
        },
      });
      sub.start();
      subs.push(sub);
    }
  } else if (configured === "longpoll") {
    poller = new LongPoller({ label: coin.key, pool, rules: coin.rules, log, onSignal: (t) => {
        jobs.offerTemplate(t);
        watcher.notify("longpoll");
      }, onState: (up, detail) => watcher.setChannel("longpoll", up, detail) });
    poller.start();
  }
  return {
    status: () => ({ configured, zmq: subs.map((s) => s.status()), longpoll: poller?.status() ?? null }),
    async stop() {
      for (const s of subs) s.stop();
      await poller?.stop();
    },
  };
}
