/** @module A real Logger whose lines go to an array, for asserting what was logged and how often. */
import { createLogger, type Logger } from "../../shared/log.ts";

export function captureLog(component = "test"): { log: Logger; lines: string[]; count(re: RegExp): number } {
  const lines: string[] = [];
  const log = createLogger(component, { level: "debug", format: "text", components: {}, write: (l) => lines.push(l) });
  return { log, lines, count: (re) => lines.filter((l) => re.test(l)).length };
}
