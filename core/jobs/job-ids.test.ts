import { expect, test } from "bun:test";
import { buildJob } from "./build-job.ts";
import { JobIdAllocator } from "./job-ids.ts";
import { JobStore } from "./job-store.ts";
import { jobSettings } from "./settings.ts";
import { parseTemplate } from "./template.ts";
import { rawTemplate } from "./testing.ts";

const CONTRACT_ID = /^[0-9a-f]{8,32}$/;

test("ids: boot-time prefix + counter, contract-shaped, increasing", () => {
  const ids = new JobIdAllocator(1_795_000_000_000);
  const a = ids.next();
  const b = ids.next();
  expect(a).toBe(`${(1_795_000_000_000).toString(16).padStart(12, "0")}00000000`);
  expect(b).toBe(`${(1_795_000_000_000).toString(16).padStart(12, "0")}00000001`);
  expect(a).toMatch(CONTRACT_ID);
  expect(b > a).toBe(true);
});

test("ids: a later boot never repeats an earlier boot's ids, even after many jobs", () => {
  const first = new JobIdAllocator(1_795_000_000_000);
  const seen = new Set(Array.from({ length: 10_000 }, () => first.next()));
  const second = new JobIdAllocator(1_795_000_000_001);
  expect(Array.from({ length: 10_000 }, () => second.next()).filter((id) => seen.has(id))).toEqual([]);
});

test("ids: a clock that went back is moved past the last published id", () => {
  const before = new JobIdAllocator(1_795_000_000_000);
  before.next();
  const last = before.next();
  const after = new JobIdAllocator(1_794_999_000_000); // NTP stepped back 1000 s
  after.continueAfter(last);
  const next = after.next();
  expect(next > last).toBe(true);
  after.continueAfter("not-an-id"); // an older id shape is ignored
  expect(after.next() > next).toBe(true);
});

test("store: keeps the current and previous heights, drops older ones on a flush, caps bursts", () => {
  const s = jobSettings(
    { key: "BTC", currency: "BTC", algo: "sha256d", network: "bitcoin", pool_address: "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", rules: ["segwit"], coinbase_tag: "", version_mask: 0, diff1: 1n, pow_block_hash: false },
    { extranonce_serv_size: 4, extranonce_size: 4 },
  );
  const ids = new JobIdAllocator(1);
  const store = new JobStore(5);
  const job = (height: number, type: 0 | 2) => buildJob(parseTemplate(rawTemplate({ height })), s, ids.next(), type).stored;
  const h10 = job(10, 0);
  store.add(h10);
  store.add(job(10, 2));
  const h11 = job(11, 0);
  store.add(h11);
  expect(store.heights()).toEqual([10, 11]);
  store.add(job(12, 0));
  expect(store.heights()).toEqual([11, 12]);
  expect(store.get(h10.job.id)).toBeUndefined();
  expect(store.get(h11.job.id)).toBe(h11);
  for (let i = 0; i < 10; i++) store.add(job(12, 2));
  expect(store.size).toBe(5);
  expect(store.get(h11.job.id)).toBeUndefined(); // the oldest go first
});
