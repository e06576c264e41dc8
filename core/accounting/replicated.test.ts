/** Found-block records written again until a replica confirms them, against a real private Redis and a real replica. */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { captureLog } from "../../test/helpers/log-capture.ts";
import { freePort, startRedis, type PrivateRedis } from "../../test/helpers/redis.ts";
import { createBlockRecorder, type BlockRecord } from "./blocks.ts";
import { replicatedBlockRecorder } from "./replicated.ts";

let redis: PrivateRedis;
let dir: string;
beforeAll(async () => {
  redis = await startRedis();
  dir = mkdtempSync(join(tmpdir(), "pp-replicated-"));
});
afterAll(async () => {
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

const block = (hash: string): BlockRecord => ({ currency: "LTC", algo: "scrypt", hash, height: 100, address: "LYExXWEPs5oWjScR1fYzwSuo8DcQWNcHpF", worker: "rig1", totalSubsidy: 1, fees: 0, hexBits: "1d00ffff", merged: false, accepted: true });

test("without a replica the record is written again until one confirms it; the first write's result is returned", async () => {
  const { log, lines } = captureLog();
  const record = replicatedBlockRecorder(redis.client, createBlockRecorder(redis.client), { replicas: 1, timeoutMs: 100 }, log);
  const pending = record(block("ab".repeat(32)));
  for (let i = 0; i < 100 && !lines.some((l) => l.includes("not yet confirmed")); i++) await Bun.sleep(20);
  expect(lines.some((l) => l.includes("not yet confirmed by 1 replicas; writing it again"))).toBe(true);
  expect(await redis.client.exists(`unproc_block_${"ab".repeat(32)}`)).toBe(1);

  await redis.client.config("SET", "repl-diskless-sync-delay", "0");
  const port = freePort();
  const replica = Bun.spawn(["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--replicaof", "127.0.0.1", String(redis.port)], { stdout: "ignore", stderr: "ignore" });
  try {
    const out = await pending;
    expect(out.kind).toBe("recorded");
    expect(lines.some((l) => /record confirmed by 1 replicas after \d+ writes/.test(l))).toBe(true);
    // With the replica online, one write and one WAIT (a generous one: the machine may be busy).
    lines.length = 0;
    const online = replicatedBlockRecorder(redis.client, createBlockRecorder(redis.client), { replicas: 1, timeoutMs: 5000 }, log);
    expect((await online(block("cd".repeat(32)))).kind).toBe("recorded");
    expect(lines).toEqual([]);
  } finally {
    replica.kill("SIGKILL");
    await replica.exited;
  }
}, 30_000);

test("a stopping core gives up waiting, says so, and keeps the result", async () => {
  const { log, lines } = captureLog();
  const stop = new AbortController();
  const record = replicatedBlockRecorder(redis.client, createBlockRecorder(redis.client), { replicas: 1, timeoutMs: 50 }, log, stop.signal);
  const pending = record(block("ef".repeat(32)));
  await Bun.sleep(200);
  stop.abort();
  expect((await pending).kind).toBe("recorded");
  expect(lines.some((l) => l.includes("stopping with its record not confirmed"))).toBe(true);
});

test("no wait configured: the recorder is the plain one", () => {
  const plain = createBlockRecorder(redis.client);
  expect(replicatedBlockRecorder(redis.client, plain, undefined, captureLog().log)).toBe(plain);
});

test("a record that fails as a failover does (READONLY, connection closed) is written again, not given up on", async () => {
  const { log, lines } = captureLog();
  const real = createBlockRecorder(redis.client);
  const errors = ["READONLY You can't write against a read only replica.", "Connection is closed."];
  const flaky: typeof real = async (b, now) => (errors.length > 0 ? { kind: "failed", error: errors.shift()! } : real(b, now));
  await redis.client.config("SET", "repl-diskless-sync-delay", "0");
  // No replica here: WAIT 0 confirms at once, so only the two failures make it write again.
  const record = replicatedBlockRecorder(redis.client, flaky, { replicas: 0, timeoutMs: 50 }, log);
  expect((await record(block("12".repeat(32)))).kind).toBe("recorded");
  expect(lines.filter((l) => l.includes("record not confirmed (")).length).toBe(2);
  expect(await redis.client.exists(`unproc_block_${"12".repeat(32)}`)).toBe(1);
  // A failure that is not a failover's (a key of the wrong type) is reported at once.
  const broken: typeof real = async () => ({ kind: "failed", error: "current_block_LTC_scrypt: expected a hash" });
  expect(await replicatedBlockRecorder(redis.client, broken, { replicas: 0, timeoutMs: 50 }, log)(block("34".repeat(32)))).toEqual({ kind: "failed", error: "current_block_LTC_scrypt: expected a hash" });
});
