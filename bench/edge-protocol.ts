/** @module The IPC messages between bench/edge.ts and the server under test (bench/edge-server.ts, bench/edge-floor.ts). */
import type { JobV1 } from "../shared/contract/index.ts";

export const BENCH_EDGE_NAME = "bench";

/**
 * `notify`: the floor server (bench/edge-floor.ts) broadcasts a new job — with `job`, the very bytes
 * the edge would send for it (the same writes); the edge gets jobs from Redis instead.
 */
export type ToEdge = { readonly type: "memory" } | { readonly type: "notify"; readonly job?: JobV1 } | { readonly type: "stop" };

export type FromEdge =
  | { readonly type: "ready"; readonly ports: Readonly<Record<string, number>> }
  | { readonly type: "failed"; readonly message: string }
  | {
      readonly type: "fanout";
      readonly port: string;
      readonly jobId: string;
      /** Wall-clock ms (performance.timeOrigin + now), comparable across processes on this machine. */
      readonly startAt: number;
      readonly endAt: number;
      /** CPU time the fan-out took (process.cpuUsage), ms: the wall time stretched by other tenants is not the server's cost. */
      readonly cpuMs: number;
      readonly clients: number;
    }
  | { readonly type: "memory"; readonly rss: number; readonly heapUsed: number; readonly heapTotal: number; readonly external: number }
  | { readonly type: "stopped" };
