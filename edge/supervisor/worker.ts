/**
 * @module A worker process's side of the supervisor: it tells the supervisor when it serves, and
 * stops (draining as a lone edge does) on its first SIGINT/SIGTERM/SIGHUP or when the supervisor's
 * IPC channel closes (the supervisor died). Later signals are ignored on purpose: a terminal's
 * Ctrl-C or systemd reaches the worker and the supervisor forwards the same stop, and that second
 * copy must not cut the drain short. The supervisor kills a worker that overstays term_timeout.
 */
import type { Logger } from "../../shared/log.ts";
import type { WorkerMessage } from "./supervisor.ts";

export function reportReady(name: string): void {
  const message: WorkerMessage = { type: "ready", name };
  process.send?.(message);
}

/** Runs `stop` once on the first stop request, then exits 0 (1 if it failed or took past term_timeout). */
export function onWorkerShutdown(log: Logger, termTimeoutSeconds: number, stop: () => Promise<void>): void {
  let stopping = false;
  const begin = (why: string) => {
    if (stopping) {
      log.debug(`${why}: already stopping`);
      return;
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
  process.on("disconnect", () => begin("supervisor gone"));
}
