/**
 * The fast submit path (mining.submit answered from the line's bytes: edge/stratum/submit-line.ts,
 * `submitLine`, the checker's `checkRaw`) against the JSON path, over real sockets with the real
 * job cache and share checker: two identical edges get the same shares from miners holding the
 * same extranonce1, one as plain lines (fast path) and one in forms the fast path leaves to
 * JSON.parse (an escape in the worker name, an extra key). Replies, share records, block
 * candidates and counters must be identical, for accepted, duplicate, low, stale and malformed
 * shares, every id form, and version rolling.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { difficultyToTarget } from "../../shared/bitcoin/index.ts";
import { spec16Job } from "../../shared/contract/testing.ts";
import { createShareKernel, DIFF1_SHA256D, loadPowNative } from "../../shared/pow/index.ts";
import { JobCache } from "../../edge/jobs/index.ts";
import { startEdgeStratum, type EdgeStratum } from "../../edge/server.ts";
import { EdgeShareChecker, powTable, sha256dPow } from "../../edge/shares/index.ts";
import type { RawSubmit, SubmitContext, SubmitParams } from "../../edge/ports.ts";
import { captureLog } from "../helpers/log-capture.ts";
import { RecordingSink } from "../helpers/share-sink.ts";
import { TestMiner, type Share } from "../helpers/miner.ts";
import { EASY, TestClock, testConfig } from "../helpers/stratum-env.ts";
import { Extranonce1AllocatorSimulator } from "../helpers/stratum-simulators.ts";

const hexTarget = (difficulty: number) => difficultyToTarget(difficulty, DIFF1_SHA256D).toString(16).padStart(64, "0");

interface Edge {
  readonly jobs: JobCache;
  readonly sink: RecordingSink;
  readonly edge: EdgeStratum;
  readonly port: number;
  /** check() calls, and checkRaw() calls not made by check(): the fast path's. */
  readonly calls: { check: number; raw: number };
  stop(): void;
}

const open: { stop(): void }[] = [];
afterEach(() => {
  for (const o of open.splice(0)) o.stop();
});

function startEdge(kernel = createShareKernel(loadPowNative())): Edge {
  const { log } = captureLog("edge");
  // The same first job id on both edges, so one miner's shares mean the same on either.
  const jobs = new JobCache({ log, idStart: 0x5000 });
  const sink = new RecordingSink();
  const checker = new EdgeShareChecker({ jobs, sink, pow: powTable({ sha256d: sha256dPow }), log, kernel });
  const calls = { check: 0, raw: 0 };
  const check = checker.check.bind(checker);
  const checkRaw = checker.checkRaw.bind(checker);
  let inCheck = false;
  checker.check = (ctx: SubmitContext, p: SubmitParams) => {
    calls.check++;
    inCheck = true;
    try {
      return check(ctx, p);
    } finally {
      inCheck = false;
    }
  };
  checker.checkRaw = (ctx: SubmitContext, r: RawSubmit) => {
    if (!inCheck) calls.raw++;
    return checkRaw(ctx, r);
  };
  const edge = startEdgeStratum({
    config: testConfig(),
    ports: ["main"],
    feed: jobs,
    checker,
    allocator: new Extranonce1AllocatorSimulator(),
    log,
    clock: new TestClock(),
    timer: false,
    random: () => 0,
    listenPorts: { main: 0 },
    hostname: "127.0.0.1",
  });
  const e = { jobs, sink, edge, port: edge.ports.get("main")!.port, calls, stop: () => edge.stop() };
  open.push(e);
  return e;
}

async function connect(port: number): Promise<TestMiner> {
  const m = await TestMiner.connect(port);
  open.push({ stop: () => m[Symbol.dispose]() });
  return m;
}

/** One submit line: params (worker first) and the id's JSON text, or undefined for no id. */
interface Submit {
  readonly params: readonly unknown[];
  readonly id: string | undefined;
}

/** The plain form (the fast path's). */
function plainLine(s: Submit): string {
  return `{${s.id === undefined ? "" : `"id":${s.id},`}"method":"mining.submit","params":${JSON.stringify(s.params)}}`;
}

/** The same request in a form the fast path leaves to JSON.parse; alternately an escape and an extra key. */
function jsonLine(s: Submit, i: number): string {
  const [worker, ...rest] = s.params;
  if (i % 2 === 0) return `{${s.id === undefined ? "" : `"id":${s.id},`}"method":"mining.submit","params":["${String(worker).replace("w", "\\u0077")}",${rest.map((p) => JSON.stringify(p)).join(",")}]}`;
  return `{"jsonrpc":"2.0",${s.id === undefined ? "" : `"id":${s.id},`}"method":"mining.submit","params":${JSON.stringify(s.params)}}`;
}

const paramsOf = (s: Share, worker = "w"): unknown[] => [worker, s.jobId, s.extranonce2, s.ntime, s.nonce, ...(s.versionBits === undefined ? [] : [s.versionBits])];

async function exchange(m: TestMiner, lines: readonly string[]): Promise<string[]> {
  const replies: string[] = [];
  for (const line of lines) {
    m.sendLine(line);
    replies.push((await m.next((r) => r.method === undefined)).raw);
  }
  return replies;
}

describe("fast submit path = JSON path (real sockets, real job cache and checker)", () => {
  test("same replies, records, candidates and counters for every kind of share and id", async () => {
    const fast = startEdge();
    const slow = startEdge();
    // Blocks for a quarter of the accepted shares, so candidates are compared too.
    const job = spec16Job({ jobmanager: "BTC", coin: "BTC", currency: "BTC", diff1: DIFF1_SHA256D.toString(16).padStart(64, "0"), target: hexTarget(EASY * 4) });
    for (const e of [fast, slow]) e.jobs.add(job);

    // One miner per edge; the simulated allocators hand both the same extranonce1.
    const [a, b] = [await connect(fast.port), await connect(slow.port)];
    await a.cpuMinerHandshake("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa.w");
    await b.cpuMinerHandshake("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa.w");
    expect(a.extranonce1).toBe(b.extranonce1);
    const j = a.lastJob!;
    expect(b.lastJob!.id).toBe(j.id);

    // The first share is ground to be a block and the last one not, so candidates are always compared.
    const good = [a.mineShare(j, { difficulty: EASY * 4 }), ...Array.from({ length: 6 }, () => a.mineShare(j)), a.mineShare(j, { below: EASY * 4 })];
    const low = a.lowShare(j);
    const submits: Submit[] = [
      ...good.map((s, i) => ({ params: paramsOf(s), id: String(10 + i) })),
      { params: paramsOf(good[0]!), id: "20" }, // duplicate
      { params: paramsOf({ ...good[1]!, nonce: good[1]!.nonce.toUpperCase(), extranonce2: good[1]!.extranonce2.toUpperCase() }), id: "21" }, // duplicate, other case
      { params: paramsOf(low), id: '"low-one"' },
      { params: paramsOf({ ...good[2]!, jobId: "ffff" }), id: "null" }, // stale: never issued
      { params: paramsOf({ ...good[3]!, versionBits: "00002000" }), id: undefined }, // bits without version rolling: 20
      { params: paramsOf({ ...good[4]!, versionBits: "00000000" }), id: "-3" }, // zero bits: the same share again
      { params: paramsOf({ ...good[5]!, extranonce2: "000000" }), id: "22" }, // malformed: both take the JSON path
      { params: paramsOf({ ...good[6]!, ntime: "5c3a8f1g" }), id: "23" },
    ];
    const replies = await exchange(a, submits.map(plainLine));
    expect(await exchange(b, submits.map(jsonLine))).toEqual(replies);
    expect(fast.sink.events).toEqual(slow.sink.events);
    expect(fast.edge.ports.get("main")!.counters).toEqual(slow.edge.ports.get("main")!.counters);

    // The outcomes themselves (so the comparison above compared something).
    expect(replies.slice(0, 8)).toEqual(good.map((_, i) => `{"error":null,"id":${10 + i},"result":true}`));
    expect(replies.slice(8)).toEqual([
      '{"error":[22,"Duplicate share",null],"id":20,"result":null}',
      '{"error":[22,"Duplicate share",null],"id":21,"result":null}',
      '{"error":[23,"Low difficulty share",null],"id":"low-one","result":null}',
      '{"error":[21,"Job not found (=stale)",null],"id":null,"result":null}',
      '{"error":[20,"Other/Unknown",null],"id":1,"result":null}',
      '{"error":[22,"Duplicate share",null],"id":-3,"result":null}',
      '{"error":[20,"Other/Unknown",null],"id":22,"result":null}',
      '{"error":[20,"Other/Unknown",null],"id":23,"result":null}',
    ]);
    expect(fast.sink.events.some((e) => e.kind === "candidate")).toBe(true);
    // The plain lines went the fast way (the two malformed ones fell back); the others never did.
    expect(fast.calls).toEqual({ check: 0, raw: submits.length - 2 });
    expect(slow.calls).toEqual({ check: submits.length - 2, raw: 0 });
  });

  test("version rolling: the same shares and records either way", async () => {
    const fast = startEdge();
    const slow = startEdge();
    const job = spec16Job({ jobmanager: "BTC", coin: "BTC", currency: "BTC", diff1: DIFF1_SHA256D.toString(16).padStart(64, "0"), target: hexTarget(EASY * 2) });
    for (const e of [fast, slow]) e.jobs.add(job);
    const [a, b] = [await connect(fast.port), await connect(slow.port)];
    for (const m of [a, b]) await m.asicHandshake("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa.w");
    expect(a.versionMask).not.toBe(0);
    const j = await a.nextJob();
    await b.nextJob();
    const shares = [0x2000, 0x4000, 0x1fffe000, 0].map((bits) => a.mineShare(j, { versionBits: bits }));
    const submits: Submit[] = shares.map((s, i) => ({ params: paramsOf(s, "w.asic"), id: String(40 + i) }));
    submits.push({ params: paramsOf(shares[0]!, "w.asic"), id: "50" });
    const replies = await exchange(a, submits.map(plainLine));
    expect(await exchange(b, submits.map(jsonLine))).toEqual(replies);
    expect(replies.slice(0, 4).every((r) => r.includes('"result":true'))).toBe(true);
    expect(replies[4]).toContain("Duplicate share");
    expect(fast.sink.events).toEqual(slow.sink.events);
    expect(fast.calls.raw).toBe(submits.length);
  });

  test("a submit before authorize and an unknown job take the same answers; the JS kernel gives the same records", async () => {
    const native = startEdge();
    const js = startEdge(createShareKernel(undefined));
    const job = spec16Job({ jobmanager: "BTC", coin: "BTC", currency: "BTC", diff1: DIFF1_SHA256D.toString(16).padStart(64, "0"), target: hexTarget(EASY * 4) });
    for (const e of [native, js]) e.jobs.add(job);
    const [a, b] = [await connect(native.port), await connect(js.port)];
    const early = plainLine({ params: ["w", "5001", "00000000", "5c3a8f10", "00000000"], id: "7" });
    expect(await exchange(a, [early])).toEqual(['{"error":[24,"Unauthorized worker",null],"id":7,"result":null}']);
    expect(await exchange(b, [early])).toEqual(['{"error":[24,"Unauthorized worker",null],"id":7,"result":null}']);
    for (const m of [a, b]) await m.cpuMinerHandshake("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa.w");
    const j = a.lastJob!;
    const lines = Array.from({ length: 6 }, (_, i) => plainLine({ params: paramsOf(a.mineShare(j)), id: String(i) }));
    expect(await exchange(a, lines)).toEqual(await exchange(b, lines));
    expect(native.sink.events).toEqual(js.sink.events);
  });
});
