import { afterAll, beforeAll, expect, test } from "bun:test";
import Redis from "ioredis";
import { startRedis, type PrivateRedis } from "../test/helpers/redis.ts";
import { defineLuaCommand } from "./redis.ts";

let redis: PrivateRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});

test("a Lua command defined while an auto-pipeline fills runs, instead of ioredis throwing from a callback (redis/ioredis#1931)", async () => {
  const c = new Redis(redis.url, { enableAutoPipelining: true });
  try {
    await c.ping();
    // A plain defineCommand here makes ioredis throw "Spread syntax requires ...iterable" from a
    // timer (an uncaught exception: it failed a CI run); bun's test runner would fail this test.
    // (Out of the auto-pipeline, the script may go out before the GET queued ahead of it: callers await what they depend on.)
    const pending = c.get("k");
    defineLuaCommand(c, "ppLate", "return ARGV[1]");
    const late = (c as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>).ppLate!.call(c, 0, "v");
    expect(await pending).toBeNull();
    expect(await late).toBe("v");
    expect(c.options.autoPipeliningIgnoredCommands).toContain("ppLate");
    await Bun.sleep(50);
  } finally {
    c.disconnect();
  }
});
