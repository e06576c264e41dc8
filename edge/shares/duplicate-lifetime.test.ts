/**
 * How long a job's duplicate keys live: while the job is current (and one new job longer), not while
 * it is remembered. A flush (or a job aging out of the active set) ends a job; a share for an ended
 * job is answered stale before the duplicate check, so its keys go — one new job later than they
 * could, for a worker-hashed check that was already under way when its job ended.
 */
import { describe, expect, test } from "bun:test";
import { hexToBytes } from "../../shared/bitcoin/index.ts";
import { SPEC16, spec16Job } from "../../shared/contract/testing.ts";
import { captureLog } from "../../test/helpers/log-capture.ts";
import { JobCache } from "../jobs/index.ts";
import type { SubmitContext, SubmitParams } from "../ports.ts";
import { EdgeShareChecker, type ShareSink } from "./checker.ts";
import { powTable, sha256dPow, type AsyncPow, type PowHash } from "./pow.ts";
import { ACCEPTED, DUPLICATE, STALE } from "./verdicts.ts";

const sink: ShareSink = {
  edge: "eu1",
  session: "0000beef",
  share: () => 1,
  blockShare: (_f, build) => ({ candidate: build(1), sent: Promise.resolve() }),
};

function setup(maxActiveJobs?: number, pow: PowHash = sha256dPow) {
  const { log } = captureLog();
  const jobs = new JobCache({ log, ...(maxActiveJobs ? { maxActiveJobs } : {}) });
  const checker = new EdgeShareChecker({ jobs, sink, pow: powTable({ sha256d: pow }), log });
  // diff1 = 2^256 − 1: at difficulty 1 every hash passes, so each share below is accepted unless stale or a duplicate.
  const add = (type: 0 | 1 = 0) => jobs.add(spec16Job({ type, target: "00".repeat(32) }))!;
  return { checker, add };
}

const ctx: SubmitContext = {
  port: "p",
  jobmanager: "LTC",
  extranonce1: hexToBytes(SPEC16.extranonce1),
  versionMask: 0,
  difficulty: 1,
  address: "LYExXWEPs5oWjScR1fYzwSuo8DcQWNcHpF",
  worker: "rig1",
  receivedAt: (0x5c3a8f10 + 60) * 1000,
};
const share = (jobId: string, nonce = SPEC16.nonce): SubmitParams => ({ jobId, extranonce2: SPEC16.extranonce2, ntime: SPEC16.ntime, nonce, versionBits: undefined });

describe("duplicate keys live as long as their job is current", () => {
  test("jobs of one flush generation keep theirs; a flush frees them at the next job's first share", () => {
    const { checker, add } = setup();
    const a = add(0);
    const b = add(1); // a push: a stays current
    expect(checker.check(ctx, share(a.id))).toBe(ACCEPTED);
    expect(checker.check(ctx, share(b.id))).toBe(ACCEPTED);
    expect(checker.check(ctx, share(a.id))).toBe(DUPLICATE);
    expect(checker.jobsWithKeys).toBe(2);
    const c = add(0); // a flush ends a and b
    expect(checker.jobsWithKeys).toBe(2); // nothing is freed until a share needs a new set
    expect(checker.check(ctx, share(c.id))).toBe(ACCEPTED); // a and b are found ended…
    expect(checker.jobsWithKeys).toBe(3);
    const d = add(1);
    expect(checker.check(ctx, share(d.id))).toBe(ACCEPTED); // …and freed at the next new job
    expect(checker.jobsWithKeys).toBe(2);
    expect(checker.check(ctx, share(a.id))).toBe(STALE);
    expect(checker.check(ctx, share(c.id))).toBe(DUPLICATE);
  });

  test("a job aged out of the active set without a flush loses its keys too", () => {
    const { checker, add } = setup(2);
    const a = add(0);
    expect(checker.check(ctx, share(a.id))).toBe(ACCEPTED);
    add(1);
    const c = add(1); // three current jobs exceed maxActiveJobs = 2: a ages out
    expect(checker.check(ctx, share(c.id))).toBe(ACCEPTED);
    const d = add(1);
    expect(checker.check(ctx, share(d.id))).toBe(ACCEPTED);
    expect(checker.jobsWithKeys).toBe(2); // c and d
    expect(checker.check(ctx, share(a.id))).toBe(STALE);
  });

  test("a worker-hashed duplicate whose hash comes back after its job ended is still caught", async () => {
    // Hashes come back when the test says, as from a busy worker pool.
    const held: (() => void)[] = [];
    const slow: AsyncPow = {
      hashAsync: (header) => {
        const hash = new Uint8Array(32);
        sha256dPow.hashInto(header, hash);
        return new Promise((resolve) => held.push(() => resolve(hash)));
      },
    };
    const { checker, add } = setup(undefined, slow);
    const a = add(0);
    const first = checker.check(ctx, share(a.id));
    const again = checker.check(ctx, share(a.id)); // the same share, submitted before the flush
    held.shift()!();
    expect(await first).toBe(ACCEPTED);
    const c = add(0); // a flush ends a while the second check is still hashing
    const cShare = checker.check(ctx, share(c.id));
    const [againHash, cHash] = held.splice(0);
    cHash!(); // c's first share comes back first and finds a ended…
    expect(await cShare).toBe(ACCEPTED);
    againHash!(); // …then a's duplicate, which still finds a's keys
    expect(await again).toBe(DUPLICATE);
  });
});
