/**
 * The SV2 listener through real sockets, without Redis or a coinserver: the edge's stratum side as
 * edge/server.ts starts it (v1 port + SV2 listener), with the real job cache and share checker
 * (a recording sink instead of the forwarder), the test clock moved by hand and the test SV2
 * client (test/helpers/sv2-miner.ts, written from the spec). Covers what the bcoin end-to-end test
 * does not: vardiff's SetTarget and its grace period, Success batching, UpdateChannel,
 * CloseChannel, SetupConnection flags, extranonce renewal and Reconnect at shutdown.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spec16Job } from "../../shared/contract/testing.ts";
import type { BlockCandidateV1, JobV1 } from "../../shared/contract/index.ts";
import { captureLog } from "../../test/helpers/log-capture.ts";
import { testConfig, TestClock } from "../../test/helpers/stratum-env.ts";
import { Extranonce1AllocatorSimulator } from "../../test/helpers/stratum-simulators.ts";
import { headerFromProof } from "../../test/helpers/proof.ts";
import { Sv2TestMiner } from "../../test/helpers/sv2-miner.ts";
import type { ShareFields } from "../forward/index.ts";
import { JobCache } from "../jobs/index.ts";
import { startEdgeStratum, type EdgeStratum } from "../server.ts";
import { EdgeShareChecker, powTable, sha256dPow, type ShareSink } from "../shares/index.ts";
import { certifyEdgeKey, newAuthorityKey } from "./keys.ts";
import { HandshakeBudget } from "./handshake-budget.ts";
import * as M from "./messages.ts";

class RecordingSink implements ShareSink {
  readonly edge = "t";
  readonly session = "00000001";
  readonly shares: ShareFields[] = [];
  share(f: ShareFields): number {
    // The checker reuses its record object and its proof's buffers: copy them.
    this.shares.push({ ...f, extranonce1: f.extranonce1.slice(), extranonce2: f.extranonce2.slice() });
    return this.shares.length;
  }
  blockShare(f: ShareFields, build: (seq: number) => BlockCandidateV1) {
    const candidate = build(this.shares.length + 1);
    this.share(f);
    return { candidate, sent: Promise.resolve() };
  }
}

const ADDRESS = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa";
const concat = (a: Uint8Array, b: Uint8Array) => Uint8Array.from([...a, ...b]);
/** spec16Job's diff1 is 2^256 − 1: difficulty d is target (2^256 − 1) / d, and difficulty 1 takes any hash. */
const MAX = 2n ** 256n - 1n;
const targetToBig = (t: Uint8Array) => t.reduceRight((v, b) => (v << 8n) | BigInt(b), 0n);
const difficultyOf = (t: Uint8Array) => Number(MAX / targetToBig(t));

function setup(stratum: Record<string, unknown> = {}, coin: Record<string, unknown> = {}) {
  const dir = mkdtempSync(join(tmpdir(), "pp-sv2-"));
  const authority = newAuthorityKey();
  const now = Math.floor(Date.now() / 1000);
  writeFileSync(join(dir, "key.json"), certifyEdgeKey(authority, now - 60, now + 30 * 86400));
  const config = testConfig({ start_difficulty: 1, minimum_manual_diff: 0.1, vardiff: { enabled: false, minimum_difficulty: 0.1, maximum_difficulty: 64 }, ...stratum, sv2: { enabled: true, key_file: join(dir, "key.json"), ...(stratum.sv2 as object | undefined) } }, coin);
  const { log, lines } = captureLog("edge");
  const jobs = new JobCache({ log });
  const sink = new RecordingSink();
  const checker = new EdgeShareChecker({ jobs, sink, pow: powTable({ sha256d: sha256dPow }), log });
  const allocator = new Extranonce1AllocatorSimulator();
  const clock = new TestClock();
  // The test miner rolls ntime from the wall clock; the checker bounds it by the edge's clock.
  clock.t = Date.now();
  const publish = (over: Partial<JobV1> = {}) => jobs.add(spec16Job({ jobmanager: "BTC", coin: "BTC", currency: "BTC", target: "00".repeat(32), ...over }))!;
  publish();
  const edge: EdgeStratum = startEdgeStratum({ config, ports: ["main"], feed: jobs, checker, allocator, log, clock, timer: false, listenPorts: { main: 0 }, sv2ListenPorts: { main: 0 }, hostname: "127.0.0.1" });
  const sv2 = edge.sv2.get("main")!;
  const connect = () => Sv2TestMiner.connect(sv2.port, authority.publicKey);
  const stop = () => {
    edge.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  return { edge, sv2, sink, jobs, allocator, clock, publish, connect, stop, lines };
}

let current: ReturnType<typeof setup> | undefined;
afterEach(() => {
  current?.stop();
  current = undefined;
});

describe("SV2 listener", () => {
  test("Success is batched per read (32 at most per message); an accepted share is recorded like a v1 share", async () => {
    const t = (current = setup());
    const m = await t.connect();
    await m.setup(M.SetupFlag.requiresStandardJobs);
    const ch = await m.openStandard(`${ADDRESS}.w1`);
    expect(difficultyOf(ch.target)).toBe(1);
    const shares = Array.from({ length: 40 }, () => m.mine(ch));
    m.sendRaw(Uint8Array.from(shares.flatMap((s) => [...m.encrypt(M.encodeSubmitShares(s))])));
    const a = await m.nextSubmitReply(ch.channelId);
    const b = await m.nextSubmitReply(ch.channelId);
    expect(a.fields).toMatchObject({ newSubmitsAcceptedCount: 32, lastSequenceNumber: shares[31]!.sequenceNumber, newSharesSum: 32n });
    expect(b.fields).toMatchObject({ newSubmitsAcceptedCount: 8, lastSequenceNumber: shares[39]!.sequenceNumber, newSharesSum: 8n });
    expect(t.sink.shares).toHaveLength(40);
    expect(t.sink.shares[0]).toMatchObject({ address: ADDRESS, worker: "w1", port: "main", jobmanager: "BTC", difficulty: 1 });
    m.close();
  });

  test("a record's proof rebuilds the header the miner hashed from the core's job: standard channel (its whole extranonce fixed) and extended (its own extranonce, rolled version)", async () => {
    const t = (current = setup());
    const m = await t.connect();
    await m.setup(M.SetupFlag.requiresVersionRolling);
    const std = await m.openStandard(`${ADDRESS}.std`);
    const ext = await m.openExtended(`${ADDRESS}.ext`);
    const job = t.jobs.latest("BTC")!.job;
    const shares = [m.mine(std), m.mine(ext), m.mine(ext, { versionBits: 0x6000, extranonce: Uint8Array.from([1, 2, 3, 4]) })];
    for (const s of shares) {
      m.submit(s);
      expect((await m.nextSubmitReply(s.channelId)).msgType).toBe(M.MsgType.SubmitSharesSuccess);
    }
    const records = t.sink.shares;
    expect(records.map((r) => [r.result, r.jobId])).toEqual(shares.map(() => [0, job.id]));
    expect(records.map((r) => Buffer.from(headerFromProof(job, r)).toString("hex"))).toEqual(shares.map((s) => Buffer.from(s.header).toString("hex")));
    // Standard: the channel's extranonce1 and the zeros after it that the miner was given as its prefix.
    expect(Buffer.from(concat(records[0]!.extranonce1, records[0]!.extranonce2))).toEqual(Buffer.from(std.extranoncePrefix));
    expect(records[0]!.extranonce2).toEqual(new Uint8Array(job.extranonce2Size));
    // Extended: the prefix it was given, then what it rolled.
    expect(Buffer.from(records[2]!.extranonce1)).toEqual(Buffer.from(ext.extranoncePrefix));
    expect(Array.from(records[2]!.extranonce2)).toEqual([1, 2, 3, 4]);
    expect(records[2]!.version).toBe((job.version | 0x6000) >>> 0);
    m.close();
  });

  test("vardiff raises the target by SetTarget; shares found at the old target during the grace period still count, at the lower difficulty", async () => {
    const t = (current = setup({ vardiff: { enabled: true, spm_target: 10, interval: 5, tiers: [1, 2, 4, 8], minimum_difficulty: 1, maximum_difficulty: 8 } }));
    const m = await t.connect();
    await m.setup(0);
    const ch = await m.openExtended(`${ADDRESS}.vd`);
    // nominal_hash_rate sets the first difficulty: 0.7 h/s at 10 shares a minute and diff1 = 2^256 − 1 is ~4.2 → tier 4.
    m.nominalHashRate = 0.7;
    expect(difficultyOf((await m.openStandard(`${ADDRESS}.guess`)).target)).toBe(4);
    for (let i = 0; i < 30; i++) m.submit(m.mine(ch));
    for (let n = 0; n < 30; ) n += (await m.nextSubmitReply(ch.channelId)).fields.newSubmitsAcceptedCount as number;
    t.clock.t += 6000;
    const old = m.mine(ch); // at the old target
    m.submit(old);
    const setTarget = await m.nextOf(M.MsgType.SetTarget, "SetTarget");
    expect(setTarget.fields.channelId).toBe(ch.channelId);
    expect(difficultyOf(setTarget.fields.maximumTarget as Uint8Array)).toBe(8);
    expect((await m.nextSubmitReply(ch.channelId)).msgType).toBe(M.MsgType.SubmitSharesSuccess);
    // In flight while the SetTarget travelled: accepted, credited at 1.
    const late = m.mine(ch, { target: new Uint8Array(32).fill(0xff) });
    m.submit(late);
    expect((await m.nextSubmitReply(ch.channelId)).msgType).toBe(M.MsgType.SubmitSharesSuccess);
    expect(t.sink.shares.at(-1)).toMatchObject({ difficulty: 1, result: 0 });
    // After the grace period, the new target holds: a share missing it is low.
    t.clock.t += 11_000;
    const miss = m.mine(ch, { miss: true });
    m.submit(miss);
    expect((await m.nextSubmitReply(ch.channelId)).fields).toMatchObject({ errorCode: "difficulty-too-low" });
    expect(t.sink.shares.at(-1)).toMatchObject({ difficulty: 8 });
    m.close();
  });

  test("UpdateChannel with a lower maximum target is honoured with SetTarget; a bad channel id gets UpdateChannel.Error", async () => {
    const t = (current = setup());
    const m = await t.connect();
    await m.setup(M.SetupFlag.requiresStandardJobs);
    const ch = await m.openStandard(`${ADDRESS}.u`);
    const want = MAX / 16n;
    const le = new Uint8Array(32);
    for (let i = 0, v = want; i < 32; i++, v >>= 8n) le[i] = Number(v & 0xffn);
    m.send(M.encodeUpdateChannel(ch.channelId, 1e12, le));
    const st = await m.nextOf(M.MsgType.SetTarget);
    expect(targetToBig(st.fields.maximumTarget as Uint8Array) <= want).toBe(true);
    m.send(M.encodeUpdateChannel(4242, 1, le));
    expect((await m.nextOf(M.MsgType.UpdateChannelError)).fields).toEqual({ channelId: 4242, errorCode: "invalid-channel-id" });
    m.close();
  });

  test("CloseChannel gives the extranonce back; the connection's close gives back the rest", async () => {
    const t = (current = setup());
    const m = await t.connect();
    await m.setup(0);
    const a = await m.openExtended(`${ADDRESS}.a`);
    await m.openStandard(`${ADDRESS}.b`);
    expect(t.allocator.live.size).toBe(2);
    expect(t.sv2.channels).toBe(2);
    m.send(M.encodeCloseChannel(a.channelId, "bye"));
    m.submit(m.mine(a));
    expect((await m.nextSubmitReply(a.channelId)).fields).toMatchObject({ errorCode: "invalid-channel-id" });
    expect(t.allocator.live.size).toBe(1);
    m.close();
    const deadline = Date.now() + 5000;
    while (t.allocator.live.size > 0 && Date.now() < deadline) await Bun.sleep(10);
    expect(t.allocator.live.size).toBe(0);
    expect(t.sv2.channels).toBe(0);
  });

  test("SetupConnection: version rolling is refused by name where the coin allows none, and the success says REQUIRES_FIXED_VERSION", async () => {
    const t = (current = setup({}, { version_mask: 0 }));
    const m = await t.connect();
    expect((await m.setup(M.SetupFlag.requiresVersionRolling | M.SetupFlag.requiresStandardJobs)).fields).toEqual({ flags: M.SetupFlag.requiresVersionRolling, errorCode: "unsupported-feature-flags" });
    expect(await m.waitClosed()).toBe(true);
    const ok = await t.connect();
    expect((await ok.setup(M.SetupFlag.requiresStandardJobs)).fields).toEqual({ usedVersion: 2, flags: M.SuccessFlag.requiresFixedVersion });
    ok.close();
  });

  test("a new extranonce1 (lease back) reaches channels as SetExtranoncePrefix and a fresh job; the edge's stop sends Reconnect", async () => {
    const t = (current = setup());
    const m = await t.connect();
    await m.setup(M.SetupFlag.requiresStandardJobs);
    const ch = await m.openStandard(`${ADDRESS}.r`);
    const before = Buffer.from(ch.extranoncePrefix).toString("hex");
    t.edge.renewExtranonce1();
    const p = await m.nextOf(M.MsgType.SetExtranoncePrefix);
    expect(Buffer.from(p.fields.extranoncePrefix as Uint8Array).toString("hex")).not.toBe(before);
    await m.nextOf(M.MsgType.SetNewPrevHash);
    m.submit(m.mine(ch));
    expect((await m.nextSubmitReply(ch.channelId)).msgType).toBe(M.MsgType.SubmitSharesSuccess);
    expect(t.allocator.live.size).toBe(1);
    // A non-flush job goes out active (min_ntime set), a flush as a future job + SetNewPrevHash.
    m.inbox.length = 0;
    t.publish({ type: 1 });
    expect((await m.nextOf(M.MsgType.NewMiningJob)).fields.minNtime).toBeDefined();
    t.publish({ type: 0, prevhash: "11".repeat(32) });
    expect((await m.nextOf(M.MsgType.NewMiningJob)).fields.minNtime).toBeUndefined();
    await m.nextOf(M.MsgType.SetNewPrevHash);
    t.edge.stop();
    current = undefined;
    expect((await m.nextOf(M.MsgType.Reconnect)).fields).toEqual({ newHost: "", newPort: 0 });
    expect(await m.waitClosed()).toBe(true);
  });

  test("an address over its handshake budget waits its turn instead of being refused", async () => {
    const t = (current = setup({ sv2: { enabled: true, handshakes_per_second_per_ip: 1 } }));
    // Budget 1 a second, 4 at once: of 6 simultaneous handshakes from 127.0.0.1, 2 wait (about 1 s and 2 s).
    const miners = await Promise.all(Array.from({ length: 6 }, () => t.connect()));
    expect(t.sv2.counters.handshakes).toBe(6);
    expect(t.sv2.counters.handshakesDelayed).toBe(2);
    for (const m of miners) expect((await m.setup(0)).msgType).toBe(M.MsgType.SetupConnectionSuccess);
    for (const m of miners) m.close();
  });

  test("HandshakeBudget: a burst, then evenly spaced turns; refilled addresses are forgotten", () => {
    const b = new HandshakeBudget(10, 3);
    expect([b.take("a", 0), b.take("a", 0), b.take("a", 0)]).toEqual([0, 0, 0]);
    expect([b.take("a", 0), b.take("a", 0)]).toEqual([100, 200]);
    expect(b.take("b", 0)).toBe(0);
    expect(b.take("a", 1000)).toBe(0);
    b.purge(1000); // "b" has refilled since 0; "a" just took a token
    expect(b.size).toBe(1);
    b.purge(10_000);
    expect(b.size).toBe(0);
  });

  test("a connection that never finishes the handshake or SetupConnection is dropped by the timer", async () => {
    const t = (current = setup());
    const sock = await Bun.connect({ hostname: "127.0.0.1", port: t.sv2.port, socket: { data() {} } });
    const m = await t.connect();
    await Bun.sleep(50);
    expect(t.sv2.connections.size).toBe(2);
    t.clock.t += 16_000;
    t.edge.sweep();
    expect(t.sv2.connections.size).toBe(0);
    expect(await m.waitClosed()).toBe(true);
    sock.end();
  });
});
