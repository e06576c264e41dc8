/**
 * `bun run redis-acl` with and without `--legacy`, its users loaded into a real Redis: a v2 user may
 * XADD only to its own streams; a legacy one also to the v1 shared streams and its self-leased
 * edge id (a rolling upgrade), with a note on stderr to drop the flag once every core is v2.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Redis from "ioredis";
import { aclFileLine, edgeAclUser } from "../shared/contract/acl.ts";
import { contractNames } from "../shared/contract/index.ts";
import { startRedis, type PrivateRedis } from "../test/helpers/redis.ts";

const SCRIPT = new URL("./redis-acl.ts", import.meta.url).pathname;
const PREFIX = "ra:";
const names = contractNames(PREFIX);
const dir = mkdtempSync(join(tmpdir(), "pp-redis-acl-"));
let redis: PrivateRedis;

beforeAll(async () => {
  redis = await startRedis();
  writeFileSync(
    join(dir, "pool.yml"),
    `
pool: {procname: acl}
coins:
  BTC:
    algo: sha256d
    network: bcoin-regtest
    pool_address: RAqS1bAuWqW2f6ufsU5H4XpKfy5Pqj2oHz
    coinservs: [{address: 127.0.0.1, port: 1, username: pool, password: x, name: bcoin}]
stratum:
  main: {address: 127.0.0.1, port: 3333, start_difficulty: 1}
edges:
  eu1: {redis: {username: eu1user, password: eu1-password-0123456789}}
reporters:
  redis: {type: redis, chain: 1}
redis: {url: "redis://core:corepass@127.0.0.1:6399/0", prefix: "${PREFIX}"}
`,
  );
});
afterAll(async () => {
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

function run(...args: string[]) {
  const proc = Bun.spawnSync([process.execPath, SCRIPT, "-c", join(dir, "pool.yml"), ...args], { cwd: dir });
  return { code: proc.exitCode, out: proc.stdout.toString(), err: proc.stderr.toString() };
}

/** Loads `ACL SETUSER` lines (--format commands) into the private Redis. */
async function load(commands: string): Promise<void> {
  for (const line of commands.trim().split("\n")) {
    const words = (line.match(/"[^"]*"|\S+/g) ?? []).map((w) => w.replace(/^"(.*)"$/, "$1"));
    expect(words.slice(0, 2)).toEqual(["ACL", "SETUSER"]);
    await redis.client.call("ACL", ...words.slice(1));
  }
}

/** What the edge's user may do: "ok" or the error's first word (NOPERM). */
async function asEdge(what: (c: Redis) => Promise<unknown>): Promise<string> {
  const c = new Redis(redis.url, { username: "eu1user", password: "eu1-password-0123456789", maxRetriesPerRequest: null, lazyConnect: true, enableReadyCheck: false });
  try {
    await c.connect();
    await what(c);
    return "ok";
  } catch (e) {
    return (e instanceof Error ? e.message : String(e)).split(" ")[0] ?? "";
  } finally {
    c.disconnect();
  }
}

const xaddV1 = (c: Redis) => c.xadd(names.shareStream, "*", "m", "x");
const xaddOwn = (c: Redis) => c.xadd(names.edgeStream("shares", "eu1"), "*", "m", "x");
const leaseOwnId = (c: Redis) => c.set(names.edgeIdByName("eu1"), "7");

test("without --legacy: the edge writes its own streams only, and stderr says when --legacy is needed", async () => {
  const plain = run();
  expect(plain.code).toBe(0);
  const edgeLine = plain.out.split("\n").find((l) => l.startsWith("user eu1user "));
  expect(edgeLine).toBe(aclFileLine(edgeAclUser({ user: "eu1user", password: "eu1-password-0123456789", edge: "eu1", jobmanagers: ["BTC"], prefix: PREFIX })));
  expect(plain.err).toContain("contract v2");
  expect(plain.err).toContain("--legacy until every core is v2");

  const commands = run("--format", "commands");
  expect(commands.code).toBe(0);
  await load(commands.out);
  expect(await asEdge(xaddOwn)).toBe("ok");
  expect(await asEdge(xaddV1)).toBe("NOPERM");
  expect(await asEdge(leaseOwnId)).toBe("NOPERM");
}, 60_000);

test("--legacy: the edge users of edgeAclUser's legacy option (v1 shared streams, its self-leased id), and a note to drop the flag once every core is v2", async () => {
  const legacy = run("--legacy");
  expect(legacy.code).toBe(0);
  const edgeLine = legacy.out.split("\n").find((l) => l.startsWith("user eu1user "));
  expect(edgeLine).toBe(aclFileLine(edgeAclUser({ user: "eu1user", password: "eu1-password-0123456789", edge: "eu1", jobmanagers: ["BTC"], prefix: PREFIX, legacy: true })));
  // The core's user is the same either way; notes stay off stdout (it is loaded as it is).
  expect(legacy.out.split("\n").find((l) => l.startsWith("user core "))).toBe(run().out.split("\n").find((l) => l.startsWith("user core ")));
  expect(legacy.out.trim().split("\n").every((l) => l.startsWith("user "))).toBe(true);
  expect(legacy.err).toMatch(/--legacy: .*drop --legacy, run redis-acl again and ACL LOAD once every core is v2/);

  await load(run("--format", "commands", "--legacy").out);
  expect(await asEdge(xaddOwn)).toBe("ok");
  expect(await asEdge(xaddV1)).toBe("ok");
  expect(await asEdge(leaseOwnId)).toBe("ok");
  // Still never another edge's stream.
  expect(await asEdge((c) => c.xadd(names.edgeStream("shares", "us1"), "*", "m", "x"))).toBe("NOPERM");
}, 60_000);

test("--legacy is refused with --for sentinel", () => {
  const out = run("--legacy", "--for", "sentinel");
  expect(out.code).not.toBe(0);
  expect(out.err).toContain("--legacy is for the servers' users");
});
