/**
 * @module A worker process's side of the supervisor: it tells the supervisor when it serves. Its
 * stop is shared/cli.ts `onShutdown` with `WORKER_SHUTDOWN`: on the first SIGINT/SIGTERM/SIGHUP or
 * when the supervisor's IPC channel closes (the supervisor died). Later signals are ignored on
 * purpose: a terminal's Ctrl-C or systemd reaches the worker and the supervisor forwards the same
 * stop, and that second copy must not cut the drain short. The supervisor kills a worker that
 * overstays term_timeout.
 */
import type { ShutdownOptions } from "../../shared/cli.ts";
import type { WorkerMessage } from "./supervisor.ts";

export const WORKER_SHUTDOWN: ShutdownOptions = { again: "ignore", onDisconnect: true };

export function reportReady(name: string): void {
  const message: WorkerMessage = { type: "ready", name };
  process.send?.(message);
}

