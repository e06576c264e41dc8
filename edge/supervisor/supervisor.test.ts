/** Worker naming, the restart back-off and stranded-spool detection: the multi-process edge's parts. */
import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RestartBackoff } from "./backoff.ts";
import { WORKER_ENV, workerCount, workerIndexFromEnv, workerName } from "./naming.ts";
import { strandedSpools } from "./spools.ts";

describe("worker naming", () => {
  test("a worker is <edge>/<index> towards Redis", () => {
    expect(workerName("eu1", 0)).toBe("eu1/0");
    expect(workerName("eu1", 11)).toBe("eu1/11");
  });

  test("workers: 0 means one per core, at least one", () => {
    expect(workerCount(1, 8)).toBe(1);
    expect(workerCount(3, 8)).toBe(3);
    expect(workerCount(0, 8)).toBe(8);
    expect(workerCount(0, 0)).toBe(1);
    expect(() => workerCount(-1, 8)).toThrow(RangeError);
  });

  test("the worker index comes from the environment and must fit the count", () => {
    expect(workerIndexFromEnv({}, 2)).toBeUndefined();
    expect(workerIndexFromEnv({ [WORKER_ENV]: "" }, 2)).toBeUndefined();
    expect(workerIndexFromEnv({ [WORKER_ENV]: "1" }, 2)).toBe(1);
    expect(() => workerIndexFromEnv({ [WORKER_ENV]: "2" }, 2)).toThrow("expected a worker index 0..1");
    expect(() => workerIndexFromEnv({ [WORKER_ENV]: "-1" }, 2)).toThrow(RangeError);
    expect(() => workerIndexFromEnv({ [WORKER_ENV]: "x" }, 2)).toThrow(RangeError);
  });
});

describe("restart back-off", () => {
  test("quick crashes double the delay up to the cap; a stable run resets it", () => {
    const b = new RestartBackoff({ baseMs: 100, maxMs: 500, stableMs: 10_000 });
    const delays = [1, 2, 3, 4, 5].map(() => b.exited(1000, true));
    expect(delays.map((d) => (d.action === "restart" ? d.delayMs : -1))).toEqual([100, 200, 400, 500, 500]);
    expect(b.exited(10_000, true)).toEqual({ action: "restart", delayMs: 100 });
    expect(b.exited(50, true)).toEqual({ action: "restart", delayMs: 200 });
  });

  test("gives up after maxStartFailures exits before ready in a row", () => {
    const b = new RestartBackoff({ baseMs: 10, maxStartFailures: 3 });
    expect(b.exited(5, false).action).toBe("restart");
    expect(b.exited(5, false).action).toBe("restart");
    const last = b.exited(5, false);
    expect(last.action).toBe("give-up");
    if (last.action === "give-up") expect(last.reason).toContain("3 times in a row");
  });

  test("a worker that served in between resets the start-failure count", () => {
    const b = new RestartBackoff({ baseMs: 10, maxStartFailures: 2 });
    expect(b.exited(5, false).action).toBe("restart");
    expect(b.exited(5000, true).action).toBe("restart");
    expect(b.exited(5, false).action).toBe("restart");
    expect(b.exited(5, false).action).toBe("give-up");
  });
});

describe("stranded spools", () => {
  test("names the spools the current layout does not replay", () => {
    const dir = mkdtempSync(join(tmpdir(), "pp-spools-"));
    try {
      expect(strandedSpools(join(dir, "none"), 2)).toEqual([]);
      writeFileSync(join(dir, "shares.spool"), "x");
      for (const i of ["0", "2"]) {
        mkdirSync(join(dir, i));
        writeFileSync(join(dir, i, "candidates.spool"), "x");
      }
      mkdirSync(join(dir, "1"));
      writeFileSync(join(dir, "1", "shares.spool"), "");
      // Lone edge: every worker's spool is stranded, its own is not.
      expect(strandedSpools(dir, 1)).toEqual([join(dir, "0", "candidates.spool"), join(dir, "2", "candidates.spool")]);
      // Two workers: the lone edge's spool and worker 2's; an empty file is nothing to replay.
      expect(strandedSpools(dir, 2)).toEqual([join(dir, "shares.spool"), join(dir, "2", "candidates.spool")]);
      expect(strandedSpools(dir, 3)).toEqual([join(dir, "shares.spool")]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
