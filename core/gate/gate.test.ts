/**
 * The gate against a real Redis, end to end with the accounting ingest behind it: per-edge and v1
 * streams credited exactly once, the identity check (issue 20's poisoning attack), quarantine by a
 * failing audit, release and discard by the operator, a quarantine across gate restarts, and
 * entries a crashed gate left pending.
 */
import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import Redis from "ioredis";
import { agentRecordCodec, CONTRACT_VERSION, contractNames, MESSAGE_FIELD, type ShareBatch, type ShareRecordV1 } from "../../shared/contract/index.ts";
import { startRedis, type PrivateRedis } from "../../test/helpers/redis.ts";
import { createAccounting } from "../accounting/index.ts";
import type { AuditVerdict, ShareAuditor } from "../audit/types.ts";
import { startIngest, type Ingest } from "../ingest/index.ts";
import { attachFence } from "../leader/fence.ts";
import { ADDR_A, drained, encodeBatch, expectedTotals, feedEdge, mixedRecords, quietLogger, share, testSettings, totals, waitFor } from "../ingest/testing.ts";
import { startGate, type Gate, type GateOptions } from "./index.ts";
import { readQuarantine, requestQuarantineAction } from "./quarantine-store.ts";

const PREFIX = "gt:";
const names = contractNames(PREFIX);
const FAST = { blockMs: 50, claimEveryMs: 50, discoverEveryMs: 50, quarantinePollMs: 20, tidyEveryMs: 0 };

let redis: PrivateRedis;
const stops: (() => Promise<void>)[] = [];

beforeAll(async () => {
  redis = await startRedis();
});
beforeEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
  await redis.client.flushall();
});
afterAll(async () => {
  for (const s of stops.splice(0).reverse()) await s();
  await redis.stop();
});

function client(): Redis {
  const c = new Redis(redis.url, { maxRetriesPerRequest: null });
  stops.push(async () => c.disconnect());
  return c;
}

function startAccountingBehind(): Ingest {
  const c = client();
  const log = quietLogger();
  const ingest = startIngest({ redis: c, prefix: PREFIX, accounting: createAccounting(c, testSettings(PREFIX), log), log, consumer: "acc", tuning: { blockMs: 50, claimEveryMs: 50, tidyEveryMs: 0 } });
  stops.push(() => ingest.stop());
  return ingest;
}

function gate(opts: Partial<GateOptions> = {}): { gate: Gate; log: ReturnType<typeof quietLogger>; stop: () => Promise<void> } {
  const log = quietLogger();
  const g = startGate({ redis: client(), prefix: PREFIX, log, consumer: "gate-1", ...opts, tuning: { ...FAST, ...opts.tuning } });
  let stopped = false;
  const stop = async () => {
    if (!stopped) await g.stop();
    stopped = true;
  };
  stops.push(stop);
  return { gate: g, log, stop };
}

const r = () => redis.client;
const seen = (edge: string, session: string) => r().get(`${PREFIX}seen:${edge}:${session}`);
const gateDrained = (stream: string) => drained(r(), stream, names.gateGroup);
const accountingDrained = () => drained(r(), names.verifiedShareStream, names.accountingGroup);
async function deadLetters(kind: "shares" | "agent"): Promise<Record<string, string>[]> {
  return (await r().xrange(names.deadLetter(kind), "-", "+")).map(([, f]) => Object.fromEntries(f.flatMap((v, i) => (i % 2 === 0 ? [[v, f[i + 1] ?? ""]] : []))));
}

/** Fails any batch with a record of difficulty 999 (the "invented" share); passes the rest. */
class TestAuditor implements ShareAuditor {
  readonly calls: string[] = [];
  transientFailures = 0;
  async audit(edge: string, batch: ShareBatch): Promise<AuditVerdict> {
    this.calls.push(edge);
    if (this.transientFailures > 0) {
      this.transientFailures--;
      throw new Error("job archive unreachable");
    }
    const bad = batch.records.find((rec) => rec.difficulty === 999);
    if (bad) return { kind: "fail", seq: bad.seq, reason: "hash does not meet the share's difficulty", detail: `job ${bad.jobId}` };
    const dup = batch.records.filter((rec) => rec.difficulty === 77);
    return dup.length > 0 ? { kind: "pass", audited: batch.records.length, refused: dup.map((d) => ({ seq: d.seq, reason: "duplicate of an audited share" })) } : { kind: "pass", audited: batch.records.length };
  }
}

test("every edge's own stream and the v1 shared stream are credited exactly once, replays included; the core says which contract it reads", async () => {
  startAccountingBehind();
  const { gate: g } = gate({ announceContract: true });
  const eu1 = mixedRecords(400);
  const us1 = mixedRecords(300);
  const old = mixedRecords(200);
  await feedEdge(r(), PREFIX, "eu1", "000000a1", eu1, 40);
  await feedEdge(r(), PREFIX, "us1/2", "000000b1", us1, 33);
  await feedEdge(r(), PREFIX, "old1", "000000c1", old, 50, names.shareStream);
  // eu1 replays its spool after an outage, split differently.
  await feedEdge(r(), PREFIX, "eu1", "000000a1", eu1, 64);
  const streams = [names.edgeStream("shares", "eu1"), names.edgeStream("shares", "us1/2"), names.shareStream];
  await waitFor("every stream through the gate and the accounting", async () => (await Promise.all(streams.map(gateDrained))).every(Boolean) && (await accountingDrained()), 20_000);
  expect(await totals(r())).toEqual(expectedTotals([...eu1, ...us1, ...old]));
  expect(await seen("eu1", "000000a1")).toBe("1-400");
  expect(await seen("us1/2", "000000b1")).toBe("1-300");
  expect(await seen("old1", "000000c1")).toBe("1-200");
  expect(await r().get(names.contractVersion)).toBe(String(CONTRACT_VERSION));
  // With a TTL: a core rolled back to v1 stops announcing, and edges go back to v1 by themselves.
  expect(await r().pttl(names.contractVersion)).toBeGreaterThan(0);
  // Each verified entry names the identity the gate checked and where it came from.
  const verified = await r().xrange(names.verifiedShareStream, "-", "+");
  expect(new Set(verified.map(([, f]) => `${f[f.indexOf("edge") + 1]}<${f[f.indexOf("source") + 1]}`))).toEqual(new Set([`eu1<${streams[0]}`, `us1/2<${streams[1]}`, `old1<${streams[2]}`]));
  expect(g.status().totals.passed).toBe(10 + 7 + 10 + 4);
  expect(g.status().streams.map((s) => `${s.kind}:${s.edge}`).sort()).toEqual(["agent:null", "shares:eu1", "shares:null", "shares:us1/2"]);
});

test("an entry in eu2's stream naming eu1 is dead-lettered: eu1's real shares with the same session and seqs are all credited (issue 20)", async () => {
  startAccountingBehind();
  gate();
  // The forgery comes first: eu1's session and its next seqs, tiny difficulties — once credited, eu1's real records would be "replays".
  const forged = Array.from({ length: 20 }, (_, i) => share(i + 1, { difficulty: 1 }));
  await r().xadd(names.edgeStream("shares", "eu2"), "*", MESSAGE_FIELD, encodeBatch("eu1", "0000e1e1", forged));
  const real = mixedRecords(20);
  await feedEdge(r(), PREFIX, "eu1", "0000e1e1", real, 5);
  await waitFor("both streams through the gate", async () => (await gateDrained(names.edgeStream("shares", "eu2"))) && (await gateDrained(names.edgeStream("shares", "eu1"))) && (await accountingDrained()), 20_000);
  expect(await totals(r())).toEqual(expectedTotals(real));
  expect(await seen("eu1", "0000e1e1")).toBe("1-20");
  expect(await seen("eu2", "0000e1e1")).toBeNull();
  const dead = await deadLetters("shares");
  expect(dead.length).toBe(1);
  expect(dead[0]?.source).toBe(names.edgeStream("shares", "eu2"));
  expect(dead[0]?.reason).toContain(`edge name "eu1" does not match its stream ${names.edgeStream("shares", "eu2")}`);
});

test("agent entries: identity checked like shares, the good ones reach the accounting's PPAgent keys", async () => {
  startAccountingBehind();
  gate();
  const rec = (edge: string, data: number[]) => agentRecordCodec.encode({ v: 1, edge, address: ADDR_A, worker: "rig1", type: "hashrate", data, stamp: 1409899777 });
  await r().xadd(names.edgeStream("agent", "eu2"), "*", MESSAGE_FIELD, rec("eu1", [1, 1]));
  await r().xadd(names.edgeStream("agent", "eu1"), "*", MESSAGE_FIELD, rec("eu1", [12.5, 100]));
  await waitFor("the agent streams through", async () => (await gateDrained(names.edgeStream("agent", "eu1"))) && (await gateDrained(names.edgeStream("agent", "eu2"))) && (await drained(r(), names.verifiedAgentStream, names.agentGroup)), 20_000);
  expect(await r().hgetall("hashrate_1409899740")).toEqual({ [`${ADDR_A}_rig1_0`]: "12.5", [`${ADDR_A}_rig1_1`]: "100" });
  const dead = await deadLetters("agent");
  expect(dead.map((d) => d.reason)).toEqual([`edge name "eu1" does not match its stream ${names.edgeStream("agent", "eu2")} (edge eu2): never credited`]);
});

test("redis.accept_contract_v1 false: v1 entries are dead-lettered with the reason, per-edge streams still credited", async () => {
  startAccountingBehind();
  gate({ acceptV1: false });
  await feedEdge(r(), PREFIX, "old1", "000000c2", [share(1)], 1, names.shareStream);
  await feedEdge(r(), PREFIX, "eu1", "000000a2", [share(1)]);
  await waitFor("both through", async () => (await gateDrained(names.shareStream)) && (await gateDrained(names.edgeStream("shares", "eu1"))) && (await accountingDrained()), 20_000);
  expect(await seen("eu1", "000000a2")).toBe("1-1");
  expect(await seen("old1", "000000c2")).toBeNull();
  const dead = await deadLetters("shares");
  expect(dead.length).toBe(1);
  expect(dead[0]?.reason).toContain("redis.accept_contract_v1 is false");
});

test("audit refusals (duplicates) are dead-lettered by seq, the rest of the entry credited; a transient audit error retries the entry", async () => {
  startAccountingBehind();
  const auditor = new TestAuditor();
  auditor.transientFailures = 2;
  gate({ auditor });
  const recs = [share(1), share(2, { difficulty: 77 }), share(3)];
  await feedEdge(r(), PREFIX, "eu1", "000000a3", recs);
  await waitFor("through", async () => (await gateDrained(names.edgeStream("shares", "eu1"))) && (await accountingDrained()), 20_000);
  expect(await seen("eu1", "000000a3")).toBe("1-1,3-3");
  expect(await totals(r())).toEqual(expectedTotals([recs[0], recs[2]] as ShareRecordV1[]));
  const dead = await deadLetters("shares");
  expect(dead.map((d) => [d.refused, d.reason])).toEqual([["2", "seq 2: duplicate of an audited share"]]);
  expect(auditor.calls.length).toBe(3);
});

test("an entry whose records do not decode (bad UTF-8 the gate's scan skips) is dead-lettered once the audit decodes them, never retried; the next entry passes", async () => {
  startAccountingBehind();
  gate({ auditor: new TestAuditor() });
  const bad = encodeBatch("eu1", "000000a5", [share(1, { worker: "zz" })]);
  const at = bad.lastIndexOf(0x7a) - 1;
  bad[at] = 0xc3;
  bad[at + 1] = 0x28;
  await r().xadd(names.edgeStream("shares", "eu1"), "*", MESSAGE_FIELD, bad);
  await feedEdge(r(), PREFIX, "eu1", "000000a5", [share(2)]);
  await waitFor("through", async () => (await gateDrained(names.edgeStream("shares", "eu1"))) && (await accountingDrained()), 20_000);
  expect(await seen("eu1", "000000a5")).toBe("2-2");
  expect((await deadLetters("shares")).map((d) => d.reason)).toEqual([expect.stringContaining("worker at byte")]);
});

/** eu1 honest; "bad" sends a share the audit fails first, then more, plus agent data. */
async function quarantineScenario(auditor: ShareAuditor) {
  startAccountingBehind();
  const g = gate({ auditor });
  const badStream = names.edgeStream("shares", "bad");
  const badRecs = [share(1, { difficulty: 999 }), share(2), share(3), share(4)];
  await feedEdge(r(), PREFIX, "bad", "0000bad1", badRecs, 2);
  const honest = mixedRecords(50);
  await feedEdge(r(), PREFIX, "eu1", "000000a4", honest, 10);
  await waitFor("the quarantine", async () => (await readQuarantine(r(), names, "bad")) !== null);
  // Agent data the quarantined edge sends afterwards is held too.
  await r().xadd(names.edgeStream("agent", "bad"), "*", MESSAGE_FIELD, agentRecordCodec.encode({ v: 1, edge: "bad", address: ADDR_A, worker: "rig9", type: "hashrate", data: [5], stamp: 1409899777 }));
  await waitFor("eu1 credited", async () => (await gateDrained(names.edgeStream("shares", "eu1"))) && (await accountingDrained()), 20_000);
  return { g, badStream, badRecs, honest };
}

test("a failing audit quarantines the edge: nothing of it credited, others unaffected; release credits the held entries exactly once", async () => {
  const { g, badStream, badRecs, honest } = await quarantineScenario(new TestAuditor());
  const q = await readQuarantine(r(), names, "bad");
  expect(q).toMatchObject({ reason: "hash does not meet the share's difficulty", detail: "seq 1: job 0000000a", stream: badStream, action: null });
  expect(g.log.lines.some((l) => l.includes("EDGE bad QUARANTINED"))).toBe(true);
  expect(await seen("bad", "0000bad1")).toBeNull();
  expect(await totals(r())).toEqual(expectedTotals(honest));
  await waitFor("the held count", () => g.gate.status().quarantined.some((e) => e.edge === "bad" && e.held === 3));
  expect(g.gate.status().streams.some((s) => s.edge === "bad")).toBe(false);
  expect(await r().hgetall("hashrate_1409899740")).toEqual({});
  // The index the gate polls (instead of walking the keyspace) names it, and only it.
  expect(await r().smembers(names.quarantineIndex)).toEqual(["bad"]);

  expect(await requestQuarantineAction(r(), names, "bad", "release")).toBe(true);
  await waitFor("the release", async () => (await readQuarantine(r(), names, "bad")) === null && (await gateDrained(badStream)) && (await accountingDrained()), 20_000);
  expect(await r().smembers(names.quarantineIndex)).toEqual([]);
  expect(await seen("bad", "0000bad1")).toBe("1-4");
  expect(await totals(r())).toEqual(expectedTotals([...honest, ...badRecs]));
  await waitFor("the agent entry released", async () => (await r().hgetall("hashrate_1409899740"))[`${ADDR_A}_rig9_0`] === "5");
  // Read again, with the audit: a new honest entry is credited.
  await feedEdge(r(), PREFIX, "bad", "0000bad1", [share(5)]);
  await waitFor("the next entry", async () => (await seen("bad", "0000bad1")) === "1-5", 20_000);
  expect(g.gate.status().quarantined).toEqual([]);
});

test("discard dead-letters the held entries with the operator's reason and reading resumes", async () => {
  const { g, badStream, honest } = await quarantineScenario(new TestAuditor());
  expect(await requestQuarantineAction(r(), names, "bad", "discard")).toBe(true);
  await waitFor("the discard", async () => (await readQuarantine(r(), names, "bad")) === null && (await gateDrained(badStream)), 20_000);
  const dead = await deadLetters("shares");
  expect(dead.length).toBe(2);
  for (const d of dead) expect(d.reason).toBe("discarded by the operator after quarantine: hash does not meet the share's difficulty");
  expect((await deadLetters("agent")).length).toBe(1);
  expect(await seen("bad", "0000bad1")).toBeNull();
  expect(await totals(r())).toEqual(expectedTotals(honest));
  await feedEdge(r(), PREFIX, "bad", "0000bad2", [share(1)]);
  await waitFor("the next entry", async () => (await seen("bad", "0000bad2")) === "1-1", 20_000);
  expect(g.gate.status().totals.quarantines).toBe(1);
});

test("a quarantine survives a gate restart (another consumer name: a new leader): the edge stays unread until released", async () => {
  const { g, badStream, badRecs, honest } = await quarantineScenario(new TestAuditor());
  await g.stop();
  await feedEdge(r(), PREFIX, "bad", "0000bad1", [share(5)]);
  const more = mixedRecords(10, 51);
  await feedEdge(r(), PREFIX, "eu1", "000000a4", more, 5);
  const next = gate({ auditor: new TestAuditor(), consumer: "gate-2", takeover: true });
  await waitFor("eu1 keeps flowing", async () => (await seen("eu1", "000000a4")) === "1-60", 20_000);
  await waitFor("the held count", () => next.gate.status().quarantined.some((e) => e.edge === "bad" && e.held === 4));
  expect(await seen("bad", "0000bad1")).toBeNull();
  expect(next.gate.status().streams.some((s) => s.edge === "bad")).toBe(false);
  expect(next.log.lines.some((l) => l.includes("edge bad is quarantined"))).toBe(true);

  await requestQuarantineAction(r(), names, "bad", "release");
  await waitFor("the release", async () => (await readQuarantine(r(), names, "bad")) === null && (await gateDrained(badStream)) && (await accountingDrained()), 20_000);
  expect(await seen("bad", "0000bad1")).toBe("1-5");
  expect(await totals(r())).toEqual(expectedTotals([...honest, ...more, ...badRecs, share(5)]));
});

test("entries a crashed gate left delivered and unacknowledged are passed on once by the next one; an edge's replay adds nothing", async () => {
  startAccountingBehind();
  const stream = names.edgeStream("shares", "eu1");
  const recs = mixedRecords(30);
  await feedEdge(r(), PREFIX, "eu1", "000000a5", recs, 10);
  // The crashed gate: read (delivered to "gate-0"), died before its MULTI.
  await r().xgroup("CREATE", stream, names.gateGroup, "0");
  expect(((await r().xreadgroup("GROUP", names.gateGroup, "gate-0", "COUNT", 2, "STREAMS", stream, ">")) as unknown[]).length).toBe(1);
  gate({ consumer: "gate-1", takeover: true });
  await waitFor("through", async () => (await gateDrained(stream)) && (await accountingDrained()), 20_000);
  expect(await r().xlen(names.verifiedShareStream)).toBe(3);
  expect(await totals(r())).toEqual(expectedTotals(recs));
  // The same entries again (the edge's spool, or a re-delivery): copied, then dropped by the seen-set.
  await feedEdge(r(), PREFIX, "eu1", "000000a5", recs, 7);
  await waitFor("the replay through", async () => (await gateDrained(stream)) && (await accountingDrained()) && (await r().xlen(names.verifiedShareStream)) === 8, 20_000);
  expect(await totals(r())).toEqual(expectedTotals(recs));
  expect(await seen("eu1", "000000a5")).toBe("1-30");
});

test("the accounting keeps seen-sets by the verified entry's edge (the gate's identity), not by what the batch claims", async () => {
  startAccountingBehind();
  await r().xadd(names.verifiedShareStream, "*", MESSAGE_FIELD, encodeBatch("eu1", "0000e1e2", [share(1)]), "edge", "eu2", "source", names.edgeStream("shares", "eu2"));
  await waitFor("through", accountingDrained, 20_000);
  expect(await seen("eu2", "0000e1e2")).toBe("1-1");
  expect(await seen("eu1", "0000e1e2")).toBeNull();
});

test("a deposed gate (fenced) copies nothing more; the next leader's gate passes what it left on, once", async () => {
  startAccountingBehind();
  const epochKey = `${PREFIX}core:epoch`;
  await r().set(epochKey, "1");
  const fenced = (epoch: number) => {
    const c = client();
    attachFence(c, { key: epochKey, epoch });
    return c;
  };
  const first = gate({ redis: fenced(1), consumer: "core-a" });
  const stream = names.edgeStream("shares", "eu1");
  await feedEdge(r(), PREFIX, "eu1", "000000a6", mixedRecords(10));
  await waitFor("the first entry through", async () => (await seen("eu1", "000000a6")) === "1-10", 20_000);
  await r().incr(epochKey); // another core took the lease
  const later = mixedRecords(10, 11);
  await feedEdge(r(), PREFIX, "eu1", "000000a6", later, 5);
  await waitFor("the deposed gate to notice", () => first.log.lines.some((l) => l.includes("no longer the leader")), 20_000);
  expect(await r().xlen(names.verifiedShareStream)).toBe(1);
  await first.stop();
  gate({ redis: fenced(2), consumer: "core-b", takeover: true });
  await waitFor("the rest through", async () => (await gateDrained(stream)) && (await accountingDrained()) && (await seen("eu1", "000000a6")) === "1-20", 20_000);
  expect(await r().xlen(names.verifiedShareStream)).toBe(3);
  expect(await totals(r())).toEqual(expectedTotals([...mixedRecords(10), ...later]));
});

test("edge streams are trimmed once the gate acknowledged them; held entries of a quarantined edge stay", async () => {
  startAccountingBehind();
  const g = gate({ auditor: new TestAuditor(), tuning: { tidyEveryMs: 50 } });
  await feedEdge(r(), PREFIX, "bad", "0000bad7", [share(1, { difficulty: 999 }), share(2)], 1);
  await waitFor("the quarantine", async () => (await readQuarantine(r(), names, "bad")) !== null);
  await feedEdge(r(), PREFIX, "eu1", "000000a7", mixedRecords(20), 5);
  // A tidy round trims every known stream: once eu1's is empty, bad's was tidied after its quarantine too.
  await waitFor("eu1 trimmed", async () => (await seen("eu1", "000000a7")) === "1-20" && (await r().xlen(names.edgeStream("shares", "eu1"))) === 0, 20_000);
  expect(await r().xlen(names.edgeStream("shares", "bad"))).toBe(2);
  expect(g.gate.status().quarantined.map((q) => q.edge)).toEqual(["bad"]);
});

test("the v1 shared stream: a failed audit dead-letters the entry (anyone may write any name there, so no quarantine); entries naming a quarantined edge are not passed on", async () => {
  startAccountingBehind();
  const g = gate({ auditor: new TestAuditor() });
  await feedEdge(r(), PREFIX, "bad", "0000bad8", [share(1, { difficulty: 999 })]);
  await waitFor("the quarantine", async () => (await readQuarantine(r(), names, "bad")) !== null);
  await feedEdge(r(), PREFIX, "eu1", "000000a8", [share(1, { difficulty: 999 })], 1, names.shareStream);
  await feedEdge(r(), PREFIX, "bad", "0000bad8", [share(2)], 1, names.shareStream);
  await feedEdge(r(), PREFIX, "eu1", "000000a8", [share(2)], 1, names.shareStream);
  await waitFor("the v1 stream through", async () => (await gateDrained(names.shareStream)) && (await accountingDrained()), 20_000);
  expect(await seen("eu1", "000000a8")).toBe("2-2");
  expect(await seen("bad", "0000bad8")).toBeNull();
  expect(await readQuarantine(r(), names, "eu1")).toBeNull();
  const reasons = (await deadLetters("shares")).map((d) => d.reason);
  expect(reasons.length).toBe(2);
  expect(reasons[0]).toContain("audit failed on the v1 shared stream");
  expect(reasons[1]).toBe("edge bad is quarantined: a v1 entry naming it is not passed on");
  expect(g.gate.status().totals.quarantines).toBe(1);
});
