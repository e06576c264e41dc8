/**
 * @module Found-block records that survive a Redis failover. A primary acknowledges the record
 * before its replica has it, and Sentinel may promote that replica; the candidate was acknowledged
 * meanwhile, so nothing would ever write the record again and the block would be missing from the
 * accounting. Here a record is followed by WAIT (`redis.wait_replicas`, default 1 with Sentinel)
 * and written again, with back-off, until the replicas confirm it. That is safe because recording
 * a block is idempotent (the same hash twice is a no-op, core/accounting/blocks.ts), and a write
 * after a failover lands on the new primary, where a lost record is then made again.
 *
 * Share applies need no WAIT: the apply and its XACK are one script, so a lost apply leaves its
 * stream entry unacknowledged on the new primary (or the edge sends the batch again, see
 * edge/forward/forwarder.ts), and the seen-sets make the second apply count each record once.
 */
import type Redis from "ioredis";
import type { Logger } from "../../shared/log.ts";
import type { ReplicaWait } from "../../shared/redis.ts";
import type { BlockRecorder, RecordBlockResult } from "./blocks.ts";

const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 2000;
/**
 * Failures a failover produces (the old primary demoted or gone, the new one loading, a fenced
 * write of a deposed core excepted): written again like an unconfirmed record, not given up on.
 */
const TRANSIENT = /READONLY|LOADING|MASTERDOWN|TRYAGAIN|NOREPLICAS|BUSY|Connection is closed|ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|socket|max retries/i;

export function replicatedBlockRecorder(redis: Redis, record: BlockRecorder, wait: ReplicaWait | undefined, log: Logger, signal?: AbortSignal): BlockRecorder {
  if (!wait) return record;
  return async (block, nowMs) => {
    let first: RecordBlockResult | undefined;
    let delay = FIRST_RETRY_MS;
    for (let attempt = 1; ; attempt++) {
      let out: RecordBlockResult;
      let confirmed = -1;
      try {
        out = await record(block, nowMs);
        if (out.kind === "failed") {
          if (!TRANSIENT.test(out.error)) return first ?? out;
          throw new Error(out.error);
        }
        // The result that did the rotation is the one to report, not a later "already recorded".
        first ??= out;
        confirmed = Number(await redis.call("WAIT", wait.replicas, wait.timeoutMs));
      } catch (e) {
        log.warn(`block ${block.hash}: record not confirmed (${(e as Error).message}); writing it again`);
      }
      if (confirmed >= wait.replicas) {
        if (attempt > 1) log.notice(`block ${block.hash}: record confirmed by ${confirmed} replicas after ${attempt} writes`);
        return first ?? { kind: "failed", error: "no result" };
      }
      if (signal?.aborted) {
        log.error(`block ${block.hash}: stopping with its record not confirmed by any replica; a Redis failover now could lose it`);
        return first ?? { kind: "failed", error: "stopped before the record was confirmed" };
      }
      if (attempt === 1) log.warn(`block ${block.hash}: record not yet confirmed by ${wait.replicas} replicas; writing it again until it is`);
      await Bun.sleep(delay);
      delay = Math.min(delay * 2, MAX_RETRY_MS);
    }
  };
}
