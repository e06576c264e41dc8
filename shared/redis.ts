/**
 * @module Redis connections from the config: one server by URL, Sentinel, or Cluster — ioredis
 * handles all three, so pools scale out by changing the config, not the code.
 */
import { readFileSync } from "node:fs";
import type { ConnectionOptions } from "node:tls";
import Redis, { Cluster, Command, type RedisOptions } from "ioredis";
import type { RedisConfig } from "./config/schema.ts";

export type RedisClient = Redis | Cluster;

export interface ConnectOptions {
  /** Client name shown by CLIENT LIST, e.g. `edge:eu1`. */
  name: string;
  /** Extra ioredis options (tests lower retry delays). */
  overrides?: RedisOptions;
}

export function connectRedis(cfg: RedisConfig, opts: ConnectOptions): RedisClient {
  const base: RedisOptions = {
    connectionName: opts.name,
    // Commands wait for a reconnect instead of failing after 20 tries: the callers own their retry policy.
    maxRetriesPerRequest: null,
    enableAutoPipelining: true,
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 6), 5000),
    ...opts.overrides,
  };
  const tls = redisTlsOptions(cfg.tls);
  if (cfg.sentinel) {
    const s = cfg.sentinel;
    // With `tls`, both the sentinels and the servers they name are spoken to over TLS.
    const secure: RedisOptions = tls ? { tls, sentinelTLS: tls, enableTLSForSentinelMode: true } : {};
    // A node that answers READONLY was demoted (a failover, or an old primary back as a replica):
    // reconnect, which asks the sentinels for the primary again, and resend the command there.
    // (Only with Sentinel: a url naming a replica would reconnect to the same replica for ever.)
    const followPrimary: RedisOptions = { reconnectOnError: (e) => (e.message.startsWith("READONLY") ? 2 : false) };
    return new Redis({ ...base, ...followPrimary, ...secure, sentinels: s.sentinels, name: s.name, username: s.username, password: s.password, sentinelUsername: s.sentinel_username, sentinelPassword: s.sentinel_password, db: s.db });
  }
  if (cfg.cluster) {
    return new Cluster(cfg.cluster.nodes, { redisOptions: { ...base, ...(tls ? { tls } : {}), password: cfg.cluster.password }, enableAutoPipelining: true });
  }
  // A rediss:// url turns TLS on by itself; `tls` adds the CA and client certificate.
  return new Redis(cfg.url ?? "redis://127.0.0.1:6379/0", tls ? { ...base, tls } : base);
}

/**
 * Node TLS options from `redis.tls` (issue 20): PEM files read at connect time, so a renewed
 * certificate is picked up by the next process start. Verification is never turned off.
 */
export function redisTlsOptions(t: RedisConfig["tls"]): ConnectionOptions | undefined {
  if (!t) return undefined;
  const read = (what: string, file: string | undefined) => {
    if (file === undefined) return undefined;
    try {
      return readFileSync(file);
    } catch (e) {
      throw new Error(`redis.tls.${what}: expected a readable PEM file, got ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  };
  const out: ConnectionOptions = { rejectUnauthorized: true };
  const ca = read("ca_file", t.ca_file);
  const cert = read("cert_file", t.cert_file);
  const key = read("key_file", t.key_file);
  if (ca) out.ca = ca;
  if (cert) out.cert = cert;
  if (key) out.key = key;
  if (t.server_name) out.servername = t.server_name;
  return out;
}

/** WAIT after a write: how many replicas must confirm it, and how long to wait for them. */
export interface ReplicaWait {
  readonly replicas: number;
  readonly timeoutMs: number;
}

/** `redis.wait_replicas` (default: 1 with Sentinel, else 0) as a WAIT, or undefined for none. */
export function replicaWait(cfg: Pick<RedisConfig, "wait_replicas" | "wait_timeout" | "sentinel">): ReplicaWait | undefined {
  const replicas = cfg.wait_replicas ?? (cfg.sentinel ? 1 : 0);
  return replicas > 0 ? { replicas, timeoutMs: Math.round((cfg.wait_timeout ?? 1) * 1000) } : undefined;
}

/**
 * A raw command whose reply keeps its binary strings as Buffers — `client.callBuffer(…)`, but safe
 * on the auto-pipelined connections connectRedis makes. ioredis 5.8's auto-pipelining puts the
 * command name back in front of the arguments for `call` only, so `callBuffer("XREADGROUP", …)`
 * reaches the server as `<first argument> …` ("ERR unknown command"). Sending the Command directly
 * skips the auto-pipeline and always carries the name.
 */
export function callBuffer(client: RedisClient, command: string, ...args: (string | number | Buffer)[]): Promise<unknown> {
  const cmd = new Command(command, args, { replyEncoding: null });
  client.sendCommand(cmd);
  return cmd.promise;
}

/**
 * `defineCommand`, kept out of auto-pipelining: an auto-pipeline copies the connection's commands
 * when it is built, so a command defined while one is filling is missing from it, and ioredis then
 * throws from a callback (results[i] not iterable: redis/ioredis#1931), an uncaught exception.
 * Our Lua scripts gain nothing from being batched with other commands anyway.
 */
export function defineLuaCommand(redis: Redis, name: string, lua: string): void {
  const ignored = (redis.options.autoPipeliningIgnoredCommands ??= []);
  if (!ignored.includes(name)) ignored.push(name);
  redis.defineCommand(name, { lua });
}
