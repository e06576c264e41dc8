/**
 * @module Hostile and raw clients from a chosen local address (node:net's `localAddress`, e.g.
 * 127.0.0.2, so the edge sees another IP than the honest clients on 127.0.0.1).
 */
import { connect } from "node:net";

/**
 * Subscribes, then sends `lines` junk lines once answered (with 0, just closes). Resolves when the
 * connection is closed, with whether it was answered at all (a banned address is refused unanswered).
 */
export function junkFrom(localAddress: string, port: number, lines = 12): Promise<{ replied: boolean }> {
  return new Promise((resolve) => {
    let replied = false;
    const s = connect({ host: "127.0.0.1", port, localAddress }, () => {
      s.write('{"id":1,"method":"mining.subscribe","params":[]}\n');
    });
    s.on("data", () => {
      if (!replied) for (let i = 0; i < lines; i++) s.write(`GET /junk${i} HTTP/1.1\n`);
      if (lines === 0) s.end();
      replied = true;
    });
    s.on("error", () => undefined);
    s.on("close", () => resolve({ replied }));
  });
}

/** Raw bytes to `port` from `localAddress`; resolves with what came back once the server closed it (closed) or `waitMs` passed. */
export function rawExchange(port: number, bytes: Uint8Array | string, opts: { localAddress?: string; waitMs?: number } = {}): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    let text = "";
    const s = connect({ host: "127.0.0.1", port, ...(opts.localAddress ? { localAddress: opts.localAddress } : {}) }, () => s.write(bytes));
    const done = (closed: boolean) => {
      clearTimeout(t);
      s.destroy();
      resolve({ text, closed });
    };
    const t = setTimeout(() => done(false), opts.waitMs ?? 1500);
    s.on("data", (d) => (text += d.toString()));
    s.on("error", () => undefined);
    s.on("close", () => done(true));
  });
}
