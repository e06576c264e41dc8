/** The two entry points as an operator runs them: real processes, real signals, real exit codes. */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = join(import.meta.dir, "../..");
const dir = mkdtempSync(join(tmpdir(), "pp-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[]) {
  const p = Bun.spawnSync([process.execPath, ...args], { cwd: root, stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1" } });
  return { code: p.exitCode, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
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

  for (const [kind, args] of [
    ["core", ["core/main.ts", "-c", "config.example.yml"]],
    ["edge", ["edge/main.ts", "-c", "config.example.yml", "--name", "eu1"]],
  ] as const) {
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
      test(`${kind} starts, logs what it runs, and exits 0 on ${signal}`, async () => {
        const p = Bun.spawn([process.execPath, ...args], { cwd: root, stdout: "pipe", stderr: "pipe" });
        const reader = p.stderr.getReader();
        let log = "";
        while (!log.includes("would run")) {
          const { value, done } = await reader.read();
          if (done) break;
          log += new TextDecoder().decode(value);
        }
        p.kill(signal);
        const code = await p.exited;
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          log += new TextDecoder().decode(value);
        }
        expect(code).toBe(0);
        expect(log).toContain(kind === "core" ? "jobmanager LTC: LTC scrypt" : "stratum scrypt_STRAT: 0.0.0.0:3333 mining LTC (scrypt)");
        expect(log).toContain(`${signal}: shutting down`);
      });
    }
  }
});
