/**
 * @module One core's share of `bun run bench:hash`'s all-cores runs: builds an implementation
 * by id, waits for the go signal (so that every core starts together), runs it, reports.
 */
import { prepareImpl, runTimed, type Step } from "./hash-impls.ts";

declare const self: Worker;

export type BenchToWorker =
  | { readonly type: "prepare"; readonly id: string }
  | { readonly type: "run"; readonly warmupMs: number; readonly ms: number };
export type BenchFromWorker =
  | { readonly type: "prepared"; readonly error?: string }
  | { readonly type: "result"; readonly count: number; readonly seconds: number };

let step: Step | undefined;

self.onmessage = (event: MessageEvent<BenchToWorker>) => {
  const m = event.data;
  if (m.type === "prepare") {
    const prepared = prepareImpl(m.id);
    step = typeof prepared === "string" ? undefined : prepared;
    const reply: BenchFromWorker = typeof prepared === "string" ? { type: "prepared", error: prepared } : { type: "prepared" };
    self.postMessage(reply);
    return;
  }
  if (!step) throw new Error("run before prepare");
  const { count, seconds } = runTimed(step, m.warmupMs, m.ms);
  self.postMessage({ type: "result", count, seconds } satisfies BenchFromWorker);
};
