/**
 * Issue 14 §1: abuse control never bans an honest miner. A farm of 2,000 machines behind one
 * address (127.0.0.1) mining at a realistic rate (one share per 3 s each, vardiff's target), a
 * miner at a low fixed difficulty (`-d`) sending 1,500 valid shares per second, and one on vardiff
 * sending a burst — with the port's default limits. None is banned, refused or disconnected, every
 * share is accepted, the fast one on vardiff gets a higher difficulty before `interval` has passed.
 * Meanwhile junk from another loopback address (127.0.0.2, through node:net's localAddress) gets
 * that address banned, and the farm does not notice.
 *
 * The edge runs on the test's clock (stratum-env.ts), advanced by hand: rates are per second of
 * that clock, so nothing here depends on the machine's speed. The shares are real (sha256d at tiny
 * difficulties, checked by the share checker simulator).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { BTC_ADDRESS, startTestStratum, type TestStratum } from "../helpers/stratum-env.ts";
import { junkFrom } from "../helpers/junk.ts";
import { TestMiner, type Share } from "../helpers/miner.ts";

const FARM = 2000;
const WAVE = 100;
const FAST_PER_SECOND = 1500;
const SECONDS = 6;

let e: TestStratum;
const farm: TestMiner[] = [];
let fixed: TestMiner;
let vardiff: TestMiner;

beforeAll(async () => {
  // Default limits; vardiff on with fractional tiers so test shares are cheap to mine.
  e = startTestStratum({
    start_difficulty: 1e-8,
    minimum_manual_diff: 1e-9,
    vardiff: { enabled: true, spm_target: 20, interval: 30, minimum_difficulty: 1e-9, maximum_difficulty: 1e-3 },
  });
  e.feed.publish();
  // Machines come up in waves, as a farm does after a power cut.
  for (let i = 0; i < FARM; i += WAVE) {
    const wave = await Promise.all(
      Array.from({ length: WAVE }, async (_, k) => {
        const m = await e.connect();
        await m.cpuMinerHandshake(`${BTC_ADDRESS}.rig${i + k}`);
        return m;
      }),
    );
    farm.push(...wave);
  }
  fixed = await e.connect();
  await fixed.cpuMinerHandshake(`${BTC_ADDRESS}.fixed`, "-d 1e-9");
  vardiff = await e.connect();
  await vardiff.cpuMinerHandshake(`${BTC_ADDRESS}.fast`, "--start-diff 1e-9");
}, 120_000);

afterAll(() => {
  for (const m of [...farm, fixed, vardiff]) m?.[Symbol.dispose]();
  e?.stop();
});

function submitLine(id: number, s: Share): string {
  return `${JSON.stringify({ id, method: "mining.submit", params: ["w", s.jobId, s.extranonce2, s.ntime, s.nonce] })}\n`;
}

/** Replies to this test's submits (ids from 100 up; the handshake used 1 and 2) that accepted / rejected the share. */
const isShareReply = (x: { method?: string; id?: unknown }) => x.method === undefined && typeof x.id === "number" && x.id >= 100;
const accepted = (m: TestMiner) => m.messages.filter((x) => isShareReply(x) && x.result === true).length;
const rejected = (m: TestMiner) => m.messages.filter((x) => isShareReply(x) && x.error !== null && x.error !== undefined).length;

describe("a NAT'd farm, fast miners and junk (issue 14 §1)", () => {
  test(
    "2,000 honest machines behind one address and a 1,500 shares/s miner: none banned, refused or disconnected, every share accepted; junk from 127.0.0.2 is banned",
    async () => {
      const acceptedBefore = new Map(farm.map((m) => [m, accepted(m)]));
      let farmShares = 0;
      let fixedSent = 0;
      let nextId = 1000;
      const startedAt = e.clock.t;
      for (let second = 0; second < SECONDS; second++) {
        // A third of the farm submits each second: 20 shares a minute per machine.
        const submitting = farm.filter((_, i) => i % 3 === second % 3);
        const replies = Promise.all(submitting.map((m) => m.submit(m.mineShare(m.lastJob!), {}).then((r) => r)));
        farmShares += submitting.length;
        // The fixed-difficulty miner pipelines 1,500 valid shares in this second.
        const lines: string[] = [];
        for (let i = 0; i < FAST_PER_SECOND; i++) lines.push(submitLine(nextId++, fixed.mineShare(fixed.lastJob!)));
        fixed.sendRaw(lines.join(""));
        fixedSent += FAST_PER_SECOND;
        for (const r of await replies) expect(r.result).toBe(true);
        // The edge paces the fast miner to max_requests_per_second; the clock moves on while its replies drain.
        e.advance(1000);
        for (let t = 0; t < 400 && accepted(fixed) < fixedSent && !fixed.closed; t++) {
          await Bun.sleep(5);
          if (t % 4 === 3) e.advance(250);
        }
        expect(accepted(fixed)).toBe(fixedSent);
        if (second === 2) {
          // Junk from another address while the farm mines: three offending connections ban 127.0.0.2.
          for (let i = 0; i < 3; i++) expect((await junkFrom("127.0.0.2", e.port.port)).replied).toBe(true);
          expect(await junkFrom("127.0.0.2", e.port.port)).toEqual({ replied: false });
        }
      }
      const elapsedS = (e.clock.t - startedAt) / 1000;

      // Every share accepted, at the rate sent; nobody rejected, disconnected, refused or banned on 127.0.0.1.
      expect(rejected(fixed)).toBe(0);
      expect(fixed.closed).toBe(false);
      expect(fixedSent / SECONDS).toBeGreaterThan(1000);
      expect(e.listener.counters.rateLimited).toBeGreaterThan(0); // it was paced, not punished
      let farmAccepted = 0;
      for (const m of farm) {
        expect(m.closed).toBe(false);
        farmAccepted += accepted(m) - acceptedBefore.get(m)!;
      }
      expect(farmAccepted).toBe(farmShares);
      expect(e.port.sessions.size).toBe(FARM + 2);
      expect(e.listener.counters).toMatchObject({ refusedPerIp: 0, refusedUnauthorized: 0, refusedBanned: 1 });
      const bans = e.edge.guard.list(e.clock.t);
      expect(bans.map((b) => [b.ip, b.kind])).toEqual([["127.0.0.2", "junk"]]);
      expect(e.logLines.some((l) => l.includes("banning 127.0.0.2 for 600s: junk input"))).toBe(true);
      expect(e.logLines.some((l) => /banning 127\.0\.0\.1|closing a connection from 127\.0\.0\.1/.test(l))).toBe(false);
      expect(elapsedS).toBeGreaterThan(0);
    },
    180_000,
  );

  test("the fast miner on vardiff gets a higher difficulty at once, long before `interval`; its shares at the old difficulty are still accepted", async () => {
    const before = vardiff.difficulty;
    expect(before).toBe(1e-9);
    const t0 = e.clock.t;
    const lines: string[] = [];
    for (let i = 0; i < 300; i++) lines.push(submitLine(50_000 + i, vardiff.mineShare(vardiff.lastJob!)));
    vardiff.sendRaw(lines.join(""));
    await vardiff.next((m) => m.method === "mining.set_difficulty", 10_000);
    for (let t = 0; t < 400 && accepted(vardiff) < 300; t++) await Bun.sleep(5);
    expect(accepted(vardiff)).toBe(300);
    expect(vardiff.difficulty).toBeGreaterThan(before * 100);
    expect(e.clock.t - t0).toBeLessThan(30_000); // no port timer or interval was needed
    // The newest job carries the new difficulty, and a share at it is accepted.
    const job = vardiff.lastJob!;
    expect(job.difficulty).toBe(vardiff.difficulty);
    expect((await vardiff.submit(vardiff.mineShare(job))).result).toBe(true);
    expect(vardiff.closed).toBe(false);
    expect(e.edge.guard.list(e.clock.t).map((b) => b.ip)).toEqual(["127.0.0.2"]);
  });
});
