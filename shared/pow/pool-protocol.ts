/**
 * @module Messages between the worker pool (pool.ts) and its workers (pool-worker.ts).
 * A batch carries its jobs column-wise so that every buffer can be transferred, not copied.
 */
import type { AlgorithmInfo } from "./algorithms.ts";
import type { LoadPowNativeOptions } from "./native.ts";
import type { SelfTestCheck } from "./self-test.ts";

/** What a job asks the worker to compute. */
export const JOB_SHA256D = 0;
export const JOB_X11 = 1;
/** scrypt with the job's N (scrypt and scrypt-N alike; the pool computes N from nTime). */
export const JOB_SCRYPT = 2;

export type WorkerLoadOptions = Pick<LoadPowNativeOptions, "libraryPath" | "fallback" | "forceTinyCC" | "featureMask">;

export interface InitMessage {
  readonly type: "init";
  readonly algorithms: readonly AlgorithmInfo[];
  readonly load: WorkerLoadOptions;
}

export interface BatchMessage {
  readonly type: "batch";
  readonly id: number;
  /** JOB_* per job */
  readonly kinds: Uint8Array;
  /** scrypt N per job (0 for the others) */
  readonly ns: Uint32Array;
  /** input length per job; inputs are back to back in `data` */
  readonly lengths: Uint32Array;
  readonly data: Uint8Array;
}

export type ToWorker = InitMessage | BatchMessage;

export interface ReadyMessage {
  readonly type: "ready";
  readonly implementation: string;
  readonly laneGroup: number;
  readonly checks: number;
}

export interface InitFailedMessage {
  readonly type: "init-failed";
  readonly message: string;
  readonly failures: readonly SelfTestCheck[];
}

export interface DoneMessage {
  readonly type: "done";
  readonly id: number;
  /** 32 bytes per job, in job order */
  readonly out: Uint8Array;
}

export interface BatchFailedMessage {
  readonly type: "batch-failed";
  readonly id: number;
  readonly message: string;
}

export type FromWorker = ReadyMessage | InitFailedMessage | DoneMessage | BatchFailedMessage;
