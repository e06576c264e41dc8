/**
 * PPAgent protocol (spec §13, §17 items 114–115) over real sockets: the agent listener and the
 * paired stratum port from startEdgeStratum, job feed / checker / allocator simulated, the sink a
 * recorder, the clock moved by hand.
 */
import { afterEach, expect, test } from "bun:test";
import type { AgentRecordV1 } from "../../shared/contract/index.ts";
import { captureLog } from "../../test/helpers/log-capture.ts";
import { TestMiner } from "../../test/helpers/miner.ts";
import { BTC_ADDRESS, BTC_ADDRESS_2, TestClock, testConfig } from "../../test/helpers/stratum-env.ts";
import { Extranonce1AllocatorSimulator, JobFeedSimulator, ShareCheckerSimulator } from "../../test/helpers/stratum-simulators.ts";
import { startEdgeStratum, type EdgeStratum } from "../server.ts";
import type { AgentSink } from "./session.ts";

const OK = '{"result":true,"error":null}';
const err = (code: number, msg: string) => `{"result":null,"error":[${code},"${msg}",null]}`;

class RecordingSink implements AgentSink {
  readonly records: AgentRecordV1[] = [];
  mode: "keep" | "drop" | "throw" = "keep";
  agent(rec: AgentRecordV1): boolean {
    if (this.mode === "throw") throw new Error("refused");
    if (this.mode === "drop") return false;
    this.records.push(rec);
    return true;
  }
}

interface Env {
  edge: EdgeStratum;
  sink: RecordingSink;
  clock: TestClock;
  agentPort: number;
  stratumPort: number;
}

let env: Env | undefined;
const sockets: TestMiner[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s[Symbol.dispose]();
  env?.edge.stop();
  env = undefined;
});

function start(agent: Record<string, unknown> = {}): Env {
  const config = testConfig({ agent: { enabled: true, timeout: 30, accepted_types: ["hashrate", "temp", "status"], ...agent } });
  const feed = new JobFeedSimulator();
  const sink = new RecordingSink();
  const clock = new TestClock();
  const edge = startEdgeStratum({
    config,
    ports: ["main"],
    feed,
    checker: new ShareCheckerSimulator(feed),
    allocator: new Extranonce1AllocatorSimulator(),
    log: captureLog("edge").log,
    clock,
    timer: false,
    random: () => 0,
    listenPorts: { main: 0 },
    agentListenPorts: { main: 0 },
    hostname: "127.0.0.1",
    agent: { sink, edge: "eu1" },
  });
  feed.publish(); // the handshake waits for a job
  env = { edge, sink, clock, agentPort: edge.agents.get("main")?.listener.port ?? 0, stratumPort: edge.ports.get("main")!.port };
  return env;
}

async function connect(port: number): Promise<TestMiner> {
  const s = await TestMiner.connect(port);
  sockets.push(s);
  return s;
}

/** Sends a line and returns the next reply line, raw. */
async function ask(a: TestMiner, line: unknown): Promise<string> {
  a.sendLine(typeof line === "string" ? line : JSON.stringify(line));
  return (await a.next()).raw;
}

async function miner(e: Env, user: string): Promise<TestMiner> {
  const m = await connect(e.stratumPort);
  await m.cpuMinerHandshake(user);
  return m;
}

async function helloAgent(e: Env): Promise<TestMiner> {
  const a = await connect(e.agentPort);
  a.sendLine(JSON.stringify({ method: "hello", params: [0.4] }));
  return a;
}

test("114: hello gives no reply, a second hello is 32; replies carry no id", async () => {
  const e = start();
  const a = await connect(e.agentPort);
  a.sendLine(JSON.stringify({ id: 7, method: "hello", params: ["0.4"] }));
  // The first line answered is the second request's: hello said nothing.
  expect(await ask(a, { id: 8, method: "hello", params: ["0.4"] })).toBe(err(32, "Already associated"));
  expect(a.unread).toEqual([]);
  expect([...e.edge.agents.get("main")!.server.sessions][0]!.version).toBe("0.4");
});

test("33: worker.authenticate and stats.submit before hello", async () => {
  const e = start();
  const a = await connect(e.agentPort);
  expect(await ask(a, { method: "worker.authenticate", params: [`${BTC_ADDRESS}.rig1`] })).toBe(err(33, "No hello exchanged"));
  expect(await ask(a, { method: "stats.submit", params: [`${BTC_ADDRESS}.rig1`, "hashrate", [1], 1] })).toBe(err(33, "No hello exchanged"));
});

test("31: worker.authenticate needs an authorized stratum connection for that (address, worker), right now", async () => {
  const e = start();
  const a = await helloAgent(e);
  expect(await ask(a, { method: "worker.authenticate", params: [`${BTC_ADDRESS}.rig1`] })).toBe(err(31, "Worker not connected"));
  const m = await miner(e, `${BTC_ADDRESS}.rig1`);
  expect(await ask(a, { method: "worker.authenticate", params: [`${BTC_ADDRESS}.rig2`] })).toBe(err(31, "Worker not connected"));
  expect(await ask(a, { method: "worker.authenticate", params: [`${BTC_ADDRESS}.rig1`] })).toBe(OK);
  m[Symbol.dispose]();
  await Bun.sleep(50);
  expect(await ask(a, { method: "worker.authenticate", params: [`${BTC_ADDRESS}.rig1`] })).toBe(err(31, "Worker not connected"));
});

test("worker.authenticate converts the username as stratum does (worker characters, aliases)", async () => {
  const e = start();
  await miner(e, `${BTC_ADDRESS}.rig#1`);
  await miner(e, "MyAlias.gpu");
  const a = await helloAgent(e);
  expect(await ask(a, { method: "worker.authenticate", params: [`${BTC_ADDRESS}.rig_1`] })).toBe(err(31, "Worker not connected"));
  expect(await ask(a, { method: "worker.authenticate", params: [` ${BTC_ADDRESS} .rig 1`] })).toBe(OK);
  expect(await ask(a, { method: "worker.authenticate", params: [`${BTC_ADDRESS}.rig!1`] })).toBe(OK);
  expect(await ask(a, { method: "worker.authenticate", params: ["my-alias.gpu"] })).toBe(OK);
  expect(await ask(a, { method: "stats.submit", params: ["my-alias.gpu", "temp", [60], 1409899777] })).toBe(OK);
  expect(e.sink.records).toEqual([{ v: 1, edge: "eu1", port: "main", address: BTC_ADDRESS_2, worker: "gpu", type: "temp", data: [60], stamp: 1409899777 }]);
});

test("stats.submit: 34 unknown username, 36 param count, 35 type, then the record and success", async () => {
  const e = start();
  await miner(e, `${BTC_ADDRESS}.rig1`);
  const a = await helloAgent(e);
  const user = `${BTC_ADDRESS}.rig1`;
  expect(await ask(a, { method: "stats.submit", params: [user, "hashrate", [1], 1] })).toBe(err(34, "Worker not authed"));
  expect(await ask(a, { method: "worker.authenticate", params: [user] })).toBe(OK);
  expect(await ask(a, { method: "stats.submit", params: [`${BTC_ADDRESS}.rig2`, "hashrate", [1], 1] })).toBe(err(34, "Worker not authed"));
  expect(await ask(a, { method: "stats.submit", params: [] })).toBe(err(34, "Worker not authed"));
  expect(await ask(a, { method: "stats.submit", params: [user, "hashrate", [1]] })).toBe(err(36, "Invalid format for method"));
  expect(await ask(a, { method: "stats.submit", params: [user, "hashrate", [1], 1, 2] })).toBe(err(36, "Invalid format for method"));
  expect(await ask(a, { method: "stats.submit", params: [user, "thresholds", { temp: 80 }, 1] })).toBe(err(35, "Type not accepted"));
  expect(await ask(a, { method: "stats.submit", params: [user, "fan", [1], 1] })).toBe(err(35, "Type not accepted"));
  expect(await ask(a, { method: "stats.submit", params: [user, 5, [1], 1] })).toBe(err(35, "Type not accepted"));
  expect(await ask(a, { method: "stats.submit", params: [user, "hashrate", [1], "soon"] })).toBe(err(36, "Invalid format for method"));
  expect(await ask(a, { method: "stats.submit", params: [user, "hashrate", [1], -1] })).toBe(err(36, "Invalid format for method"));
  expect(e.sink.records).toEqual([]);
  expect(await ask(a, { method: "stats.submit", params: [user, "hashrate", [12.5, 100], 1409899777.5] })).toBe(OK);
  expect(await ask(a, { method: "stats.submit", params: [user, "status", { v: "0.4", gpus: 2 }, 1409899777] })).toBe(OK);
  expect(e.sink.records).toEqual([
    { v: 1, edge: "eu1", port: "main", address: BTC_ADDRESS, worker: "rig1", type: "hashrate", data: [12.5, 100], stamp: 1409899777.5 },
    { v: 1, edge: "eu1", port: "main", address: BTC_ADDRESS, worker: "rig1", type: "status", data: { v: "0.4", gpus: 2 }, stamp: 1409899777 },
  ]);
  // Authenticated on another agent connection is not authenticated on this one.
  const b = await helloAgent(e);
  expect(await ask(b, { method: "stats.submit", params: [user, "hashrate", [1], 1] })).toBe(err(34, "Worker not authed"));
});

test("malformed input: non-JSON, no method, not an object → 20; unknown method → 30 (PowerPool sent nothing); the connection stays", async () => {
  const e = start();
  const a = await connect(e.agentPort);
  expect(await ask(a, "{not json")).toBe(err(20, "Other/Unknown"));
  expect(await ask(a, { params: [1] })).toBe(err(20, "Other/Unknown"));
  expect(await ask(a, "[1,2]")).toBe(err(20, "Other/Unknown"));
  expect(await ask(a, { method: "mining.subscribe", params: [] })).toBe(err(30, "Unkown command"));
  expect(await ask(a, { method: "worker.authenticate", params: "x" })).toBe(err(20, "Other/Unknown"));
  a.sendLine(JSON.stringify({ method: "hello", params: [] }));
  expect(await ask(a, { method: "worker.authenticate", params: [42] })).toBe(err(36, "Invalid format for method"));
  expect(await ask(a, { method: "worker.authenticate", params: [] })).toBe(err(36, "Invalid format for method"));
  expect([...e.edge.agents.get("main")!.server.sessions][0]!.version).toBe("0.1");
});

test("a record the sink refuses is 20; one it drops (Redis down) is still success", async () => {
  const e = start();
  await miner(e, `${BTC_ADDRESS}.rig1`);
  const a = await helloAgent(e);
  expect(await ask(a, { method: "worker.authenticate", params: [`${BTC_ADDRESS}.rig1`] })).toBe(OK);
  e.sink.mode = "throw";
  expect(await ask(a, { method: "stats.submit", params: [`${BTC_ADDRESS}.rig1`, "hashrate", [1], 1] })).toBe(err(20, "Other/Unknown"));
  e.sink.mode = "drop";
  expect(await ask(a, { method: "stats.submit", params: [`${BTC_ADDRESS}.rig1`, "hashrate", [1], 1] })).toBe(OK);
});

test("115: an agent silent for agent.timeout seconds is disconnected; a line resets the clock", async () => {
  const e = start({ timeout: 30 });
  const a = await helloAgent(e);
  await Bun.sleep(30);
  e.clock.t += 20_000;
  e.edge.sweep();
  a.sendLine(JSON.stringify({ method: "bogus" }));
  expect((await a.next()).raw).toBe(err(30, "Unkown command"));
  e.clock.t += 20_000;
  e.edge.sweep();
  await Bun.sleep(30);
  expect(a.closed).toBe(false);
  e.clock.t += 10_000;
  e.edge.sweep();
  await a.waitClosed();
});

test("agentClients in the port status is the live agent count; agent_connects / agent_disconnects count", async () => {
  const e = start();
  const server = e.edge.agents.get("main")!.server;
  const a = await connect(e.agentPort);
  await connect(e.agentPort);
  await Bun.sleep(30);
  expect(e.edge.status.ports()[0]!.agentClients).toBe(2);
  a[Symbol.dispose]();
  await Bun.sleep(50);
  expect(e.edge.status.ports()[0]!.agentClients).toBe(1);
  expect(server.counters).toEqual({ agent_connects: 2, agent_disconnects: 1 });
  expect(e.edge.status.ports()[0]!.clients).toBe(0);
});

test("no agent listener when agent.enabled is false", () => {
  const e = start({ enabled: false });
  void e;
  expect(env!.edge.agents.size).toBe(0);
});

test("issue 19: stats.submit numbers must be finite and in range (36), so no record carries Infinity or garbage", async () => {
  const e = start();
  await miner(e, `${BTC_ADDRESS}.rig1`);
  const a = await helloAgent(e);
  const user = `${BTC_ADDRESS}.rig1`;
  expect(await ask(a, { method: "worker.authenticate", params: [user] })).toBe(OK);
  const bad = [
    // JSON.parse turns 1e400 into Infinity: written as raw lines.
    `{"method":"stats.submit","params":["${user}","hashrate",[1e400],1]}`,
    `{"method":"stats.submit","params":["${user}","temp",[-1e400],1]}`,
    `{"method":"stats.submit","params":["${user}","hashrate",[1],1e400]}`,
    `{"method":"stats.submit","params":["${user}","status",{"gpu":{"temp":1e400}},1]}`,
    { method: "stats.submit", params: [user, "hashrate", [-1], 1] },
    { method: "stats.submit", params: [user, "hashrate", [1e308], 1] },
    { method: "stats.submit", params: [user, "hashrate", ["Infinity"], 1] },
    { method: "stats.submit", params: [user, "temp", [5000], 1] },
    { method: "stats.submit", params: [user, "temp", [-300], 1] },
    { method: "stats.submit", params: [user, "temp", Array.from({ length: 257 }, () => 50), 1] },
    { method: "stats.submit", params: [user, "hashrate", { a: 1 }, 1] },
    { method: "stats.submit", params: [user, "status", [1], 1] },
    { method: "stats.submit", params: [user, "status", null, 1] },
    { method: "stats.submit", params: [user, "hashrate", [1], 1e308] },
    { method: "stats.submit", params: [user, "hashrate", [1], 1.7e12] },
  ];
  for (const line of bad) expect(await ask(a, line)).toBe(err(36, "Invalid format for method"));
  expect(e.sink.records).toEqual([]);
  // The edges of the ranges, a device without a reading, and zero are fine.
  expect(await ask(a, { method: "stats.submit", params: [user, "temp", [-273.15, 1000, null, 0], 0] })).toBe(OK);
  expect(await ask(a, { method: "stats.submit", params: [user, "hashrate", [0, 1e24], 1e11] })).toBe(OK);
  expect(e.sink.records.map((r) => [r.data, r.stamp])).toEqual([
    [[-273.15, 1000, null, 0], 0],
    [[0, 1e24], 1e11],
  ]);
});
