import { describe, expect, test } from "bun:test";
import { JobType, type JobType as JobTypeValue } from "../../shared/contract/index.ts";
import { buildJob, jobSettings, parseTemplate, type StoredJob } from "../jobs/index.ts";
import { rawTemplate } from "../jobs/testing.ts";
import type { CoinScore } from "./scores.ts";
import { forwardJob, SwitchState, switchJob, type SwitchAction } from "./state.ts";

const COINS = [
  { key: "BTC", currency: "BTC", maxBlockheight: null },
  { key: "BCH", currency: "BCH", maxBlockheight: null },
  { key: "XYZ", currency: "XYZ", maxBlockheight: 1000 },
];

let seq = 0;
/** A real job (core/jobs' builder) of `coin` at `height`; every coin gets the same reward and difficulty unless told. */
function job(coin: string, type: JobTypeValue, height = 500, over: Record<string, unknown> = {}): StoredJob {
  const s = jobSettings(
    { key: coin, currency: coin, algo: "sha256d", network: "bitcoin", pool_address: "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", rules: ["segwit"], coinbase_tag: "/t/", version_mask: 0x1fffe000, diff1: 0xffffn << 208n, pow_block_hash: false },
    { extranonce_serv_size: 4, extranonce_size: 4 },
  );
  const id = (++seq).toString(16).padStart(20, "0");
  return buildJob(parseTemplate(rawTemplate({ height, coinbasevalue: 5_000_000_000, bits: "1d00ffff", previousblockhash: height.toString(16).padStart(64, "0"), ...over })), s, id, type).stored;
}

const scores = (s: Record<string, number | [number, number]>): Map<string, CoinScore> =>
  new Map(Object.entries(s).map(([k, v]) => [k, Array.isArray(v) ? { score: v[0], ratio: v[1] } : { score: v, ratio: 1 }]));

const summary = (actions: readonly SwitchAction[]) => actions.map((a) => (a.kind === "switch" ? `switch ${a.from ?? "-"}→${a.coin} (${a.reason}) ${a.stored.job.id}` : `forward ${a.coin} ${a.stored.job.id}`));

/** A switcher on BTC (scores favour it), with one flush job of each coin seen. */
function onBtc(): { st: SwitchState; jobs: Record<"BTC" | "BCH" | "XYZ", StoredJob> } {
  const st = new SwitchState(COINS, 1.2);
  const jobs = { BTC: job("BTC", JobType.flush), BCH: job("BCH", JobType.flush), XYZ: job("XYZ", JobType.flush) };
  for (const [k, j] of Object.entries(jobs)) expect(st.onJob(k, j, 1)).toEqual([]);
  expect(summary(st.applyScores(scores({ BTC: 10, BCH: 5, XYZ: 1 }), 2).actions)).toEqual([`switch -→BTC (start) ${jobs.BTC.job.id}`]);
  return { st, jobs };
}

describe("SwitchState", () => {
  test("nothing is chosen before the first score reading; then the favoured coin's latest job, at once", () => {
    const { st } = onBtc();
    expect(st.current).toBe("BTC");
    expect(st.next).toBe("BTC");
    expect(st.lastSwitch).toEqual({ at: 2, from: null, to: "BTC", reason: "start" });
    // 50 coins × 10 / difficulty 1 × 1e6.
    expect(st.profitOf("BTC")).toBeCloseTo(5e8, 0);
  });

  test("the current coin's jobs are forwarded; other coins' are not", () => {
    const { st } = onBtc();
    const refresh = job("BTC", JobType.refresh);
    expect(summary(st.onJob("BTC", refresh, 3))).toEqual([`forward BTC ${refresh.job.id}`]);
    expect(st.onJob("BCH", job("BCH", JobType.refresh), 3)).toEqual([]);
    const flush = job("BTC", JobType.flush, 501);
    expect(summary(st.onJob("BTC", flush, 4))).toEqual([`forward BTC ${flush.job.id}`]);
  });

  test("a better coin beyond the margin: switch at once to its latest job", () => {
    const { st, jobs } = onBtc();
    const r = st.applyScores(scores({ BTC: 10, BCH: 12.5, XYZ: 1 }), 5);
    expect(r.changed).toBe(true);
    expect(summary(r.actions)).toEqual([`switch BTC→BCH (margin) ${jobs.BCH.job.id}`]);
    expect(st.current).toBe("BCH");
    expect(st.lastSwitch).toEqual({ at: 5, from: "BTC", to: "BCH", reason: "margin" });
    // The same reading again changes nothing.
    expect(st.applyScores(scores({ BTC: 10, BCH: 12.5, XYZ: 1 }), 6)).toEqual({ changed: false, actions: [] });
  });

  test("a better coin within the margin waits for the current coin's next block", () => {
    const { st, jobs } = onBtc();
    expect(st.applyScores(scores({ BTC: 10, BCH: 11.5, XYZ: 1 }), 5).actions).toEqual([]);
    expect(st.current).toBe("BTC");
    expect(st.next).toBe("BCH");
    // The current coin's refresh job is no block: forwarded, no switch yet.
    const refresh = job("BTC", JobType.refresh);
    expect(summary(st.onJob("BTC", refresh, 6))).toEqual([`forward BTC ${refresh.job.id}`]);
    // BCH's own new block updates its job but does not switch either (BTC has had no block).
    const bchNext = job("BCH", JobType.flush, 501);
    expect(st.onJob("BCH", bchNext, 7)).toEqual([]);
    // BTC's next block: the switch, to BCH's newest job.
    expect(summary(st.onJob("BTC", job("BTC", JobType.flush, 501), 8))).toEqual([`switch BTC→BCH (next-block) ${bchNext.job.id}`]);
    expect(st.current).toBe("BCH");
    expect(jobs.BCH).not.toBe(bchNext);
  });

  test("a pending switch is dropped when the current coin is best again before its next block", () => {
    const { st } = onBtc();
    st.applyScores(scores({ BTC: 10, BCH: 11.5, XYZ: 1 }), 5);
    expect(st.next).toBe("BCH");
    st.applyScores(scores({ BTC: 10, BCH: 9, XYZ: 1 }), 6);
    expect(st.next).toBe("BTC");
    const flush = job("BTC", JobType.flush, 501);
    expect(summary(st.onJob("BTC", flush, 7))).toEqual([`forward BTC ${flush.job.id}`]);
  });

  test("a new best appearing while a next is pending: beyond the margin at once, within it as the new next", () => {
    const { st, jobs } = onBtc();
    st.applyScores(scores({ BTC: 10, BCH: 11, XYZ: 1 }), 5);
    expect(st.next).toBe("BCH");
    st.applyScores(scores({ BTC: 10, BCH: 11, XYZ: 11.5 }), 6);
    expect(st.next).toBe("XYZ");
    expect(summary(st.applyScores(scores({ BTC: 10, BCH: 11, XYZ: 13 }), 7).actions)).toEqual([`switch BTC→XYZ (margin) ${jobs.XYZ.job.id}`]);
  });

  test("a flush job of another coin that now beats the current one by the margin switches to that job", () => {
    const { st } = onBtc();
    // Same score, but BCH's next block pays 1.5 times as much (a fee spike): beyond the 1.2 margin.
    st.applyScores(scores({ BTC: 10, BCH: 10, XYZ: 1 }), 5);
    const rich = job("BCH", JobType.flush, 501, { coinbasevalue: 7_500_000_000 });
    expect(summary(st.onJob("BCH", rich, 6))).toEqual([`switch BTC→BCH (margin) ${rich.job.id}`]);
  });

  test("max_blockheight: a coin at or above it scores 0 whatever its score", () => {
    const { st } = onBtc();
    const high = job("XYZ", JobType.flush, 1000);
    expect(st.onJob("XYZ", high, 5)).toEqual([]);
    expect(st.applyScores(scores({ BTC: 10, BCH: 5, XYZ: 1e6 }), 6).actions).toEqual([]);
    expect(st.profitOf("XYZ")).toBe(0);
    expect(st.current).toBe("BTC");
    // Below the limit the same score wins at once.
    const st2 = new SwitchState(COINS, 1.2);
    st2.onJob("BTC", job("BTC", JobType.flush), 1);
    st2.onJob("XYZ", job("XYZ", JobType.flush, 999), 1);
    expect(summary(st2.applyScores(scores({ BTC: 10, XYZ: 1e6 }), 2).actions)[0]).toStartWith("switch -→XYZ (start)");
  });

  test("missing scores: every coin scores 0 and the first configured coin with a job is mined; a ratio scales the score", () => {
    const st = new SwitchState(COINS, 1.2);
    const bch = job("BCH", JobType.flush);
    st.onJob("BCH", bch, 1);
    expect(summary(st.applyScores(new Map(), 2).actions)).toEqual([`switch -→BCH (start) ${bch.job.id}`]);
    const btc = job("BTC", JobType.flush);
    st.onJob("BTC", btc, 3);
    expect(st.profitOf("BTC")).toBe(0);
    expect(st.current).toBe("BCH");
    // Ratio 0.1 brings BTC's 20 down to 2, below BCH's 3: no switch.
    expect(st.applyScores(scores({ BTC: [20, 0.1], BCH: 3 }), 4).actions).toEqual([]);
    expect(st.current).toBe("BCH");
    expect(summary(st.applyScores(scores({ BTC: [20, 1], BCH: 3 }), 5).actions)).toEqual([`switch BCH→BTC (margin) ${btc.job.id}`]);
  });

  test("published jobs are copies under the switcher's name; the child's job is untouched", () => {
    const child = job("BCH", JobType.refresh);
    const before = structuredClone(child.job);
    const sw = switchJob(child.job, "multi", "ffffffffffffffffffff", 42);
    expect(sw).toEqual({ ...before, id: "ffffffffffffffffffff", jobmanager: "multi", type: JobType.flush, createdAt: 42 });
    expect(forwardJob(child.job, "multi")).toEqual({ ...before, jobmanager: "multi" });
    expect(child.job).toEqual(before);
    expect(sw.coin).toBe("BCH");
    expect(sw.currency).toBe("BCH");
  });
});
