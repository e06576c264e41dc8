/** @module Polling waits for end-to-end tests, whose timeout errors carry the log lines that explain them. */

export type Probe<T> = () => T | undefined | false | Promise<T | undefined | false>;

/** The last `n` lines of a captured log at NOTICE, WARN or ERROR, one per line. */
export function notableLines(lines: readonly string[], n = 15): string {
  return lines.filter((l) => /\[(NOTICE|WARN|ERROR)\]/.test(l)).slice(-n).join("\n");
}

/**
 * An `until(what, probe, ms?)` that polls every `everyMs` until the probe returns something other
 * than undefined or false, and on timeout throws naming `what` followed by `context()`.
 */
export function untilWith(context: () => string, opts: { readonly ms?: number; readonly everyMs?: number } = {}) {
  return async function until<T>(what: string, probe: Probe<T>, ms = opts.ms ?? 20_000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
      if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}; last log lines:\n${context()}`);
      await Bun.sleep(opts.everyMs ?? 25);
    }
  };
}
