/**
 * Submits, job pushes and vardiff over real sockets, with the share checker simulated (it really
 * rebuilds the header and hashes it with sha256d, so the test miner's shares pass or fail for
 * real). Numbers are spec §17 checklist items.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { BTC_ADDRESS, EASY, startTestStratum, type TestStratum } from "../helpers/stratum-env.ts";
import type { TestMiner } from "../helpers/miner.ts";
import { ISSUED_EPOCHS_KEPT } from "../../edge/stratum/issued-jobs.ts";

let env: TestStratum | undefined;
const miners: TestMiner[] = [];
afterEach(() => {
  for (const m of miners.splice(0)) m[Symbol.dispose]();
  env?.stop();
  env = undefined;
});

function start(stratum: Record<string, unknown> = {}): TestStratum {
  env = startTestStratum(stratum);
  return env;
}

/** A connected, authorized CPU miner holding the current job. */
async function cpuMiner(e: TestStratum, user = `${BTC_ADDRESS}.w`, password = "x"): Promise<TestMiner> {
  const m = await e.connect();
  miners.push(m);
  await m.cpuMinerHandshake(user, password);
  return m;
}

const STALE = [21, "Job not found (=stale)", null];

describe("submit (checklist 12, 35–37, 40, 42, 46–48)", () => {
  test("12: submit before authorize → 24 and not_authed_err", async () => {
    const e = start();
    const m = await e.connect();
    miners.push(m);
    await m.request("mining.subscribe", []);
    expect((await m.request("mining.submit", ["w", "a000", "00000000", "5c3a8f10", "00000000"], 4)).raw).toBe('{"error":[24,"Unauthorized worker",null],"id":4,"result":null}');
    expect(e.port.counters.not_authed_err).toBe(1);
  });

  test("47: an accepted share is answered {error:null,id,result:true}; it is credited to the authorized worker", async () => {
    const e = start();
    e.feed.publish();
    const m = await cpuMiner(e);
    const job = m.lastJob!;
    const r = await m.submit(m.mineShare(job), { id: 4, user: "someone-else" });
    expect(r.raw).toBe('{"error":null,"id":4,"result":true}');
    const c = e.checker.checked.at(-1)!;
    expect([c.ctx.address, c.ctx.worker, c.ctx.difficulty]).toEqual([BTC_ADDRESS, "w", EASY]);
    expect(Buffer.from(c.ctx.extranonce1).toString("hex")).toBe(m.extranonce1);
    expect(e.port.counters.acc).toBe(1);
  });

  test("35: a job id never issued → 21 (the checker still records it, as stale)", async () => {
    const e = start();
    e.feed.publish();
    const m = await cpuMiner(e);
    const share = { ...m.mineShare(m.lastJob!), jobId: "ffff" };
    expect((await m.submit(share)).error).toEqual(STALE);
    expect(e.checker.checked.at(-1)?.ctx.stale).toBe(true);
    expect(e.port.counters.stale).toBe(1);
  });

  test("36, 37: after a flush (clean_jobs=true) older ids are stale; after a push (type 1) they still count", async () => {
    const e = start();
    e.feed.publish();
    const m = await cpuMiner(e);
    const first = m.lastJob!;
    e.feed.publish({ type: 1 });
    const pushed = await m.nextJob();
    expect(pushed.clean).toBe(false);
    expect((await m.submit(m.mineShare(first))).result).toBe(true);
    e.feed.publish({ type: 0 });
    const flushed = await m.nextJob();
    expect(flushed.clean).toBe(true);
    expect((await m.submit(m.mineShare(first))).error).toEqual(STALE);
    expect((await m.submit(m.mineShare(pushed))).error).toEqual(STALE);
    expect((await m.submit(m.mineShare(flushed))).result).toBe(true);
  });

  test("40, 42, 44: low difficulty → 23 (and again 23, not dup); a resubmitted share → 22", async () => {
    const e = start();
    e.feed.publish();
    const m = await cpuMiner(e);
    const job = m.lastJob!;
    const low = m.lowShare(job);
    expect((await m.submit(low)).raw).toMatch(/^\{"error":\[23,"Low difficulty share",null\]/);
    expect((await m.submit(low)).error?.toString()).toContain("23");
    const good = m.mineShare(job);
    expect((await m.submit(good)).result).toBe(true);
    expect((await m.submit({ ...good, nonce: good.nonce.toUpperCase() })).error).toEqual([22, "Duplicate share", null]);
  });

  test("46: a share is checked at the difficulty its job id was issued with, not the current one", async () => {
    const e = start();
    e.feed.publish();
    const m = await cpuMiner(e);
    const old = m.lastJob!;
    await m.request("mining.suggest_difficulty", [EASY * 64]);
    const repushed = await m.nextJob();
    expect(repushed.difficulty).toBe(EASY * 64);
    // Good enough for the old difficulty only.
    const share = m.mineShare(old, { difficulty: EASY, below: EASY * 64 });
    expect((await m.submit(share)).result).toBe(true);
    expect(e.checker.checked.at(-1)?.ctx.difficulty).toBe(EASY);
    const same = m.mineShare(repushed, { difficulty: EASY, below: EASY * 64 });
    expect((await m.submit(same)).error).toEqual([23, "Low difficulty share", null]);
    expect(e.checker.checked.at(-1)?.ctx.difficulty).toBe(EASY * 64);
    // The checker sees the job's own id for a per-client re-push id.
    expect(e.checker.checked.at(-1)?.params.jobId).toBe(old.id);
  });

  test("malformed params → 20 with a reply, never silence (fix of spec §15 items 4 and 18)", async () => {
    const e = start();
    e.feed.publish();
    const m = await cpuMiner(e);
    const j = m.lastJob!.id;
    const bad: unknown[][] = [
      ["w", j, "00000000", "5c3a8f10"], // 4 params
      ["w", j, "000000", "5c3a8f10", "00000000"], // extranonce2 of 3 bytes
      ["w", j, "0000000000", "5c3a8f10", "00000000"], // of 5 bytes
      ["w", j, "0000000g", "5c3a8f10", "00000000"], // not hex
      ["w", j, "00000000", "5c3a8f1", "00000000"], // short ntime
      ["w", j, "00000000", "5c3a8f10", 1234], // nonce not a string
      ["w", 17, "00000000", "5c3a8f10", "00000000"], // job id not a string
      ["w", j, "00000000", "5c3a8f10", "00000000", "xyz"], // version bits not 8 hex
    ];
    for (const params of bad) expect((await m.request("mining.submit", params)).error).toEqual([20, "Other/Unknown", null]);
    m.sendLine('{"id":9,"method":"mining.submit","params":{"job":1}}');
    expect((await m.next((x) => x.id === 9)).error).toEqual([20, "Other/Unknown", null]);
    expect(e.port.counters.invalid).toBe(bad.length);
  });

  test("48: contrib/check_stratum.py's flow gets an error reply (23)", async () => {
    const e = start({ start_difficulty: 1 });
    e.feed.publish();
    const m = await e.connect();
    miners.push(m);
    await m.request("mining.subscribe", ["stratum_check/0.1"], 100);
    await m.request("mining.authorize", ["testing", ""], 200);
    const notify = await m.nextMethod("mining.notify");
    const r = await m.request("mining.submit", ["testing", notify.params![0], "00000000", "545d2122", "28030000"], 300);
    expect(r.id).toBe(300);
    expect(r.error).toEqual([23, "Low difficulty share", null]);
  });

  test("replies keep request order when a check is asynchronous", async () => {
    const e = start();
    e.feed.publish();
    const m = await cpuMiner(e);
    e.checker.mode = "async";
    const a = m.submit(m.mineShare(m.lastJob!), { id: 11 });
    const b = m.request("mining.extranonce.subscribe", [], 12);
    for (let i = 0; i < 100 && e.checker.pending === 0; i++) await Bun.sleep(5);
    await Bun.sleep(20);
    expect(m.unread.filter((x) => x.id === 12)).toHaveLength(0); // held behind 11
    e.checker.release();
    await Promise.all([a, b]);
    const ids = m.messages.filter((x) => x.id === 11 || x.id === 12).map((x) => x.id);
    expect(ids).toEqual([11, 12]);
  });

  test("job ids stay valid across 100+ pushes (fix of spec §15 item 7); ids older than the last ISSUED_EPOCHS_KEPT difficulty changes are unknown", async () => {
    const e = start();
    e.feed.publish();
    const m = await cpuMiner(e);
    const kept: string[] = [];
    for (let i = 0; i < 120; i++) kept.push(e.feed.publish({ type: 1 }).id);
    await m.next((x) => x.method === "mining.notify" && x.params?.[0] === kept.at(-1));
    for (const i of [0, 70]) expect((await m.submit(m.mineShare(m.jobs.get(kept[i]!)!))).result).toBe(true);
    // Each difficulty change starts an epoch (edge/stratum/issued-jobs.ts); the first one drops out.
    for (let i = 0; i < ISSUED_EPOCHS_KEPT; i++) {
      await m.request("mining.suggest_difficulty", [i % 2 === 0 ? EASY * 2 : EASY]);
      await m.nextJob();
    }
    const evicted = m.jobs.get(kept[1]!)!;
    expect((await m.submit(m.mineShare(evicted, { difficulty: EASY * 2 }))).error).toEqual(STALE);
  });
});

describe("job broadcast (checklist 20, 59)", () => {
  test("59: new jobs go to authorized clients only, as one shared buffer built once", async () => {
    const e = start();
    e.feed.publish();
    const a = await cpuMiner(e);
    const b = await cpuMiner(e);
    const idle = await e.connect();
    miners.push(idle);
    await idle.request("mining.subscribe", []);
    const job = e.feed.publish({ type: 0 });
    const [ja, jb] = [await a.nextJob(), await b.nextJob()];
    expect(ja.id).toBe(job.id);
    expect(jb.id).toBe(job.id);
    expect(ja.clean && jb.clean).toBe(true);
    expect(job.builds).toEqual({ shared: 1, withId: 0 });
    await Bun.sleep(20);
    expect(idle.messages.some((x) => x.method === "mining.notify")).toBe(false);
  });

  test("a refresh (type 2) is not broadcast; it goes out with the next keepalive", async () => {
    const e = start({ push_job_interval: 30 });
    e.feed.publish();
    const m = await cpuMiner(e);
    const refresh = e.feed.publish({ type: 2 });
    await Bun.sleep(20);
    expect(m.unread.some((x) => x.method === "mining.notify")).toBe(false);
    e.advance(30_000);
    const next = await m.nextJob();
    expect(next.id).toBe(refresh.id);
    expect(next.clean).toBe(false);
  });

  test("20 (differs): a broadcast id is shared by all clients; every re-push to a client gets a new id", async () => {
    const e = start({ push_job_interval: 30 });
    const job = e.feed.publish();
    const m = await cpuMiner(e);
    const ids = [m.lastJob!.id];
    for (let i = 0; i < 3; i++) {
      e.advance(30_000);
      ids.push((await m.nextJob()).id);
    }
    expect(ids[0]).toBe(job.id);
    expect(new Set(ids).size).toBe(4);
    for (const id of ids.slice(1)) expect(id.startsWith(`${job.id}.`)).toBe(true);
  });
});

describe("vardiff over the wire (checklist 49–55, per-connection rate)", () => {
  const TIERS = [EASY, 2 * EASY, 4 * EASY, 8 * EASY, 16 * EASY];
  const vardiff = { push_job_interval: 600, vardiff: { enabled: true, tiers: TIERS, interval: 30, spm_target: 20 } };

  test("54: moving up sends set_difficulty right before a notify whose new id carries it; older ids keep theirs", async () => {
    const e = start(vardiff);
    e.feed.publish();
    const m = await cpuMiner(e);
    const old = m.lastJob!;
    for (let i = 0; i < 40; i++) {
      expect((await m.submit(m.mineShare(old))).result).toBe(true);
      e.clock.t += 500;
    }
    e.clock.t += 11_000; // past the interval: the next submit retargets
    expect((await m.submit(m.mineShare(old))).result).toBe(true);
    const set = await m.nextMethod("mining.set_difficulty");
    expect(set.params).toEqual([4 * EASY]);
    expect(m.messages[m.messages.indexOf(set) + 1]?.method).toBe("mining.notify");
    const next = await m.nextJob();
    expect(next.id).not.toBe(old.id);
    expect(next.difficulty).toBe(4 * EASY);
    expect((await m.submit(m.mineShare(old, { below: 4 * EASY }))).result).toBe(true);
    expect((await m.submit(m.mineShare(next, { difficulty: EASY, below: 4 * EASY }))).error).toEqual([23, "Low difficulty share", null]);
    expect(e.port.counters.vardiffChanges).toBe(1);
  });

  test("a silent miner whose difficulty is too high comes down on the timer, without sending anything", async () => {
    const e = start({ ...vardiff, start_difficulty: 16 * EASY });
    e.feed.publish();
    const m = await cpuMiner(e);
    e.advance(29_000);
    await Bun.sleep(10);
    expect(m.unread.some((x) => x.method === "mining.set_difficulty")).toBe(false);
    e.advance(2_000);
    expect((await m.nextMethod("mining.set_difficulty")).params).toEqual([EASY]);
    expect((await m.nextJob()).difficulty).toBe(EASY);
  });

  test("55 (fix of spec §15 item 26): rigs on one address are sized by their own rates", async () => {
    const e = start(vardiff);
    e.feed.publish();
    const busy = await cpuMiner(e, `${BTC_ADDRESS}.busy`);
    const slow = await cpuMiner(e, `${BTC_ADDRESS}.slow`);
    for (let i = 0; i < 40; i++) {
      await busy.submit(busy.mineShare(busy.lastJob!));
      e.clock.t += 500;
    }
    await slow.submit(slow.mineShare(slow.lastJob!));
    e.clock.t += 11_000;
    await busy.submit(busy.mineShare(busy.lastJob!));
    await slow.submit(slow.mineShare(slow.lastJob!));
    expect((await busy.nextMethod("mining.set_difficulty")).params).toEqual([4 * EASY]);
    await Bun.sleep(20);
    expect(slow.unread.some((x) => x.method === "mining.set_difficulty")).toBe(false);
  });

  test("-d turns vardiff off for that connection only", async () => {
    const e = start({ ...vardiff, start_difficulty: 16 * EASY });
    e.feed.publish();
    const fixed = await cpuMiner(e, BTC_ADDRESS, `-d ${16 * EASY}`);
    e.advance(31_000);
    await Bun.sleep(20);
    expect(fixed.unread.some((x) => x.method === "mining.set_difficulty")).toBe(false);
  });
});

describe("status (StatusProvider)", () => {
  test("counts, the client list, and hashrate from the first share, with the time it covers", async () => {
    const e = start();
    e.feed.publish();
    e.clock.t = Math.ceil(e.clock.t / 60_000) * 60_000 + 1_000;
    expect(e.edge.status.ports()[0]).toMatchObject({ hashrate: 0, hashrateSpanMs: 0 }); // no miner yet
    const m = await cpuMiner(e, `${BTC_ADDRESS}.rig`);
    e.clock.t += 2_000;
    expect((await m.submit(m.mineShare(m.lastJob!))).result).toBe(true);
    const other = await e.connect();
    miners.push(other);
    await other.request("mining.subscribe", ["x/1"]);
    e.clock.t += 8_000;
    const [s] = e.edge.status.ports();
    expect(s).toMatchObject({ key: "main", jobmanager: "BTC", algo: "sha256d", clients: 2, authed: 1, idle: 0, agentClients: 0 });
    // 10 s since the first miner connected, not a minute that has not passed yet.
    expect(s!.hashrateSpanMs).toBe(10_000);
    expect(s!.hashrate).toBeCloseTo((EASY * 2 ** 32) / 10, 6);
    expect(s!.shares).toEqual({ acc: 1, dup: 0, low: 0, stale: 0, invalid: 0 });
    expect(s!.clientList).toHaveLength(1);
    expect(s!.clientList![0]).toMatchObject({ extranonce1: m.extranonce1, address: BTC_ADDRESS, worker: "rig", userAgent: "cpuminer/2.5.1", acceptedDifficulty: EASY, jobIds: 1 });
    expect(s!.clientList![0]!.hashrate).toBeCloseTo((EASY * 2 ** 32) / 10, 6);
    // A minute later the share has left the window.
    e.clock.t += 60_000;
    expect(e.edge.status.ports()[0]).toMatchObject({ hashrate: 0 });
  });
});
