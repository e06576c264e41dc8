/** @module The edge's multi-process mode: supervisor, worker side, names and restart back-off. */
export { RestartBackoff, type BackoffOptions, type RestartDecision } from "./backoff.ts";
export { WORKER_ENV, workerCount, workerIndexFromEnv, workerName } from "./naming.ts";
export { EdgeSupervisor, superviseSignals, type SupervisorOptions, type WorkerMessage } from "./supervisor.ts";
export { reportReady, WORKER_SHUTDOWN } from "./worker.ts";
export { strandedSpools } from "./spools.ts";
