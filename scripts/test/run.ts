/**
 * @module `bun run test [bun test arguments]`: the README's test step. Checks and installs the
 * system components first (scripts/test/setup.ts), runs `bun test` with the arguments given, then
 * lists every group skipped for a missing component (test/helpers/skips.ts). Under CI (CI=true)
 * any skip fails the run.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isCI, SKIP_LOG_ENV, type SkipRecord } from "./skip-log.ts";
import { setupTests } from "./setup.ts";

/** The end-of-run lines for these skips (empty when none). */
export function skipSummary(skips: readonly SkipRecord[], ci: boolean): string[] {
  if (skips.length === 0) return [];
  const lines = ["", `${skips.length} test group${skips.length === 1 ? " was" : "s were"} SKIPPED for a missing component:`];
  for (const s of skips) lines.push(`  skipped "${s.title}": ${s.missing} is missing; install: ${s.install}`);
  lines.push(ci ? "CI=true: a skipped test fails the run." : "These tests did not run: the result above is not a full pass.");
  return lines;
}

function readSkips(path: string): SkipRecord[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8").split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as SkipRecord);
}

if (import.meta.main) {
  if (!(await setupTests())) process.exit(1);
  const dir = mkdtempSync(join(tmpdir(), "pp-test-skips-"));
  const log = join(dir, "skips.jsonl");
  const child = Bun.spawn([process.execPath, "test", ...process.argv.slice(2)], {
    stdio: ["inherit", "inherit", "inherit"],
    env: { ...process.env, [SKIP_LOG_ENV]: log },
  });
  // Ctrl-C reaches bun test through the terminal too; this covers a signal sent to us alone.
  for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => child.kill(sig));
  const code = await child.exited;
  const skips = readSkips(log);
  rmSync(dir, { recursive: true, force: true });
  const ci = isCI();
  for (const line of skipSummary(skips, ci)) console.error(line);
  process.exit(code !== 0 ? code : skips.length > 0 && ci ? 1 : 0);
}
