/**
 * @module A pool of hash workers for the slow algorithms (scrypt, scrypt-N), so that share
 * validation never stalls the event loop: one scrypt-N hash at today's N = 32768 takes ~13 ms
 * in portable C.
 *
 *  - One Bun Worker per core by default, each with its own load of the native library and its
 *    own start-up self-test; `ready` rejects if any worker fails it.
 *  - Shares submitted in the same tick (and any that queue while workers are busy) are sent as
 *    one batch, which the worker runs through the SIMD lane kernels: batching is what makes the
 *    lanes pay off.
 *  - Bounded queue: once `maxQueue` hashes are outstanding, hash() rejects at once with
 *    PowBusyError (code "POW_BUSY") instead of buffering without limit. waitForCapacity()
 *    resolves when the backlog is down to half, for callers that prefer to pause reading.
 *  - close() terminates the workers and rejects whatever is still outstanding.
 */
import type { AlgorithmInfo } from "./algorithms.ts";
import { scryptNFor } from "./hashers.ts";
import {
  JOB_SCRYPT,
  JOB_SHA256D,
  JOB_X11,
  type FromWorker,
  type ToWorker,
  type WorkerLoadOptions,
} from "./pool-protocol.ts";
import { resolveAlgorithm } from "./registry.ts";
import { SelfTestError } from "./self-test.ts";

export interface PowPoolOptions extends WorkerLoadOptions {
  /** Algorithms that may be submitted; each worker self-tests all of them. Names or descriptors. */
  readonly algorithms: readonly (string | AlgorithmInfo)[];
  /** Default: navigator.hardwareConcurrency. */
  readonly workers?: number;
  /** Outstanding hashes (queued + in a worker) before hash() rejects with PowBusyError. Default 4096. */
  readonly maxQueue?: number;
  /** Most jobs in one batch. Default 48 (four 12-hash AVX-512 groups). */
  readonly maxBatch?: number;
  /** Lookup table for names in `algorithms`. Default BUILTIN_ALGORITHMS. */
  readonly table?: Readonly<Record<string, AlgorithmInfo>>;
}

export interface PowPoolStats {
  readonly workers: number;
  readonly queued: number;
  readonly inFlight: number;
  readonly completed: number;
  readonly rejectedBusy: number;
  readonly batches: number;
}

export interface PowPool {
  /** Resolves when every worker passed its self-test; rejects (SelfTestError, Error) otherwise. */
  readonly ready: Promise<void>;
  readonly size: number;
  readonly maxQueue: number;
  /** Queued plus in-flight hashes. */
  readonly outstanding: number;
  /** PoW hash (32 bytes, internal order). Rejects PowBusyError when the queue is full. */
  hash(algorithm: string, header: Uint8Array, ntime?: number): Promise<Uint8Array>;
  /** Resolves once outstanding <= maxQueue / 2 (at once if it already is). */
  waitForCapacity(): Promise<void>;
  stats(): PowPoolStats;
  /** Terminates the workers; outstanding hashes reject with PowPoolClosedError. */
  close(): Promise<void>;
}

export class PowBusyError extends Error {
  readonly code = "POW_BUSY";
  override readonly name = "PowBusyError";
}

export class PowPoolClosedError extends Error {
  readonly code = "POW_POOL_CLOSED";
  override readonly name = "PowPoolClosedError";
}

export class PowWorkerError extends Error {
  readonly code = "POW_WORKER";
  override readonly name = "PowWorkerError";
}

interface Job {
  readonly kind: number;
  readonly n: number;
  readonly header: Uint8Array;
  readonly resolve: (hash: Uint8Array) => void;
  readonly reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  laneGroup: number;
  batch: { readonly id: number; readonly jobs: Job[] } | undefined;
}

const WORKER_URL = new URL("./pool-worker.ts", import.meta.url).href;
/** Budget of one batch in units of N (scrypt N = 1024 costs 1024). */
const UNITS_PER_JOB_MIN = 64;

function jobKind(info: AlgorithmInfo): number {
  switch (info.pow) {
    case "sha256d":
      return JOB_SHA256D;
    case "x11":
      return JOB_X11;
    case "scrypt":
    case "scryptn":
      return JOB_SCRYPT;
  }
}

export function createPowPool(options: PowPoolOptions): PowPool {
  const algorithms = options.algorithms.map((a) => (typeof a === "string" ? resolveAlgorithm(a, options.table) : a));
  const byName = new Map(algorithms.map((a) => [a.name, a]));
  const size = Math.max(1, Math.floor(options.workers ?? navigator.hardwareConcurrency ?? 1));
  const maxQueue = Math.max(1, options.maxQueue ?? 4096);
  const maxBatch = Math.max(1, options.maxBatch ?? 48);
  const load: WorkerLoadOptions = {
    libraryPath: options.libraryPath,
    fallback: options.fallback,
    forceTinyCC: options.forceTinyCC,
    featureMask: options.featureMask,
  };

  const queue: Job[] = [];
  let head = 0; // queue[head..] are waiting
  let inFlight = 0;
  let completed = 0;
  let rejectedBusy = 0;
  let batches = 0;
  let nextBatchId = 1;
  let closed = false;
  let dispatchScheduled = false;
  let failure: Error | undefined;
  let capacityWaiters: (() => void)[] = [];
  const slots: Slot[] = [];

  let readyResolve: () => void = () => {};
  let readyReject: (e: Error) => void = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    readyResolve = resolve;
    readyReject = reject;
  });
  ready.catch(() => {}); // observed through `ready` and through the rejected hashes

  const queued = () => queue.length - head;
  const outstanding = () => queued() + inFlight;

  function failAll(error: Error): void {
    for (let i = head; i < queue.length; i++) queue[i]!.reject(error);
    queue.length = 0;
    head = 0;
    for (const slot of slots) {
      if (slot.batch) for (const job of slot.batch.jobs) job.reject(error);
      slot.batch = undefined;
    }
    inFlight = 0;
    notifyCapacity();
  }

  function notifyCapacity(): void {
    if (capacityWaiters.length === 0 || outstanding() > maxQueue / 2) return;
    const waiters = capacityWaiters;
    capacityWaiters = [];
    for (const w of waiters) w();
  }

  function scheduleDispatch(): void {
    if (dispatchScheduled) return;
    dispatchScheduled = true;
    queueMicrotask(() => {
      dispatchScheduled = false;
      dispatch();
    });
  }

  function dispatch(): void {
    const idle = slots.filter((s) => s.ready && !s.batch);
    for (let k = 0; k < idle.length && queued() > 0; k++) {
      const slot = idle[k]!;
      const fair = Math.ceil(queued() / (idle.length - k));
      const limit = Math.min(maxBatch, fair);
      const budget = maxBatch * 1024;
      const jobs: Job[] = [];
      let units = 0;
      while (head < queue.length && jobs.length < limit) {
        const job = queue[head]!;
        const cost = Math.max(job.n, UNITS_PER_JOB_MIN);
        if (jobs.length >= slot.laneGroup && units + cost > budget) break;
        jobs.push(job);
        units += cost;
        head++;
      }
      if (head > 1024 && head * 2 > queue.length) {
        queue.splice(0, head);
        head = 0;
      }
      send(slot, jobs);
    }
  }

  function send(slot: Slot, jobs: Job[]): void {
    const count = jobs.length;
    const kinds = new Uint8Array(count);
    const ns = new Uint32Array(count);
    const lengths = new Uint32Array(count);
    let total = 0;
    for (const job of jobs) total += job.header.length;
    const data = new Uint8Array(total);
    let off = 0;
    jobs.forEach((job, i) => {
      kinds[i] = job.kind;
      ns[i] = job.n;
      lengths[i] = job.header.length;
      data.set(job.header, off);
      off += job.header.length;
    });
    const id = nextBatchId++;
    slot.batch = { id, jobs };
    inFlight += count;
    batches++;
    const message: ToWorker = { type: "batch", id, kinds, ns, lengths, data };
    slot.worker.postMessage(message, [kinds.buffer, ns.buffer, lengths.buffer, data.buffer]);
  }

  function settle(slot: Slot, id: number, result: Uint8Array | Error): void {
    const batch = slot.batch;
    if (!batch || batch.id !== id) return;
    slot.batch = undefined;
    inFlight -= batch.jobs.length;
    batch.jobs.forEach((job, i) => {
      if (result instanceof Error) job.reject(result);
      else job.resolve(result.subarray(32 * i, 32 * i + 32));
    });
    if (!(result instanceof Error)) completed += batch.jobs.length;
    notifyCapacity();
    if (queued() > 0) scheduleDispatch();
  }

  function onMessage(slot: Slot, message: FromWorker): void {
    switch (message.type) {
      case "ready":
        slot.ready = true;
        slot.laneGroup = message.laneGroup;
        if (slots.every((s) => s.ready)) readyResolve();
        scheduleDispatch();
        return;
      case "init-failed": {
        const error =
          message.failures.length > 0
            ? new SelfTestError({ ok: false, checks: message.failures, failures: message.failures })
            : new PowWorkerError(`pow worker failed to start: ${message.message}`);
        failure = error;
        readyReject(error);
        void close();
        return;
      }
      case "done":
        settle(slot, message.id, message.out);
        return;
      case "batch-failed":
        settle(slot, message.id, new PowWorkerError(`pow worker: ${message.message}`));
        return;
    }
  }

  function spawn(): Slot {
    const worker = new Worker(WORKER_URL);
    const slot: Slot = { worker, ready: false, laneGroup: 1, batch: undefined };
    worker.addEventListener("message", (event: MessageEvent<FromWorker>) => onMessage(slot, event.data));
    worker.addEventListener("error", (event: ErrorEvent) => {
      if (closed) return;
      // A crashed worker: fail its batch, replace it (the replacement self-tests again).
      const error = new PowWorkerError(`pow worker crashed: ${event.message}`);
      if (slot.batch) settle(slot, slot.batch.id, error);
      if (!slot.ready) {
        failure = error;
        readyReject(error);
        void close();
        return;
      }
      worker.terminate();
      const index = slots.indexOf(slot);
      if (index >= 0) slots[index] = spawn();
    });
    const init: ToWorker = { type: "init", algorithms, load };
    worker.postMessage(init);
    return slot;
  }

  for (let i = 0; i < size; i++) slots.push(spawn());

  async function close(): Promise<void> {
    if (closed) return;
    closed = true;
    failAll(failure ?? new PowPoolClosedError("pow pool closed"));
    for (const slot of slots) slot.worker.terminate();
    readyReject(failure ?? new PowPoolClosedError("pow pool closed before it was ready"));
  }

  return {
    ready,
    size,
    maxQueue,
    get outstanding() {
      return outstanding();
    },
    hash(name, header, ntime) {
      if (closed) return Promise.reject(failure ?? new PowPoolClosedError("pow pool closed"));
      const info = byName.get(name);
      if (!info) {
        return Promise.reject(new RangeError(`pow pool: expected one of ${[...byName.keys()].join(", ")}, got "${name}"`));
      }
      if (!(header instanceof Uint8Array)) return Promise.reject(new TypeError("pow pool: expected header a Uint8Array"));
      if (outstanding() >= maxQueue) {
        rejectedBusy++;
        return Promise.reject(new PowBusyError(`pow pool: ${outstanding()} hashes outstanding (maxQueue ${maxQueue})`));
      }
      let n: number;
      try {
        n = scryptNFor(info, header, ntime);
      } catch (error) {
        return Promise.reject(error);
      }
      return new Promise<Uint8Array>((resolve, reject) => {
        queue.push({ kind: jobKind(info), n, header: header.slice(), resolve, reject });
        scheduleDispatch();
      });
    },
    waitForCapacity() {
      if (closed || outstanding() <= maxQueue / 2) return Promise.resolve();
      return new Promise<void>((resolve) => capacityWaiters.push(resolve));
    },
    stats: () => ({ workers: slots.length, queued: queued(), inFlight, completed, rejectedBusy, batches }),
    close,
  };
}
