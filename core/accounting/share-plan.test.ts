/** Planning without Redis: routing, in-unit dedup, exclusions and the seen-set run format. */
import { expect, test } from "bun:test";
import { ShareResult } from "../../shared/contract/index.ts";
import { share, testSettings } from "../ingest/testing.ts";
import { buildRouting } from "./routing.ts";
import { encodeRuns, inRanges, parseRuns, planShares, type PlanEntry } from "./share-plan.ts";

const batch = (session: string, records: ReturnType<typeof share>[]) => ({ v: 1 as const, edge: "eu1", session, records });

test("seqs become ascending runs", () => {
  expect(encodeRuns(new Set([5, 1, 2, 3, 9, 10, 7]))).toBe("1-3,5-5,7-7,9-10");
  expect(encodeRuns(new Set())).toBe("");
});

test("a seen-set value reads back as ranges (what the core checks a block's winning share against)", () => {
  const ranges = parseRuns(encodeRuns(new Set([5, 1, 2, 3, 9, 10, 7])));
  expect(ranges).toEqual([[1, 3], [5, 5], [7, 7], [9, 10]]);
  expect([0, 1, 4, 5, 6, 10, 11].map((s) => inRanges(ranges, s))).toEqual([false, true, false, true, false, true, false]);
  expect(parseRuns(null)).toEqual([]);
  expect(parseRuns("")).toEqual([]);
});

test("an unknown port has no reporter (issue 19: keys are built from configured names only)", () => {
  const routing = buildRouting(testSettings("p:"));
  expect(routing.forPort("scrypt_STRAT")?.map((t) => t.key)).toEqual(["redis"]);
  expect(routing.forPort("elsewhere")).toBeUndefined();
  expect(routing.problems).toEqual([]);
});

test("a record repeated within a unit or excluded by an earlier attempt is planned once or not at all", () => {
  const routing = buildRouting(testSettings("p:"));
  const entries: PlanEntry[] = [
    { id: "1-0", batch: batch("0000000a", [share(1), share(2), share(3, { result: ShareResult.invalid })]) },
    { id: "2-0", batch: batch("0000000a", [share(2), share(4)]) },
  ];
  const plan = planShares({
    stream: "p:shares",
    group: "accounting",
    entries,
    route: (port) => routing.forPort(port) ?? [],
    seenKey: (edge, session) => `p:seen:${edge}:${session}`,
    seenTtlSeconds: 60,
    exclude: new Map([["p:seen:eu1:0000000a", [[4, 4] as const]]]),
  });
  expect(plan.applied.map((r) => r.seq)).toEqual([1, 2, 3]);
  expect(plan.keys.slice(0, 2)).toEqual(["p:shares", "p:seen:eu1:0000000a"]);
  // group, ttl, S, H, L, ids, the session's runs, then the entry ids.
  expect(plan.args.slice(0, 9)).toEqual(["accounting", "60", "1", "2", "1", "2", "1-3", "1-0", "2-0"]);
  expect(plan.args.slice(-3)).toEqual(["2", `${share(1).address}:128`, `${share(2).address}:128`]);
});
