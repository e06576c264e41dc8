/** The duplicate-proof tables: exact matches, owners, withdrawal, growth and the caps. */
import { expect, test } from "bun:test";
import type { ShareProof } from "../../shared/contract/index.ts";
import { DuplicateProofs } from "./duplicates.ts";
import { en } from "./testing.ts";

const proof = (n: number, over: Partial<ShareProof> = {}): ShareProof => ({ extranonce1: en(1), extranonce2: en(n), ntime: 1_700_000_000, nonce: n, version: 0x20000000, ...over });

test("a proof is new once; the same record again is a replay, anyone else's copy a duplicate", () => {
  const d = new DuplicateProofs();
  const a = d.begin("eu1", "0000000a");
  expect(a.claim("j1", proof(1), 1, 0)).toBe("new");
  expect(a.claim("j1", proof(1), 2, 0)).toBe("duplicate"); // twice in one batch
  a.keep();
  expect(d.begin("eu1", "0000000a").claim("j1", proof(1), 1, 0)).toBe("replay");
  expect(d.begin("eu1", "0000000b").claim("j1", proof(1), 1, 0)).toBe("duplicate");
  expect(d.begin("eu2", "0000000a").claim("j1", proof(1), 1, 0)).toBe("duplicate");
  // Exact: any field differing makes another proof, on another job too.
  const b = d.begin("eu1", "0000000a");
  for (const p of [proof(1, { ntime: 1 }), proof(1, { version: 0x20002000 }), proof(1, { extranonce1: en(2) }), proof(1, { extranonce2: en(1, 8) })]) expect(b.claim("j1", p, 9, 0)).toBe("new");
  expect(b.claim("j2", proof(1), 9, 0)).toBe("new");
  b.keep();
  expect(d.size).toBe(6);
});

test("seqs past 2^32 keep their owner exactly", () => {
  const d = new DuplicateProofs();
  const big = 2 ** 40 + 5;
  const a = d.begin("eu1", "0000000a");
  a.claim("j", proof(1), big, 0);
  a.keep();
  expect(d.begin("eu1", "0000000a").claim("j", proof(1), big, 0)).toBe("replay");
  expect(d.begin("eu1", "0000000a").claim("j", proof(1), big - 2 ** 32, 0)).toBe("duplicate");
});

test("a withdrawn batch's proofs are free again, through growth too", () => {
  const d = new DuplicateProofs();
  const a = d.begin("eu1", "0000000a");
  for (let i = 0; i < 100; i++) a.claim("j", proof(i), i + 1, 0);
  a.withdraw();
  expect(d.size).toBe(0);
  const b = d.begin("eu2", "0000000a");
  for (let i = 0; i < 5000; i++) expect(b.claim("j", proof(i), i + 1, 0)).toBe("new"); // grows past 1024 slots
  b.keep();
  expect(d.size).toBe(5000);
  expect(d.begin("eu2", "0000000a").claim("j", proof(4999), 5000, 0)).toBe("replay");
  expect(d.begin("eu1", "0000000a").claim("j", proof(17), 18, 0)).toBe("duplicate");
});

test("caps: the least recently used job goes first; idle jobs go at the next new job", () => {
  const d = new DuplicateProofs({ maxJobs: 2, maxKeys: 10, idleMs: 1000 });
  const put = (job: string, from: number, n: number, now: number) => {
    const c = d.begin("eu1", "0000000a");
    for (let i = from; i < from + n; i++) c.claim(job, proof(i), i, now);
    c.keep();
  };
  put("a", 1, 3, 0);
  put("b", 1, 3, 0);
  put("a", 10, 1, 0); // a is now the most recent
  put("c", 1, 3, 0); // two jobs at most: b goes
  expect(d.jobCount).toBe(2);
  expect(d.begin("x", "0000000a").claim("b", proof(1), 1, 0)).toBe("new");
  const e = new DuplicateProofs({ maxKeys: 10, idleMs: 1000 });
  const c1 = e.begin("eu1", "0000000a");
  for (let i = 0; i < 8; i++) c1.claim("old", proof(i), i + 1, 0);
  c1.keep();
  const c2 = e.begin("eu1", "0000000a");
  for (let i = 0; i < 4; i++) c2.claim("new", proof(i), i + 1, 500);
  c2.keep(); // 12 > 10 proofs: the older job goes
  expect(e.size).toBe(4);
  const c3 = e.begin("eu1", "0000000a");
  c3.claim("newer", proof(1), 1, 2000); // "new" idle for 1500 ms > 1000: dropped
  c3.keep();
  expect(e.jobCount).toBe(1);
});
