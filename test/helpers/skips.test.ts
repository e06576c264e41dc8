import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { isCI } from "../../scripts/test/skip-log.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const FIXTURE = "./test/fixtures/missing-component.fixture.ts";

/** `bun run test <fixture>` as a person or CI would run it; the outer CI variable is not inherited. */
function runTests(ci: boolean) {
  const env: Record<string, string | undefined> = { ...process.env, CI: ci ? "true" : undefined };
  const proc = Bun.spawnSync([process.execPath, "scripts/test/run.ts", FIXTURE], { cwd: ROOT, env, stdout: "pipe", stderr: "pipe" });
  return { code: proc.exitCode, out: `${proc.stdout.toString()}${proc.stderr.toString()}` };
}

describe("a missing component is a loud skip, and a failure under CI", () => {
  const summary = 'skipped "a group that needs the frobnicator": /nonexistent/frobnicator is missing; install: apt-get install -y frobnicator';

  test("a person's run passes, warns when it skips and lists the skip at the end", () => {
    const { code, out } = runTests(false);
    expect(code).toBe(0);
    expect(out).toContain('SKIPPED "a group that needs the frobnicator"');
    expect(out).toContain("1 test group was SKIPPED for a missing component:");
    expect(out.trimEnd().split("\n").slice(-2)).toEqual([`  ${summary}`, "These tests did not run: the result above is not a full pass."]);
    expect(out).toMatch(/1 pass\s+1 skip\s+0 fail/);
  }, 60_000);

  test("CI=true: the group becomes a failing test naming the component, and the run fails", () => {
    const { code, out } = runTests(true);
    expect(code).toBe(1);
    expect(out).toContain("(fail) a group that needs the frobnicator > needs /nonexistent/frobnicator");
    expect(out.trimEnd().split("\n").slice(-2)).toEqual([`  ${summary}`, "CI=true: a skipped test fails the run."]);
  }, 60_000);

  test("CI is on for any value but empty, 0 and false", () => {
    expect([undefined, "", "0", "false", "FALSE", "true", "1", "yes"].map((v) => isCI({ CI: v }))).toEqual([false, false, false, false, false, true, true, true]);
  });
});

test("test files skip only through test/helpers/skips.ts (no bare skip, todo or only)", async () => {
  // Built from parts so that this file does not match itself.
  const bare = new RegExp(`\\b(describe|test|it)\\s*\\.\\s*(${["skip", "skipIf", "todo", "todoIf", "if", "runIf", "only", "failing"].join("|")})\\b`);
  const offenders: string[] = [];
  for await (const path of new Bun.Glob("**/*.{test,case,fixture}.ts").scan({ cwd: ROOT })) {
    if (path.startsWith("node_modules/") || path.includes("/node_modules/")) continue;
    readFileSync(`${ROOT}${path}`, "utf8").split("\n").forEach((line, i) => {
      if (bare.test(line)) offenders.push(`${path}:${i + 1}: ${line.trim()}`);
    });
  }
  expect(offenders).toEqual([]);
});
