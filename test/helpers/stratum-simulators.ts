/**
 * @module Test doubles for the stratum layer's seams (edge/ports.ts), named as simulators: a job
 * feed the test publishes jobs into, a share checker that really rebuilds and hashes the header
 * (sha256d) so shares found by test/helpers/miner.ts pass or fail for real, and an extranonce1
 * allocator. The real implementations live in edge/jobs, edge/shares and edge/forward.
 */
import {
  bytesToHex,
  coinbaseMerkleRootInto,
  difficultyToTarget,
  hashBelowTarget,
  hexToBytes,
  sha256dInto,
  stratumPrevhashToBytes,
  targetToLE32,
  u32FromHex,
  u32ToHex,
  writeHeaderInto,
} from "../../shared/bitcoin/index.ts";
import type { JobV1 } from "../../shared/contract/index.ts";
import { DIFF1_SHA256D } from "../../shared/pow/algorithms.ts";
import type { EdgeJob, Extranonce1Allocator, JobFeed, ShareChecker, ShareVerdict, SubmitContext, SubmitParams } from "../../edge/ports.ts";

const encoder = new TextEncoder();

export interface SimulatedJob extends EdgeJob {
  /** How many times each notify form was serialized (the shared lines once, re-push ids each). */
  readonly builds: { shared: number; withId: number };
}

let jobSeq = 0x1000;

/** A plausible JobV1 for sha256d with an easy diff1 and no transactions unless given. */
export function simulatedJobV1(over: Partial<JobV1> = {}): JobV1 {
  const n = jobSeq++;
  return {
    v: 1,
    id: `c0de${n.toString(16).padStart(8, "0")}`,
    jobmanager: "BTC",
    coin: "BTC",
    currency: "BTC",
    algo: "sha256d",
    type: 0,
    height: 100 + n,
    prevhash: bytesToHex(crypto.getRandomValues(new Uint8Array(32))),
    coinb1: "01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff0d03a08601",
    coinb2: `ffffffff0100f2052a010000001976a914${"11".repeat(20)}88ac00000000`,
    branch: [bytesToHex(crypto.getRandomValues(new Uint8Array(32)))],
    version: 0x20000000,
    versionMask: 0x1fffe000,
    bits: "1d00ffff",
    ntime: Math.floor(Date.now() / 1000),
    mintime: Math.floor(Date.now() / 1000) - 600,
    target: "00000000ffff0000000000000000000000000000000000000000000000000000",
    diff1: DIFF1_SHA256D.toString(16).padStart(64, "0"),
    powBlockHash: false,
    extranonce1Size: 4,
    extranonce2Size: 4,
    aux: [],
    createdAt: Date.now(),
    ...over,
  };
}

function notifyBytes(job: JobV1, id: string, clean: boolean): Uint8Array {
  const params = [id, job.prevhash, job.coinb1, job.coinb2, job.branch, u32ToHex(job.version), job.bits, u32ToHex(job.ntime), clean];
  return encoder.encode(`${JSON.stringify({ params, id: null, method: "mining.notify" })}\n`);
}

export class JobFeedSimulator implements JobFeed {
  private readonly jobs = new Map<string, SimulatedJob>();
  private readonly active = new Set<string>();
  private newest: SimulatedJob | undefined;
  private readonly subscribers = new Set<(job: EdgeJob) => void>();
  private seq = 0;

  /** Publishes a job (type 0 flush by default); returns it. */
  publish(over: Partial<JobV1> = {}): SimulatedJob {
    const job = simulatedJobV1(over);
    const id = (0xa000 + this.seq++).toString(16);
    const builds = { shared: 0, withId: 0 };
    const lines = new Map<boolean, Uint8Array>();
    const edgeJob: SimulatedJob = {
      job,
      id,
      receivedAt: Date.now(),
      builds,
      notifyLine(clean) {
        let line = lines.get(clean);
        if (!line) {
          builds.shared++;
          line = notifyBytes(job, id, clean);
          lines.set(clean, line);
        }
        return line;
      },
      notifyLineWithId(jobId, clean) {
        builds.withId++;
        return notifyBytes(job, jobId, clean);
      },
    };
    if (job.type === 0) this.active.clear();
    this.active.add(id);
    this.jobs.set(id, edgeJob);
    this.newest = edgeJob;
    for (const s of this.subscribers) s(edgeJob);
    return edgeJob;
  }

  latest(_jobmanager: string): EdgeJob | undefined {
    return this.newest;
  }

  ready(_jobmanager: string): Promise<EdgeJob> {
    if (this.newest) return Promise.resolve(this.newest);
    return new Promise((resolve) => {
      const once = (j: EdgeJob) => {
        this.subscribers.delete(once);
        resolve(j);
      };
      this.subscribers.add(once);
    });
  }

  subscribe(_jobmanager: string, onJob: (job: EdgeJob) => void): () => void {
    this.subscribers.add(onJob);
    return () => this.subscribers.delete(onJob);
  }

  find(_jobmanager: string, jobId: string): { job: EdgeJob; stale: boolean } | "unknown" {
    const base = /^[0-9a-f]+/.exec(jobId)?.[0] ?? "";
    const job = this.jobs.get(base);
    return job ? { job, stale: !this.active.has(base) } : "unknown";
  }
}

export interface CheckedShare {
  readonly ctx: SubmitContext;
  readonly params: SubmitParams;
  readonly verdict: ShareVerdict;
}

const V = {
  acc: { result: "acc" },
  stale: { result: "stale", code: 21, message: "Job not found (=stale)" },
  dup: { result: "dup", code: 22, message: "Duplicate share" },
  low: { result: "low", code: 23, message: "Low difficulty share" },
  invalid: { result: "invalid", code: 20, message: "Other/Unknown" },
} as const satisfies Record<string, ShareVerdict>;

export class ShareCheckerSimulator implements ShareChecker {
  readonly checked: CheckedShare[] = [];
  /** "sync" answers at once; "async" answers through a Promise settled by `release()`. */
  mode: "sync" | "async" = "sync";
  private readonly held: (() => void)[] = [];
  private readonly accepted = new Map<EdgeJob, Set<string>>();

  constructor(private readonly feed: JobFeed) {}

  check(ctx: SubmitContext, params: SubmitParams): ShareVerdict | Promise<ShareVerdict> {
    const verdict = this.judge(ctx, params);
    this.checked.push({ ctx, params, verdict });
    if (this.mode === "sync") return verdict;
    return new Promise((resolve) => this.held.push(() => resolve(verdict)));
  }

  /** Settles held async checks, oldest first (`count` of them, or all). */
  release(count = Infinity): void {
    for (let i = 0; i < count && this.held.length > 0; i++) this.held.shift()!();
  }

  get pending(): number {
    return this.held.length;
  }

  private judge(ctx: SubmitContext, p: SubmitParams): ShareVerdict {
    if (ctx.stale) return V.stale;
    const found = ctx.job ? { job: ctx.job } : this.feed.find(ctx.jobmanager, p.jobId);
    if (found === "unknown") return V.stale;
    const j = found.job.job;
    const bits = p.versionBits === undefined ? 0 : u32FromHex(p.versionBits);
    if ((bits & ~ctx.versionMask) !== 0) return V.invalid;
    const coinbase = hexToBytes(j.coinb1 + bytesToHex(ctx.extranonce1) + p.extranonce2 + j.coinb2);
    const root = coinbaseMerkleRootInto(coinbase, j.branch.map(hexToBytes), new Uint8Array(32));
    const version = ((j.version & ~ctx.versionMask) | (bits & ctx.versionMask)) >>> 0;
    const header = writeHeaderInto(new Uint8Array(80), version, stratumPrevhashToBytes(j.prevhash), root, u32FromHex(p.ntime), u32FromHex(j.bits), u32FromHex(p.nonce));
    const hash = sha256dInto(header, new Uint8Array(32));
    const key = `${bytesToHex(ctx.extranonce1)}:${p.extranonce2}:${p.ntime}:${p.nonce}:${p.versionBits ?? ""}`.toLowerCase();
    const seen = this.accepted.get(found.job) ?? new Set<string>();
    if (seen.has(key)) return V.dup;
    if (!hashBelowTarget(hash, targetToLE32(difficultyToTarget(ctx.difficulty, BigInt(`0x${j.diff1}`))))) return V.low;
    seen.add(key);
    this.accepted.set(found.job, seen);
    return V.acc;
  }
}

/** 4-byte extranonce1 values from a counter; a released value can be resumed by its hex. */
export class Extranonce1AllocatorSimulator implements Extranonce1Allocator {
  readonly live = new Set<string>();
  private readonly recent = new Set<string>();
  private next = 0x01000000;

  allocate(sessionId?: string): { extranonce1: Uint8Array; hex: string } {
    let hex: string;
    if (sessionId !== undefined && this.recent.has(sessionId) && !this.live.has(sessionId)) hex = sessionId;
    else hex = (this.next++).toString(16).padStart(8, "0");
    this.recent.delete(hex);
    this.live.add(hex);
    return { extranonce1: hexToBytes(hex), hex };
  }

  release(hex: string): void {
    if (this.live.delete(hex)) this.recent.add(hex);
  }
}
