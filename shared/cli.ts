/**
 * @module Command-line handling shared by `bun run core` and `bun run edge`: arguments, config
 * loading with one line per mistake, `--dump-config`, and clean exit on SIGINT/SIGTERM.
 */
import { parseArgs } from "node:util";
import { addressChecker } from "./config/addresses.ts";
import type { EdgeView } from "./config/edge-view.ts";
import { loadConfigFile, loadEdgeConfigFile, type Config } from "./config/load.ts";
import { dumpConfig } from "./config/mask.ts";
import { ConfigError } from "./config/problems.ts";
import { createLogger, type Logger } from "./log.ts";

export interface ProcessArgs<C extends EdgeView = Config> {
  readonly config: C;
  readonly name: string | undefined;
  readonly log: Logger;
}

const USAGE = {
  core: "usage: bun run core -c <config.yml> [--dump-config] [-s <server-number>]",
  edge: "usage: bun run edge -c <config.yml> --name <edge> [--dump-config] [-s <server-number>]",
};

/**
 * Parses argv and loads the config; prints problems and exits 2 on any mistake. Never returns on
 * --dump-config. The core validates the full config; an edge its edge view (shared/config/edge-view.ts),
 * which may leave out every core-only setting.
 */
export async function startProcess(kind: "core", argv: string[]): Promise<ProcessArgs<Config>>;
export async function startProcess(kind: "edge", argv: string[]): Promise<ProcessArgs<EdgeView>>;
export async function startProcess(kind: "core" | "edge", argv: string[]): Promise<ProcessArgs<EdgeView>> {
  let values: { config?: string; name?: string; "dump-config"?: boolean; "server-number"?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        config: { type: "string", short: "c" },
        name: { type: "string", short: "n" },
        "dump-config": { type: "boolean", short: "d" },
        "server-number": { type: "string", short: "s" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    fail(`${(e as Error).message}\n${USAGE[kind]}`);
  }
  if (values.help) {
    process.stdout.write(`${USAGE[kind]}\n`);
    process.exit(0);
  }
  if (!values.config) fail(`missing -c <config.yml>\n${USAGE[kind]}`);
  const offset = values["server-number"] === undefined ? 0 : Number(values["server-number"]);
  if (!Number.isInteger(offset) || offset < 0) fail(`-s expects a whole number, got ${JSON.stringify(values["server-number"])}`);

  let config: EdgeView;
  try {
    const opts = { addresses: addressChecker, serverNumberOffset: offset };
    config = kind === "core" ? await loadConfigFile(values.config, opts) : await loadEdgeConfigFile(values.config, opts);
  } catch (e) {
    if (e instanceof ConfigError) fail(e.message);
    throw e;
  }
  if (kind === "edge") {
    const edges = Object.keys(config.edges);
    if (!values.name) fail(`missing --name <edge> (configured edges: ${edges.join(", ") || "none"})\n${USAGE.edge}`);
    if (!config.edges[values.name]) fail(`${config.file}: edges.${values.name}: no such edge (configured: ${edges.join(", ") || "none"})`);
  }
  if (values["dump-config"]) {
    process.stdout.write(dumpConfig(config));
    process.exit(0);
  }
  const log = createLogger(kind === "edge" ? `edge.${values.name}` : "core", config.logging);
  if (kind === "edge" && config.coreOnlyKeys?.length) {
    log.warn(`${config.file} holds core-only secrets this edge does not use (${config.coreOnlyKeys.join(", ")}): give edges a config from \`bun run edge-config\``);
  }
  return { config, name: values.name, log };
}

/** Prints `message` and exits 2: the commands' answer to a mistake in arguments or config. */
export function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

export interface ShutdownOptions {
  /**
   * A second signal: "exit" at once (a person pressing Ctrl-C twice), or "ignore" it (an edge
   * worker, which gets the terminal's or systemd's signal and its supervisor's copy of it).
   */
  readonly again?: "exit" | "ignore";
  /** Also stop when the parent's IPC channel closes (an edge worker whose supervisor died). */
  readonly onDisconnect?: boolean;
}

/**
 * Runs `stop` once on SIGINT/SIGTERM/SIGHUP, then exits 0 (1 if it failed); `term_timeout`
 * passing exits 1 at once (PowerPool spec §1.4), and so does a second signal unless told to ignore it.
 */
export function onShutdown(log: Logger, termTimeoutSeconds: number, stop: () => Promise<void>, opts: ShutdownOptions = {}): void {
  let stopping = false;
  const begin = (why: string) => {
    if (stopping) {
      if (opts.again === "ignore") return log.debug(`${why}: already stopping`);
      log.warn(`${why} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    log.notice(`${why}: shutting down`);
    const timer = setTimeout(() => {
      log.error(`shutdown took longer than term_timeout (${termTimeoutSeconds}s): exiting`);
      process.exit(1);
    }, termTimeoutSeconds * 1000);
    timer.unref();
    stop().then(
      () => process.exit(0),
      (e: unknown) => {
        log.error("shutdown failed", { error: e instanceof Error ? e.message : String(e) });
        process.exit(1);
      },
    );
  };
  for (const s of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(s, () => begin(s));
  if (opts.onDisconnect) process.on("disconnect", () => begin("supervisor gone"));
}
