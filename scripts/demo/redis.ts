/**
 * @module Which Redis the demo uses. The machine's own at 127.0.0.1:6379 if it answers — but in
 * database 15, because the SimpleCoin keys (current_block_*, min_*, chain_*) carry no prefix and
 * would mix with a real pool's data in database 0 — and only when db 15 is empty or holds an
 * earlier demo's keys (marked); it is emptied at exit. Otherwise (or with --private-redis) a
 * private redis-server in a temporary directory; otherwise a message on how to get one.
 */
import Redis from "ioredis";
import { pingRedis, startRedis } from "./redis-server.ts";

const SHARED_DB = 15;
/** Marks db 15 as the demo's, so a later run may empty it again (and never someone else's data). */
const MARKER = "powerpool-demo:owner";

export interface DemoRedis {
  readonly url: string;
  /** One line for the banner: which Redis, and why. */
  readonly note: string;
  stop(): Promise<void>;
}

export const INSTALL_REDIS = [
  "The demo needs Redis: none answers at 127.0.0.1:6379 and `redis-server` is not installed.",
  "Install it, then run the demo again:",
  "  Debian/Ubuntu:  sudo apt-get install redis-server",
  "  macOS:          brew install redis",
  "(The demo starts a private redis-server by itself when the binary is on PATH.)",
].join("\n");

export async function demoRedis(opts: { forcePrivate: boolean }): Promise<DemoRedis | { error: string }> {
  let why = "--private-redis";
  if (!opts.forcePrivate && (await pingRedis(6379))) {
    const shared = await useSharedDb();
    if (shared) return shared;
    why = `db ${SHARED_DB} of the Redis at 127.0.0.1:6379 holds data that is not the demo's`;
  } else if (!opts.forcePrivate) {
    why = "no Redis answers at 127.0.0.1:6379";
  }
  if (!Bun.which("redis-server")) return { error: INSTALL_REDIS };
  const r = await startRedis();
  r.client.disconnect();
  return { url: r.url, note: `private redis-server on 127.0.0.1:${r.port}, no persistence (${why})`, stop: () => r.stop() };
}

async function useSharedDb(): Promise<DemoRedis | undefined> {
  const url = `redis://127.0.0.1:6379/${SHARED_DB}`;
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  client.on("error", () => {});
  try {
    await client.connect();
    const size = await client.dbsize();
    if (size > 0 && (await client.exists(MARKER)) === 0) {
      client.disconnect();
      return undefined;
    }
    // An earlier demo's leftovers (it was killed): its streams would feed this run stale work.
    if (size > 0) await client.flushdb();
    await client.set(MARKER, String(process.pid));
  } catch {
    client.disconnect();
    return undefined;
  }
  return {
    url,
    note: `the local Redis at 127.0.0.1:6379, database ${SHARED_DB} (the pool's accounting keys are unprefixed; db ${SHARED_DB} keeps them apart from db 0, and is emptied at exit)`,
    async stop() {
      await client.flushdb().catch(() => {});
      client.disconnect();
    },
  };
}
