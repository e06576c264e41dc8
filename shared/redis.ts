/**
 * @module Redis connections from the config: one server by URL, Sentinel, or Cluster — ioredis
 * handles all three, so pools scale out by changing the config, not the code.
 */
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
  if (cfg.sentinel) {
    const s = cfg.sentinel;
    return new Redis({ ...base, sentinels: s.sentinels, name: s.name, password: s.password, sentinelPassword: s.sentinel_password, db: s.db });
  }
  if (cfg.cluster) {
    return new Cluster(cfg.cluster.nodes, { redisOptions: { ...base, password: cfg.cluster.password }, enableAutoPipelining: true });
  }
  return new Redis(cfg.url ?? "redis://127.0.0.1:6379/0", base);
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
