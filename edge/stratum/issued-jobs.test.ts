import { describe, expect, test } from "bun:test";
import type { EdgeJob } from "../ports.ts";
import { IssuedJobs, ISSUED_EPOCHS_KEPT, repushId } from "./issued-jobs.ts";

/** Edge jobs as the job cache numbers them: hex of a rising counter. */
const jobs = new Map<number, EdgeJob>();
const job = (n: number): EdgeJob => {
  let j = jobs.get(n);
  if (!j) jobs.set(n, (j = { id: n.toString(16) } as EdgeJob));
  return j;
};

/**
 * Pushes at time 0, where the second-based floor of the counter is 0: counters run 1, 2, 3…
 * Returns the id the push went out under.
 */
const push = (m: IssuedJobs, n: number, difficulty: number, now = 0): string => {
  const k = m.issue(job(n), difficulty, now);
  return k === 0 ? job(n).id : repushId(job(n), k);
};

describe("IssuedJobs", () => {
  test("a job new to the client goes out under its own id; a re-push of the same job gets a new id", () => {
    const m = new IssuedJobs();
    expect(m.issue(job(0xa0), 8, 0)).toBe(0);
    expect(push(m, 0xa0, 8)).toBe("a0.1");
    expect(push(m, 0xa0, 8)).toBe("a0.2");
    expect(push(m, 0xa1, 8)).toBe("a1");
    expect(push(m, 0xa1, 16)).toBe("a1.3");
    expect(m.size).toBe(5);
  });

  test("re-push counters follow the clock's seconds, so clients re-pushed in one second share an id; one client never gets an id twice", () => {
    const [a, b] = [new IssuedJobs(), new IssuedJobs()];
    const t = 1_700_000_000_123;
    for (const m of [a, b]) push(m, 0xa0, 8, t);
    const second = Math.floor(t / 1000).toString(16);
    expect([push(a, 0xa0, 8, t), push(b, 0xa0, 8, t + 500)]).toEqual([`a0.${second}`, `a0.${second}`]);
    expect(push(a, 0xa0, 8, t + 600)).toBe(`a0.${(Math.floor(t / 1000) + 1).toString(16)}`); // same second, same client: the next one
    expect(push(a, 0xa0, 8, t + 30_000)).toBe(`a0.${(Math.floor(t / 1000) + 30).toString(16)}`);
    expect(a.difficultyOf(`a0.${second}`, job(0xa0))).toBe(8);
  });

  test("every id resolves to the difficulty it was pushed with", () => {
    const m = new IssuedJobs();
    push(m, 0xa0, 8); // a0 @8
    push(m, 0xa1, 8); // a1 @8
    const re = push(m, 0xa1, 16); // a1.1 @16
    push(m, 0xa2, 16); // a2 @16
    const again = push(m, 0xa2, 16); // keepalive a2.2 @16
    const down = push(m, 0xa2, 4); // a2.3 @4
    push(m, 0xa5, 4); // a5 @4
    expect(m.difficultyOf("a0", job(0xa0))).toBe(8);
    expect(m.difficultyOf("a1", job(0xa1))).toBe(8);
    expect(m.difficultyOf(re, job(0xa1))).toBe(16);
    expect(m.difficultyOf("a2", job(0xa2))).toBe(16);
    expect(m.difficultyOf(again, job(0xa2))).toBe(16);
    expect(m.difficultyOf(down, job(0xa2))).toBe(4);
    expect(m.difficultyOf("a5", job(0xa5))).toBe(4);
    expect([re, again, down]).toEqual(["a1.1", "a2.2", "a2.3"]);
  });

  test("ids never issued, or of another job, or in another spelling, resolve to nothing", () => {
    const m = new IssuedJobs();
    expect(m.difficultyOf("a0", job(0xa0))).toBeUndefined();
    push(m, 0xa0, 8);
    push(m, 0xa0, 8); // a0.1
    push(m, 0xa1, 8);
    expect(m.difficultyOf("a9", job(0xa9))).toBeUndefined(); // newer than anything sent
    expect(m.difficultyOf("9f", job(0x9f))).toBeUndefined(); // older than anything sent
    expect(m.difficultyOf("a0.2", job(0xa0))).toBeUndefined(); // counter not used yet
    for (const id of ["a0.01", "a0.1x", "a0.", "a0-1", "a0.0"]) expect(m.difficultyOf(id, job(0xa0))).toBeUndefined();
    expect(m.difficultyOf("a0.1", job(0xa1))).toBeUndefined(); // not this job's id
  });

  test("a job skipped between two pushes (a superseded refresh) resolves to the difficulty the client had then", () => {
    const m = new IssuedJobs();
    push(m, 0xa0, 8);
    push(m, 0xa3, 8); // a1 and a2 arrived meanwhile and were never sent to this client
    push(m, 0xa3, 16); // a3.1 @16
    push(m, 0xa6, 16);
    expect(m.difficultyOf("a1", job(0xa1))).toBe(8);
    // Between the last own id of one epoch and the first of the next: outside every range.
    expect(m.difficultyOf("a5", job(0xa5))).toBeUndefined();
  });

  test("a re-push id cannot carry another epoch's difficulty to a job sent later", () => {
    const m = new IssuedJobs();
    push(m, 0xa0, 1);
    push(m, 0xa0, 1); // a0.1 @1
    push(m, 0xb0, 64); // b0 @64
    push(m, 0xb0, 64); // b0.2 @64
    expect(m.difficultyOf("b0.1", job(0xb0))).toBeUndefined(); // counter 1 was a0's, at difficulty 1
    expect(m.difficultyOf("b0.2", job(0xb0))).toBe(64);
  });

  test("keepalives of an idle client do not grow it; difficulty changes beyond the kept epochs are forgotten", () => {
    const m = new IssuedJobs(3);
    push(m, 1, 1);
    for (let i = 0; i < 1000; i++) push(m, 1, 1);
    expect(m.difficultyOf("1", job(1))).toBe(1);
    expect(m.difficultyOf("1.3e8", job(1))).toBe(1);
    push(m, 2, 2);
    push(m, 3, 3);
    expect(m.difficultyOf("1", job(1))).toBe(1);
    push(m, 4, 4); // a fourth epoch: the first is dropped
    expect(m.difficultyOf("1", job(1))).toBeUndefined();
    expect(m.difficultyOf("1.3e8", job(1))).toBeUndefined();
    expect(m.difficultyOf("2", job(2))).toBe(2);
    expect(m.difficultyOf("4", job(4))).toBe(4);
    expect(m.size).toBe(3);
    expect(ISSUED_EPOCHS_KEPT).toBeGreaterThanOrEqual(8);
  });

  test("clear forgets every id, and later re-push ids stay distinct from earlier ones", () => {
    const m = new IssuedJobs();
    push(m, 7, 1);
    expect(push(m, 7, 1)).toBe("7.1");
    m.clear();
    expect(m.difficultyOf("7", job(7))).toBeUndefined();
    expect(m.size).toBe(0);
    expect(push(m, 7, 1)).toBe("7");
    expect(push(m, 7, 1)).toBe("7.2");
    expect(m.difficultyOf("7.1", job(7))).toBeUndefined();
    expect(m.difficultyOf("7.2", job(7))).toBe(1);
  });

  test("issueOwn records a broadcast's new job as issue would, and declines (recording nothing) what issue must decide", () => {
    const [m, ref] = [new IssuedJobs(), new IssuedJobs()];
    expect(m.issueOwn(job(0xa0), 8)).toBe(false); // nothing issued yet: no epoch
    for (const x of [m, ref]) push(x, 0xa0, 8);
    expect(m.issueOwn(job(0xa1), 8)).toBe(true);
    expect(push(ref, 0xa1, 8)).toBe("a1");
    expect(m.issueOwn(job(0xa1), 8)).toBe(false); // held already: a re-push id
    expect(m.issueOwn(job(0xa2), 16)).toBe(false); // a new difficulty: a new epoch
    expect(m.size).toBe(ref.size);
    for (const id of ["a0", "a1"]) expect(m.difficultyOf(id, job(parseInt(id, 16)))).toBe(ref.difficultyOf(id, job(parseInt(id, 16))));
    // Declining left no trace: the next pushes get the ids they would have got.
    expect([push(m, 0xa1, 8), push(m, 0xa2, 16)]).toEqual([push(ref, 0xa1, 8), push(ref, 0xa2, 16)]);
  });
});
