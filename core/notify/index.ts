/** @module Public surface of core/notify: push-block datagrams from coinservers' blocknotify. */
import type { Config } from "../../shared/config/load.ts";
import type { Logger } from "../../shared/log.ts";
import { buildNotifyTargets, type Refreshable } from "./actions.ts";
import { DatagramHandler } from "./handler.ts";
import { startNotifyListener, type NotifyListener } from "./listener.ts";

export { AUX_METHODS, buildNotifyTargets, COIN_METHODS, type NotifyTarget, type Refreshable } from "./actions.ts";
export { describeDatagram, encodeDatagram, MAX_DATAGRAM_BYTES, parseDatagram, REJECT_TEXT, type Datagram, type ParseResult, type RejectReason } from "./datagram.ts";
export { DatagramHandler, type DatagramHandlerOptions, type HandleResult, type NotifyCounters } from "./handler.ts";
export { startNotifyListener, type NotifyListener, type NotifyListenerOptions } from "./listener.ts";

/**
 * Starts the listener as configured (`pool.datagram`), or returns null when it is disabled.
 * `coins`/`aux` map config keys to what refreshes them (a TipWatcher; the aux work poller).
 */
export async function startConfiguredNotifyListener(
  cfg: Pick<Config, "pool" | "datagramPort">,
  coins: Readonly<Record<string, Refreshable>>,
  aux: Readonly<Record<string, Refreshable>>,
  log: Logger,
): Promise<NotifyListener | null> {
  const d = cfg.pool.datagram;
  if (!d.enabled) return null;
  const handler = new DatagramHandler({ targets: buildNotifyTargets(coins, aux), secret: d.secret, log });
  const listener = await startNotifyListener({ host: d.host, port: cfg.datagramPort, handler });
  log.info(`listening for push-block datagrams on udp ${listener.host}:${listener.port}${d.secret ? " (secret required)" : ""}`, { targets: [...Object.keys(coins), ...Object.keys(aux)] });
  return listener;
}
