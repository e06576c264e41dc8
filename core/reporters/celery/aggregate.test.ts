import { describe, expect, test } from "bun:test";
import { ShareResult } from "../../../shared/contract/index.ts";
import { compilePoolReports } from "../../accounting/routing.ts";
import { ADDR_A, ADDR_B, share, T0 } from "../../ingest/testing.ts";
import { ShareAggregator } from "./aggregate.ts";
import { decodeCeleryMessage, encodeCeleryMessage } from "./message.ts";

/** T0's minute starts at 1699999980 s; MINUTE is the next one. */
const M0 = 1_699_999_980;
const M1 = M0 + 60;
const P = "simplecoin.tasks";

function aggregator(over: { shareBatchSeconds?: number; pool?: boolean } = {}) {
  const problems: never[] = [];
  const poolReports = over.pool
    ? compilePoolReports(
        "legacy",
        {
          attrs: { chain: "LTC" },
          pool_report_configs: [
            { user: "pool", worker_format_string: "{chain}", report_merge: false },
            { user: "pool_currency", worker_format_string: "{currency}", report_merge: true },
          ],
        },
        "powerpool_0",
        problems,
      )
    : [];
  return new ShareAggregator({ taskPrefix: P, poolReports, shareBatchSeconds: over.shareBatchSeconds ?? 60 });
}

describe("one-minute aggregates (add_one_minute)", () => {
  test("buckets are minute-aligned by share time and reported only once their minute is over", () => {
    const agg = aggregator();
    agg.addEntry("1-0", [share(1, { time: M0 * 1000 + 5_000 }), share(2, { time: M0 * 1000 + 59_999 }), share(3, { time: M1 * 1000 })], M1 * 1000 + 10);
    // During minute M1 only M0 is over.
    const cp = agg.checkpoint(M1 * 1000 + 1_000);
    const minutes = cp.tasks.filter((t) => t.name === `${P}.add_one_minute`);
    expect(minutes).toEqual([{ name: `${P}.add_one_minute`, args: [], kwargs: { user: ADDR_A, worker: "rig1", minute: M0, valid_shares: 256 } }]);
    // The entry also fed minute M1: not acknowledged yet.
    expect(cp.ackIds).toEqual([]);
    cp.commit();
    const later = agg.checkpoint((M1 + 60) * 1000 + 1_000);
    expect(later.tasks.filter((t) => t.name.endsWith("add_one_minute")).map((t) => t.kwargs)).toEqual([{ user: ADDR_A, worker: "rig1", minute: M1, valid_shares: 128 }]);
  });

  test("each share type has its own task and keyword; valid_shares is 0 for the others; invalid shares are not reported", () => {
    const agg = aggregator();
    const t = T0;
    agg.addEntry("1-0", [
      share(1, { result: ShareResult.dup, difficulty: 16, time: t }),
      share(2, { result: ShareResult.low, difficulty: 32, time: t }),
      share(3, { result: ShareResult.stale, difficulty: 64, time: t }),
      share(4, { result: ShareResult.stale, difficulty: 64, time: t }),
      share(5, { result: ShareResult.invalid, difficulty: 1000, time: t }),
    ], t);
    const kwargs = agg.checkpoint(M1 * 1000 + 1_000).tasks.map((x) => x.kwargs);
    expect(kwargs).toEqual([
      { user: ADDR_A, worker: "rig1", minute: M0, valid_shares: 0, dup_shares: 16 },
      { user: ADDR_A, worker: "rig1", minute: M0, valid_shares: 0, low_diff_shares: 32 },
      { user: ADDR_A, worker: "rig1", minute: M0, valid_shares: 0, stale_shares: 128 },
    ]);
  });

  test("workers, addresses and algorithms are separate aggregates (an empty worker stays empty)", () => {
    const agg = aggregator();
    agg.addEntry("1-0", [share(1, { worker: "" }), share(2, { address: ADDR_B }), share(3, { algo: "sha256d" }), share(4, { worker: "" })], T0);
    const kwargs = agg.checkpoint(M1 * 1000 + 1_000).tasks.filter((x) => x.name.endsWith("add_one_minute")).map((x) => [x.kwargs.user, x.kwargs.worker, x.kwargs.valid_shares]);
    expect(kwargs).toEqual([
      [ADDR_A, "", 256],
      [ADDR_B, "rig1", 128],
      [ADDR_A, "rig1", 128],
    ]);
  });

  test("pool aggregates per pool_report_configs, with report_merge per aux currency and UNKNOWN without a job", () => {
    const agg = aggregator({ pool: true });
    agg.addEntry("1-0", [share(1, { aux: ["DOGE"], difficulty: 100 }), share(2, { jobId: "", aux: ["DOGE"], difficulty: 1, result: ShareResult.stale })], T0);
    const kwargs = agg.checkpoint(M1 * 1000 + 1_000).tasks.filter((x) => x.name.endsWith("add_one_minute")).map((x) => x.kwargs);
    expect(kwargs).toEqual([
      { user: ADDR_A, worker: "rig1", minute: M0, valid_shares: 100 },
      { user: "pool", worker: "LTC", minute: M0, valid_shares: 100 },
      { user: "pool_currency", worker: "LTC", minute: M0, valid_shares: 100 },
      { user: "pool_currency", worker: "DOGE", minute: M0, valid_shares: 100 },
      { user: ADDR_A, worker: "rig1", minute: M0, valid_shares: 0, stale_shares: 1 },
      { user: "pool", worker: "LTC", minute: M0, valid_shares: 0, stale_shares: 1 },
      { user: "pool_currency", worker: "UNKNOWN", minute: M0, valid_shares: 0, stale_shares: 1 },
    ]);
  });

  test("a share stamped in a future minute counts in the current one", () => {
    const agg = aggregator();
    agg.addEntry("1-0", [share(1, { time: T0 + 3_600_000 })], T0);
    expect(agg.checkpoint(M1 * 1000 + 1_000).tasks.find((t) => t.name.endsWith("add_one_minute"))?.kwargs.minute).toBe(M0);
  });
});

describe("add_share batches", () => {
  test("valid difficulty per address, sent at the clock-aligned interval, not before", () => {
    const agg = aggregator({ shareBatchSeconds: 180 });
    // T0 = 1700000000 s: the next multiple of 180 s is 1700000100 s, after minute M0's end.
    const boundary = 1_700_000_100_000;
    agg.addEntry("1-0", [share(1, { difficulty: 10 }), share(2, { difficulty: 5 }), share(3, { address: ADDR_B, difficulty: 7 }), share(4, { result: ShareResult.dup, difficulty: 99 })], T0);
    expect(agg.unreportedAddresses).toBe(2);
    expect(agg.dueAt()).toBe(M1 * 1000);
    const early = agg.checkpoint(boundary - 1);
    expect(early.tasks.map((t) => t.name)).toEqual([`${P}.add_one_minute`, `${P}.add_one_minute`, `${P}.add_one_minute`]);
    // The minute is reported, but the entry waits for its add_share.
    expect(early.ackIds).toEqual([]);
    early.commit();
    expect(agg.dueAt()).toBe(boundary);
    const due = agg.checkpoint(boundary);
    expect(due.tasks).toEqual([
      { name: `${P}.add_share`, args: [ADDR_A, 15], kwargs: {} },
      { name: `${P}.add_share`, args: [ADDR_B, 7], kwargs: {} },
    ]);
    expect(due.ackIds).toEqual(["1-0"]);
    due.commit();
    expect(agg.unreportedAddresses).toBe(0);
    expect(agg.heldEntries).toBe(0);
    expect(agg.dueAt()).toBeNull();
  });

  test("a checkpoint that was not committed (its write failed) reports the same again, plus what came since", () => {
    const agg = aggregator();
    agg.addEntry("1-0", [share(1, { difficulty: 10 })], T0);
    const failed = agg.checkpoint(M1 * 1000 + 1_000);
    expect(failed.tasks).toHaveLength(2);
    agg.addEntry("2-0", [share(2, { difficulty: 1, time: T0 + 1 })], M1 * 1000 + 1_500);
    const retry = agg.checkpoint(M1 * 1000 + 2_000);
    expect(retry.tasks.map((t) => (t.name.endsWith("add_share") ? t.args : t.kwargs.valid_shares))).toEqual([11, [ADDR_A, 11]]);
    expect(retry.ackIds).toEqual(["1-0", "2-0"]);
  });

  test("the final checkpoint (shutdown) sends the current minute and the open add_share batch", () => {
    const agg = aggregator({ shareBatchSeconds: 3600 });
    agg.addEntry("1-0", [share(1)], T0);
    agg.addEntry("1-0", [share(1)], T0); // a redelivered entry counts once
    const fin = agg.checkpoint(T0 + 1, true);
    expect(fin.tasks.map((t) => t.name)).toEqual([`${P}.add_one_minute`, `${P}.add_share`]);
    expect(fin.tasks[1]?.args).toEqual([ADDR_A, 128]);
    expect(fin.ackIds).toEqual(["1-0"]);
  });
});

describe("Celery message (protocol v2, kombu Redis envelope)", () => {
  test("round-trips and carries what a Celery worker dispatches on", () => {
    const text = encodeCeleryMessage({ name: `${P}.add_share`, args: [ADDR_A, 0.5], kwargs: {} }, { queue: "celery", origin: "powerpool_0@host", id: "6e1f1a5e-0000-4000-8000-000000000001" });
    const env = JSON.parse(text) as { headers: Record<string, unknown>; properties: Record<string, unknown>; body: string; "content-type": string };
    expect(env["content-type"]).toBe("application/json");
    expect(env.headers).toMatchObject({ task: `${P}.add_share`, id: "6e1f1a5e-0000-4000-8000-000000000001", root_id: "6e1f1a5e-0000-4000-8000-000000000001", retries: 0, timelimit: [null, null], origin: "powerpool_0@host" });
    expect(env.properties).toMatchObject({ body_encoding: "base64", delivery_mode: 2, delivery_info: { exchange: "", routing_key: "celery" } });
    expect(Buffer.from(env.body, "base64").toString()).toBe(`[["${ADDR_A}", 0.5], {}, {"callbacks": null, "errbacks": null, "chain": null, "chord": null}]`);
    expect(decodeCeleryMessage(text)).toEqual({ id: "6e1f1a5e-0000-4000-8000-000000000001", task: `${P}.add_share`, args: [ADDR_A, 0.5], kwargs: {}, queue: "celery" });
  });

  test("refuses a task name that is not a dotted path", () => {
    expect(() => encodeCeleryMessage({ name: "bad name", args: [], kwargs: {} }, { queue: "celery", origin: "x" })).toThrow(RangeError);
  });
});
