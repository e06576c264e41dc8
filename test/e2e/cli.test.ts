/** The two entry points as an operator runs them: real processes, real signals, real exit codes. */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, startRedis } from "../helpers/redis.ts";

const root = join(import.meta.dir, "../..");
const dir = mkdtempSync(join(tmpdir(), "pp-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[]) {
  const p = Bun.spawnSync([process.execPath, ...args], { cwd: root, stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1" } });
  return { code: p.exitCode, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
}

/** A config that can really run here: private Redis, free ports, a coinserver that is not there. */
function runnableConfig(redisUrl: string): string {
  return `
coins:
  BTC:
    algo: sha256d
    network: bcoin-regtest
    pool_address: RAqS1bAuWqW2f6ufsU5H4XpKfy5Pqj2oHz
    coinservs: [{address: 127.0.0.1, port: ${freePort()}}]
stratum:
  main: {address: 127.0.0.1, port: ${freePort()}}
edges:
  eu1: {}
reporters:
  redis: {type: redis}
redis: {url: "${redisUrl}", prefix: "cli:"}
monitor: {port: ${freePort()}}
`;
}

async function readUntil(stream: ReadableStream<Uint8Array>, text: string): Promise<string> {
  const reader = stream.getReader();
  let out = "";
  while (!out.includes(text)) {
    const { value, done } = await reader.read();
    if (done) break;
    out += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  return out;
}

function writeConfig(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe("bun run core / edge", () => {
  test("core --dump-config prints the effective config of config.example.yml with secrets masked", () => {
    const r = run(["core/main.ts", "-c", "config.example.yml", "--dump-config"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("pool_address: LYExXWEPs5oWjScR1fYzwSuo8DcQWNcHpF");
    expect(r.stdout).toContain("password: \"********\"");
    expect(r.stdout).not.toContain("rpcpassword");
    // Defaults are applied: the interpolated tiers and the offset port are there.
    expect(r.stdout).toContain("listenPort: 3333");
    expect(r.stdout).toMatch(/tiers:\n(\s+- \d+\n){14}/);
  });

  test("a broken config exits 2 with one line per mistake", () => {
    const file = writeConfig(
      "broken.yml",
      "coins:\n  LTC:\n    algo: scrypt\n    network: litecoin\n    pool_address: nope\n    coinservs: []\nstratum:\n  s: {port: 0, vardif: {}}\n",
    );
    const r = run(["core/main.ts", "-c", file]);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split("\n");
    expect(lines[0]).toBe(`${file}: 3 configuration problems:`);
    expect(lines.slice(1).sort()).toEqual([
      "  coins.LTC.coinservs: expected a list with at least 1 item(s), found a list of 0",
      "  stratum.s.port: expected a number at least 1, found 0",
      '  stratum.s.vardif: expected no such key (did you mean "vardiff"?)',
    ]);
  });

  test("a missing file and bad arguments are clear errors with exit code 2", () => {
    expect(run(["core/main.ts", "-c", join(dir, "none.yml")])).toMatchObject({ code: 2, stderr: expect.stringContaining("no such file") });
    expect(run(["core/main.ts"])).toMatchObject({ code: 2, stderr: expect.stringContaining("missing -c <config.yml>") });
    expect(run(["core/main.ts", "-c", "config.example.yml", "--bogus"])).toMatchObject({ code: 2, stderr: expect.stringContaining("usage: bun run core") });
    expect(run(["edge/main.ts", "-c", "config.example.yml"])).toMatchObject({ code: 2, stderr: expect.stringContaining("missing --name <edge> (configured edges: eu1)") });
    expect(run(["edge/main.ts", "-c", "config.example.yml", "--name", "zz"])).toMatchObject({ code: 2, stderr: expect.stringContaining("edges.zz: no such edge (configured: eu1)") });
  });

  // The processes below really connect: they get a private Redis and free ports, never the
  // machine's own Redis that config.example.yml names.
  for (const kind of ["core", "edge"] as const) {
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
      test(`${kind} starts, serves, and exits 0 on ${signal}`, async () => {
        await using redis = await startRedis();
        const file = writeConfig(`${kind}-${signal}.yml`, runnableConfig(redis.url));
        const args = kind === "core" ? [join(root, "core/main.ts"), "-c", file] : [join(root, "edge/main.ts"), "-c", file, "--name", "eu1"];
        // cwd is the temporary directory, so the edge's spool lands there.
        const p = Bun.spawn([process.execPath, ...args], { cwd: dir, stdout: "pipe", stderr: "pipe" });
        const ready = kind === "core" ? "core is running" : "is serving miners";
        const log = await readUntil(p.stderr, ready);
        p.kill(signal);
        const code = await p.exited;
        expect(log).toContain(ready);
        expect(code).toBe(0);
      });
    }
  }
});
