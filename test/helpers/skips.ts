/**
 * @module The one way a test may skip: when a real component it starts is missing. A skip is loud:
 * warned when it happens, written to $POWERPOOL_TEST_SKIP_LOG so that `bun run test`
 * (scripts/test/run.ts) lists it at the end of the run, and under CI (CI=true) it is a failing
 * test instead, so CI never passes without the real component. test/helpers/skips.test.ts fails
 * on any other skip, todo or only in a test file.
 */
import { describe, test } from "bun:test";
import { appendFileSync, existsSync } from "node:fs";
import { DEFAULT_LIBRARY_PATH } from "../../shared/pow/paths.ts";
import { installCommand, systemComponent } from "../../scripts/test/components.ts";
import { isCI, SKIP_LOG_ENV, type SkipRecord } from "../../scripts/test/skip-log.ts";

/** Something a group of tests cannot run without. */
export interface Requirement {
  readonly name: string;
  readonly present: boolean;
  /** The command that provides it. */
  readonly install: string;
}

/** A component from scripts/test/components.ts (checked now). */
export function systemRequirement(componentName: string): Requirement {
  const c = systemComponent(componentName);
  return { name: c.name, present: c.present(), install: installCommand(c.packages) };
}

/** native/build/libpowhash.so, which `npm install` builds when a C compiler is present. */
export function nativeLibraryRequirement(): Requirement {
  return { name: DEFAULT_LIBRARY_PATH, present: existsSync(DEFAULT_LIBRARY_PATH), install: `${installCommand(["gcc"])} && bun run build:native` };
}

function recordSkip(record: SkipRecord): void {
  console.warn(`\nSKIPPED "${record.title}": ${record.missing} is missing; install: ${record.install}\n`);
  const log = process.env[SKIP_LOG_ENV];
  if (log) appendFileSync(log, `${JSON.stringify(record)}\n`);
}

/**
 * `describe(title, fn)` when every requirement is present; otherwise the group is skipped loudly,
 * or, under CI, replaced by one failing test naming what is missing.
 */
export function describeWith(requirements: Requirement | readonly Requirement[], title: string, fn: () => void): void {
  const missing = ([] as Requirement[]).concat(requirements).filter((r) => !r.present);
  if (missing.length === 0) {
    describe(title, fn);
    return;
  }
  const record: SkipRecord = { title, missing: missing.map((r) => r.name).join(", "), install: missing.map((r) => r.install).join("; ") };
  recordSkip(record);
  if (isCI()) {
    describe(title, () => {
      test(`needs ${record.missing}`, () => {
        throw new Error(`${record.missing} is missing, and CI must not skip: ${record.install}`);
      });
    });
  } else {
    describe.skip(title, fn); // counted in bun's own "skip" total too
  }
}
