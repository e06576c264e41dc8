/**
 * @module Lua scripts through ioredis `defineCommand`: EVALSHA, and on NOSCRIPT (a restarted or
 * flushed Redis) the script is sent again with EVAL — ioredis does that itself.
 */
import type Redis from "ioredis";

export type ScriptRunner = (keys: readonly string[], args: readonly (string | number)[]) => Promise<unknown>;

export function defineScript(redis: Redis, name: string, lua: string): ScriptRunner {
  // numberOfKeys is left out so every call passes its own key count (our scripts take variable KEYS).
  redis.defineCommand(name, { lua });
  const command = (redis as unknown as Record<string, unknown>)[name];
  if (typeof command !== "function") throw new TypeError(`defineScript: expected ioredis to define ${name}, got ${typeof command}`);
  return (keys, args) => (command as (...a: unknown[]) => Promise<unknown>).call(redis, keys.length, ...keys, ...args);
}
