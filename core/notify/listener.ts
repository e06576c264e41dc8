/**
 * @module The UDP socket for push-block datagrams (off by default; loopback by default). It only
 * hands bytes to the DatagramHandler; no reply is ever sent, as in PowerPool.
 */
import type { DatagramHandler, NotifyCounters } from "./handler.ts";

export interface NotifyListenerOptions {
  /** `pool.datagram.host`. */
  readonly host: string;
  /** `Config.datagramPort` (datagram.port + server_number); 0 picks a free port (tests). */
  readonly port: number;
  readonly handler: DatagramHandler;
}

export interface NotifyListener {
  readonly host: string;
  readonly port: number;
  counters(): NotifyCounters;
  close(): void;
  [Symbol.dispose](): void;
}

export async function startNotifyListener(opts: NotifyListenerOptions): Promise<NotifyListener> {
  const { handler } = opts;
  const socket = await Bun.udpSocket({
    hostname: opts.host,
    port: opts.port,
    socket: {
      data(_sock, data, port, address, flags) {
        // A datagram the kernel cut short was longer than the receive buffer: oversized, whatever is left.
        handler.handle(data, `${address}:${port}`, flags?.truncated === true);
      },
    },
  });
  const close = () => {
    if (!socket.closed) socket.close();
  };
  return {
    host: socket.hostname,
    port: socket.port,
    counters: () => handler.counters(),
    close,
    [Symbol.dispose]: close,
  };
}
