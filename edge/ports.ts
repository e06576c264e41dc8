/**
 * @module The edge's internal seams: what the stratum layer (listener, sessions, vardiff) needs from
 * the data path (jobs from the core, share checks, forwarding to the core), as interfaces. The
 * stratum layer depends only on these; `edge/main.ts` wires the implementations.
 *
 *   listener → stratum → ShareChecker (shares/) → Forwarder (forward/)
 *                 ↑
 *             JobFeed (jobs/)  ← Redis job stream
 */
import type { EdgeClientV1, EdgePortStatusV1, JobV1 } from "../shared/contract/index.ts";

/** A job as the edge holds it: the contract message plus everything precomputed once per job. */
export interface EdgeJob {
  readonly job: JobV1;
  /**
   * Edge-local id miners see (short lower-case hex); a re-push of this job to one client may add a
   * suffix starting with any non-hex character (e.g. `1a2b3c.2`): `JobFeed.find` ignores it. The
   * hex is of a 32-bit counter that grows with every job the edge receives: per-client records of
   * issued ids rely on that order (edge/stratum/issued-jobs.ts).
   */
  readonly id: string;
  /** ms since the epoch when the edge received it. */
  readonly receivedAt: number;
  /**
   * The full `mining.notify` line for this job with `id` and the given clean flag, newline
   * included, built once per job: a broadcast writes the same bytes to every client.
   */
  notifyLine(clean: boolean): Uint8Array;
  /** The same line under another job id (a per-client re-push after a difficulty change). */
  notifyLineWithId(jobId: string, clean: boolean): Uint8Array;
}

export interface JobFeed {
  /** The newest job of a jobmanager, if one has arrived. */
  latest(jobmanager: string): EdgeJob | undefined;
  /** Resolves with the newest job, waiting for the first one if none has arrived yet. */
  ready(jobmanager: string): Promise<EdgeJob>;
  /** Called for every new job, in order; returns an unsubscribe function. */
  subscribe(jobmanager: string, onJob: (job: EdgeJob) => void): () => void;
  /**
   * Looks a job id up for a share; `stale` when the job existed but a later flush ended it
   * (PowerPool spec §5.7), `unknown` when this edge never issued it.
   */
  find(jobmanager: string, jobId: string): { job: EdgeJob; stale: boolean } | "unknown";
}

/**
 * What a miner sent in mining.submit, already split and shape-checked by the stratum layer (hex of
 * the right lengths, case as received). `jobId` is the EdgeJob's own id when the client's id
 * was a per-client re-push id (`notifyLineWithId`), else the id as received.
 */
export interface SubmitParams {
  readonly jobId: string;
  readonly extranonce2: string;
  readonly ntime: string;
  readonly nonce: string;
  /** BIP310 version bits (6th param), if any. */
  readonly versionBits: string | undefined;
}

/** The per-connection facts a share check needs. */
export interface SubmitContext {
  readonly port: string;
  readonly jobmanager: string;
  readonly extranonce1: Uint8Array;
  /** Negotiated with mining.configure; 0 when the miner did not ask for version rolling. */
  readonly versionMask: number;
  /** The difficulty the job id was issued at (spec §2.6). */
  readonly difficulty: number;
  readonly address: string;
  readonly worker: string;
  /** ms since the epoch when the submit line arrived. */
  readonly receivedAt: number;
  /**
   * Optional (added by the stratum layer): the job the client's job id maps to in its per-client
   * map of issued ids; undefined when this connection never received that id. A checker may use
   * it instead of looking the job up again with `JobFeed.find(jobmanager, jobId)`.
   */
  readonly job?: EdgeJob;
  /**
   * Optional (added by the stratum layer): true when the job is stale by the feed (a flush ended
   * it) or the id was never issued to this connection. A checker should record such a share as
   * stale (PowerPool reports those too) and return `stale`, though it may still check it as a
   * block candidate. The stratum layer replies with whatever verdict comes back.
   */
  readonly stale?: boolean;
}

/** Stratum error codes for shares (spec §2.2): 21 stale/unknown job, 22 duplicate, 23 low difficulty, 20 malformed. */
export type ShareVerdict =
  | { readonly result: "acc" }
  | { readonly result: "dup" | "low" | "stale" | "invalid"; readonly code: 20 | 21 | 22 | 23; readonly message: string };

/**
 * A submit's values without strings, for the stratum layer's allocation-free path: numbers already
 * parsed and extranonce2 left as hex in the received bytes. Callers reuse one object per call.
 */
export interface RawSubmit {
  /** As `SubmitParams.jobId`. */
  jobId: string;
  /** Bytes holding extranonce2 as hex (either case) at [extranonce2Start, extranonce2End); valid during the call only. */
  source: Uint8Array;
  extranonce2Start: number;
  extranonce2End: number;
  /** -1 when not 8 hex digits (answered 20, like the string forms). */
  ntime: number;
  nonce: number;
  /** 0 when absent; -1 when not 8 hex digits. */
  versionBits: number;
}

export interface ShareChecker {
  /**
   * Classifies a share and hands its record (and any block candidate, first) to the forwarder.
   * Sync for fast algorithms; a Promise for those hashed on worker threads. Never throws on miner input.
   */
  check(ctx: SubmitContext, params: SubmitParams): ShareVerdict | Promise<ShareVerdict>;
  /**
   * The same check from a RawSubmit, with the same verdicts and records. `ctx` and `sub` may be
   * objects the caller reuses as soon as this returns: an asynchronous check copies what it keeps.
   */
  checkRaw?(ctx: SubmitContext, sub: RawSubmit): ShareVerdict | Promise<ShareVerdict>;
}

/** Edge-wide extranonce1 allocation: unique across every live connection of every edge. */
export interface Extranonce1Allocator {
  /**
   * A fresh extranonce1, or a resumed one when `sessionId` names a recent session that is free.
   * Throws RangeError when `accepting()` is false (the edge id lease is lost or may have expired).
   */
  allocate(sessionId?: string): { extranonce1: Uint8Array; hex: string };
  release(extranonce1Hex: string): void;
  /** False while no extranonce1 can be handed out safely: the listener should refuse new connections. */
  accepting?(): boolean;
}

/** Live per-port figures the heartbeat publishes (the stratum layer keeps them). */
export interface StatusProvider {
  /** Per-port figures; `withClients` (default: the edge's setting) also fills each port's `clientList`. */
  ports(withClients?: boolean): EdgePortStatusV1[];
  /** Every port's authorized clients, for the client-list key the heartbeat writes every few beats (taken lazily, in slices). */
  clientLists(): { key: string; clients: Iterable<EdgeClientV1> }[];
}
