/**
 * @module `bun run edge` with `workers` > 1: this process serves no miner; it runs N copies of
 * itself as workers (the same entry and arguments, the index in WORKER_ENV), each a full edge on
 * the shared ports (SO_REUSEPORT: the kernel spreads new connections over them).
 *
 *   worker exits on its own  → logged, restarted after RestartBackoff's delay (or give up: exit 1)
 *   SIGHUP                   → forwarded to every worker, which reloads its TLS certificates
 *   SIGTERM/SIGINT           → forwarded to every worker, which drains as a lone edge does; exit
 *                              when all have (0 if all exited 0); after term_timeout, SIGKILL them
 *   a second signal          → SIGKILL every worker and exit 1 at once
 *
 * Workers report "ready" over Bun's IPC channel once they serve; the channel closing tells a
 * worker its supervisor is gone (even SIGKILLed), and it stops too, so none is left orphaned.
 */
import type { Subprocess } from "bun";
import type { Logger } from "../../shared/log.ts";
import { RestartBackoff, type BackoffOptions } from "./backoff.ts";
import { WORKER_ENV, workerName } from "./naming.ts";

export interface SupervisorOptions {
  readonly edge: string;
  readonly workers: number;
  /** The worker command line: [bun, entry, ...args]. */
  readonly command: readonly string[];
  readonly log: Logger;
  /** Seconds a worker may take to drain (`pool.term_timeout`) before it is killed. */
  readonly termTimeoutSeconds: number;
  readonly backoff?: BackoffOptions;
}

/** What a worker sends its supervisor. */
export interface WorkerMessage {
  readonly type: "ready";
  readonly name: string;
}

interface Slot {
  readonly index: number;
  readonly name: string;
  readonly backoff: RestartBackoff;
  proc: Subprocess | undefined;
  startedAt: number;
  ready: boolean;
  restartTimer: ReturnType<typeof setTimeout> | undefined;
}

export class EdgeSupervisor {
  private readonly slots: Slot[] = [];
  private stopping = false;
  private failed = false;
  private resolveDone!: (code: number) => void;
  /** Resolves with the exit code once every worker is gone after a stop or a give-up. */
  readonly done = new Promise<number>((r) => (this.resolveDone = r));

  constructor(private readonly opts: SupervisorOptions) {
    for (let i = 0; i < opts.workers; i++) {
      this.slots.push({ index: i, name: workerName(opts.edge, i), backoff: new RestartBackoff(opts.backoff), proc: undefined, startedAt: 0, ready: false, restartTimer: undefined });
    }
  }

  /** Worker pids, by index (undefined while one is down). */
  get pids(): (number | undefined)[] {
    return this.slots.map((s) => s.proc?.pid);
  }

  start(): void {
    this.opts.log.notice(`edge ${this.opts.edge}: supervising ${this.opts.workers} worker processes on shared ports`);
    for (const slot of this.slots) this.spawn(slot);
  }

  /** Forwards `signal` to every worker and waits for them (killing them after term_timeout). */
  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<number> {
    if (this.stopping) return this.done;
    this.stopping = true;
    for (const slot of this.slots) {
      clearTimeout(slot.restartTimer);
      slot.proc?.kill(signal);
    }
    const killer = setTimeout(() => {
      this.opts.log.error(`workers still running ${this.opts.termTimeoutSeconds}s after ${signal}: killing them`);
      this.killAll();
      // A little past the workers' own term_timeout, so one that is about to give up can say so.
    }, this.opts.termTimeoutSeconds * 1000 + 2000);
    killer.unref();
    const codes = await Promise.all(this.slots.map((s) => s.proc?.exited ?? 0));
    clearTimeout(killer);
    const code = this.failed || codes.some((c) => c !== 0) ? 1 : 0;
    this.resolveDone(code);
    return code;
  }

  /** Sends `signal` to every running worker without stopping them (SIGHUP: reload certificates). */
  forward(signal: NodeJS.Signals): void {
    for (const slot of this.slots) slot.proc?.kill(signal);
  }

  /** SIGKILL every worker now (a second signal, or a drain that took too long). */
  killAll(): void {
    for (const slot of this.slots) {
      clearTimeout(slot.restartTimer);
      slot.proc?.kill("SIGKILL");
    }
  }

  private spawn(slot: Slot): void {
    slot.restartTimer = undefined;
    slot.ready = false;
    slot.startedAt = Date.now();
    const proc = Bun.spawn([...this.opts.command], {
      env: { ...process.env, [WORKER_ENV]: String(slot.index) },
      stdin: "ignore",
      stdout: "inherit",
      stderr: "inherit",
      serialization: "json",
      ipc: (message: unknown) => {
        if (isWorkerMessage(message) && message.type === "ready" && slot.proc === proc) {
          slot.ready = true;
          this.opts.log.info(`worker ${slot.name} (pid ${proc.pid}) is serving`);
        }
      },
    });
    slot.proc = proc;
    this.opts.log.info(`worker ${slot.name} started (pid ${proc.pid})`);
    void proc.exited.then((code) => this.exited(slot, proc, code));
  }

  private exited(slot: Slot, proc: Subprocess, code: number): void {
    if (slot.proc !== proc || this.stopping) return;
    const how = proc.signalCode ? `killed by ${proc.signalCode}` : `exited with code ${code}`;
    const ranMs = Date.now() - slot.startedAt;
    const decision = slot.backoff.exited(ranMs, slot.ready);
    if (decision.action === "give-up") {
      slot.proc = undefined;
      this.opts.log.error(`worker ${slot.name} ${how} before serving; giving up: ${decision.reason} (see its log lines above). Stopping every worker.`);
      this.failed = true;
      void this.stop("SIGTERM");
      return;
    }
    slot.proc = undefined;
    this.opts.log.error(`worker ${slot.name} (pid ${proc.pid}) ${how} after ${(ranMs / 1000).toFixed(1)}s; restarting it in ${decision.delayMs} ms`);
    slot.restartTimer = setTimeout(() => this.spawn(slot), decision.delayMs);
  }
}

function isWorkerMessage(m: unknown): m is WorkerMessage {
  return typeof m === "object" && m !== null && (m as { type?: unknown }).type === "ready" && typeof (m as { name?: unknown }).name === "string";
}

/**
 * The supervisor's signal handling: the first SIGINT/SIGTERM stops the workers gracefully and
 * exits with their result; a second one kills them and exits 1. SIGHUP goes to the workers (TLS
 * certificate reload).
 */
export function superviseSignals(sup: EdgeSupervisor, log: Logger): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn(`${signal} again: killing the workers and exiting now`);
      sup.killAll();
      process.exit(1);
    }
    stopping = true;
    log.notice(`${signal}: stopping the workers`);
    void sup.stop(signal);
  };
  for (const s of ["SIGINT", "SIGTERM"] as const) process.on(s, handler);
  process.on("SIGHUP", () => {
    log.notice("SIGHUP: the workers reload their TLS certificates");
    sup.forward("SIGHUP");
  });
}
