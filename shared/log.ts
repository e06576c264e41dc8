/**
 * @module Logging: one line per event, `text` for people and `json` for collectors, with a
 * per-component level. Written here rather than taken from a library because all it needs is a
 * level check and one write per line; debug lines on the share path cost only the level check.
 */
import type { LogLevel } from "./config/schema.ts";

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, notice: 25, warn: 30, error: 40 };

export interface Logger {
  readonly component: string;
  enabled(level: LogLevel): boolean;
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  notice(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(component: string): Logger;
}

export interface LogSettings {
  level: LogLevel;
  format: "text" | "json";
  components: Record<string, LogLevel>;
  /** Where lines go; stderr unless a test captures them. */
  write?: (line: string) => void;
}

const defaultWrite = (line: string) => process.stderr.write(`${line}\n`);

export function createLogger(component: string, settings: LogSettings): Logger {
  const min = RANK[settings.components[component] ?? settings.level];
  const write = settings.write ?? defaultWrite;
  const emit = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (RANK[level] < min) return;
    const time = new Date().toISOString();
    if (settings.format === "json") {
      write(JSON.stringify({ time, level, component, msg, ...fields }, jsonSafe));
    } else {
      const extra = fields ? ` ${Object.entries(fields).map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v, jsonSafe)}`).join(" ")}` : "";
      write(`${time} [${component}] [${level.toUpperCase()}] ${msg}${extra}`);
    }
  };
  return {
    component,
    enabled: (level) => RANK[level] >= min,
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    notice: (m, f) => emit("notice", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    child: (sub) => createLogger(`${component}.${sub}`, settings),
  };
}

function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return `0x${value.toString(16)}`;
  if (value instanceof Error) return { name: value.name, message: value.message };
  return value;
}
