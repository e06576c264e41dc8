/**
 * @module Waiting until one share record is applied, so a found block's round holds its own
 * winning share (spec §8.2 (c)).
 *
 * Why: the edge sends a block candidate before its share record, the core reads candidates ahead
 * of shares, and after a Redis outage the edge replays every spooled candidate before any share
 * batch. Recording the block at once could rotate the round before the winning share's
 * `chain_<N>_shares` / `chain_<N>_slice` writes: the share would fall into the next round, and a
 * round with no other share would leave `unproc_block_<hash>` without `chain_<N>_solve_index`.
 * PowerPool always counted the share first. Only the accounting record waits, never submission.
 *
 * How: the apply script marks a record's seq in its session's seen-set in the same atomic step as
 * its writes, so "the seq is in the seen-set" is exactly "the record is counted". Bounded: a record
 * that never comes (the edge died before sending it, its batch was dead-lettered) must not hold
 * the block's record back for good.
 */
import type Redis from "ioredis";
import type { ContractNames } from "../../shared/contract/index.ts";
import { inRanges, parseRuns } from "./share-plan.ts";

/** A share record's id: the edge session that numbered it and its seq there. */
export interface ShareId {
  readonly edge: string;
  readonly session: string;
  readonly seq: number;
}

/** How long a block record waits for its winning share before it is written anyway. */
export const SHARE_WAIT_TIMEOUT_MS = 30_000;
export const SHARE_WAIT_POLL_MS = 50;

export interface ShareWaitOptions {
  readonly timeoutMs?: number;
  readonly pollMs?: number;
  /** Ends the wait early (the core is stopping): outcome "aborted". */
  readonly signal?: AbortSignal;
}

export interface ShareWaitOutcome {
  readonly kind: "applied" | "timeout" | "aborted";
  readonly waitedMs: number;
}

/** `edge/session#seq`, as log lines name a share record. */
export function shareIdText(s: ShareId): string {
  return `${s.edge}/${s.session}#${s.seq}`;
}

/**
 * Polls the session's seen-set until it holds `share.seq`, the bound passes or `signal` aborts.
 * Never throws: a Redis error counts as "not yet" (the bound still ends the wait).
 */
export async function waitForShareRecord(redis: Redis, names: Pick<ContractNames, "seenSet">, share: ShareId, opts: ShareWaitOptions = {}): Promise<ShareWaitOutcome> {
  const timeoutMs = opts.timeoutMs ?? SHARE_WAIT_TIMEOUT_MS;
  const pollMs = opts.pollMs ?? SHARE_WAIT_POLL_MS;
  const key = names.seenSet(share.edge, share.session);
  const started = Date.now();
  for (;;) {
    const left = () => timeoutMs - (Date.now() - started);
    const applied = await within(isApplied(redis, key, share.seq), Math.max(0, left()), opts.signal);
    const waitedMs = Date.now() - started;
    if (applied === true) return { kind: "applied", waitedMs };
    if (opts.signal?.aborted) return { kind: "aborted", waitedMs };
    if (left() <= 0) return { kind: "timeout", waitedMs };
    await within(Bun.sleep(Math.min(pollMs, left())), Infinity, opts.signal);
  }
}

async function isApplied(redis: Redis, key: string, seq: number): Promise<boolean> {
  try {
    return inRanges(parseRuns(await redis.get(key)), seq);
  } catch {
    return false;
  }
}

/**
 * `p`, or undefined after `ms` or on abort: a GET held while Redis reconnects must not outlast
 * the bound or a stop.
 */
function within<T>(p: Promise<T>, ms: number, signal: AbortSignal | undefined): Promise<T | undefined> {
  if (signal?.aborted) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const done = (v: T | undefined) => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      resolve(v);
    };
    const onAbort = () => done(undefined);
    const timer = Number.isFinite(ms) ? setTimeout(() => done(undefined), ms) : undefined;
    signal?.addEventListener("abort", onAbort, { once: true });
    p.then(done, () => done(undefined));
  });
}
