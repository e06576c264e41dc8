/**
 * @module Lua scripts through ioredis `defineCommand`: EVALSHA, and on NOSCRIPT (a restarted or
 * flushed Redis) the script is sent again with EVAL — ioredis does that itself. On a connection
 * with a leader fence (core/leader/fence.ts) the script first checks the core's epoch.
 */
import type Redis from "ioredis";
import { defineLuaCommand } from "../../shared/redis.ts";
import { fencedLua, fenceOf } from "../leader/fence.ts";

export type ScriptRunner = (keys: readonly string[], args: readonly (string | number)[]) => Promise<unknown>;

export function defineScript(redis: Redis, name: string, lua: string): ScriptRunner {
  const fence = fenceOf(redis);
  // numberOfKeys is left out so every call passes its own key count (our scripts take variable KEYS).
  defineLuaCommand(redis, name, fence ? fencedLua(lua) : lua);
  const command = (redis as unknown as Record<string, unknown>)[name];
  if (typeof command !== "function") throw new TypeError(`defineScript: expected ioredis to define ${name}, got ${typeof command}`);
  const run = command as (...a: unknown[]) => Promise<unknown>;
  if (fence) {
    const epoch = String(fence.epoch);
    return (keys, args) => run.call(redis, keys.length + 1, ...keys, fence.key, ...args, epoch);
  }
  return (keys, args) => run.call(redis, keys.length, ...keys, ...args);
}
