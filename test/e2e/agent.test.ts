/**
 * PPAgent end to end (issue 9 §2, spec §13 and §8.2 (d)): a real edge (startEdge) with the agent
 * enabled on its stratum port, a miner authorized there, an agent over TCP doing hello →
 * worker.authenticate → stats.submit, and the core's ingest (startIngest) writing the reporter's
 * keys into a private Redis. No coinserver: the edge serves authorize without a job.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Redis from "ioredis";
import { createAccounting } from "../../core/accounting/index.ts";
import { startGate, type Gate } from "../../core/gate/index.ts";
import { startIngest, type Ingest } from "../../core/ingest/index.ts";
import { drained, quietLogger, waitFor } from "../../core/ingest/testing.ts";
import { startEdge, type RunningEdge } from "../../edge/app.ts";
import { addressChecker } from "../../shared/config/addresses.ts";
import { parseConfig } from "../../shared/config/load.ts";
import { contractNames } from "../../shared/contract/index.ts";
import { TestMiner } from "../helpers/miner.ts";
import { startRedis, type PrivateRedis } from "../helpers/redis.ts";

const PREFIX = "ag:";
const ADDR = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa";
const OK = '{"result":true,"error":null}';

let redis: PrivateRedis;
let core: Redis;
let ingest: Ingest;
let gate: Gate;
let edge: RunningEdge;
let spool: string;
const sockets: TestMiner[] = [];

beforeAll(async () => {
  redis = await startRedis();
  const config = parseConfig(
    `
pool: {extranonce_serv_size: 4, extranonce_size: 4}
coins:
  BTC: {algo: sha256d, network: bitcoin, pool_address: ${ADDR}, coinservs: [{address: 127.0.0.1, port: 8332}]}
stratum:
  main: {address: 127.0.0.1, port: 3333, start_difficulty: 1.0e-6, agent: {enabled: true, accepted_types: [hashrate, temp, status]}}
edges:
  eu1: {}
reporters:
  redis: {type: redis}
redis: {url: "${redis.url}", prefix: "${PREFIX}"}
`,
    "agent-e2e.yml",
    { addresses: addressChecker },
  );
  expect(config.stratum.main!.agentPort).toBe(3333 + 1111);
  core = new Redis(redis.url, { maxRetriesPerRequest: null });
  const log = quietLogger();
  gate = startGate({ redis: core, prefix: PREFIX, log, consumer: "agent-e2e", tuning: { blockMs: 50, discoverEveryMs: 100, tidyEveryMs: 0 } });
  ingest = startIngest({ redis: core, prefix: PREFIX, accounting: createAccounting(core, config, log), log, consumer: "agent-e2e", tuning: { blockMs: 50, tidyEveryMs: 0 } });
  spool = mkdtempSync(join(tmpdir(), "agent-e2e-"));
  edge = await startEdge(config, "eu1", quietLogger(), { spoolDir: spool, listenPorts: { main: 0 }, agentListenPorts: { main: 0 }, hostname: "127.0.0.1", powWorkers: 1 });
});

afterAll(async () => {
  for (const s of sockets) s[Symbol.dispose]();
  await edge?.stop();
  await gate?.stop();
  await ingest?.stop();
  core?.disconnect();
  await redis?.stop();
  if (spool) rmSync(spool, { recursive: true, force: true });
});

async function connect(port: number): Promise<TestMiner> {
  const s = await TestMiner.connect(port);
  sockets.push(s);
  return s;
}

async function ask(a: TestMiner, method: string, params: unknown[]): Promise<string> {
  a.sendLine(JSON.stringify({ method, params }));
  return (await a.next()).raw;
}

test("agent data from a worker connected on the paired port ends in hashrate_, temp_ and status_ keys", async () => {
  const miner = await connect(edge.stratum.listeners.get("main")!.port);
  expect((await miner.request("mining.subscribe", ["cpuminer/2.5.1"])).error).toBeNull();
  expect((await miner.request("mining.authorize", [`${ADDR}.rig1`, "x"])).result).toBe(true);

  const agent = await connect(edge.stratum.agents.get("main")!.listener.port);
  agent.sendLine(JSON.stringify({ method: "hello", params: ["0.4"] }));
  expect(await ask(agent, "worker.authenticate", [`${ADDR}.rig2`])).toBe('{"result":null,"error":[31,"Worker not connected",null]}');
  expect(await ask(agent, "worker.authenticate", [`${ADDR}.rig1`])).toBe(OK);
  expect(edge.stratum.status.ports()[0]!.agentClients).toBe(1);

  const before = Date.now() / 1000;
  expect(await ask(agent, "stats.submit", [`${ADDR}.rig1`, "hashrate", [12.5, 100], 1409899777])).toBe(OK);
  expect(await ask(agent, "stats.submit", [`${ADDR}.rig1`, "temp", [45.5, 50], 1409899777.5])).toBe(OK);
  expect(await ask(agent, "stats.submit", [`${ADDR}.rig1`, "status", { v: "0.4", gpus: 2 }, 1409899777])).toBe(OK);
  expect(await ask(agent, "stats.submit", [`${ADDR}.rig1`, "thresholds", { temp: 80 }, 1409899777])).toBe('{"result":null,"error":[35,"Type not accepted",null]}');

  const names = contractNames(PREFIX);
  // Through the gate (from the edge's own stream, or the v1 one from an edge that predates contract v2).
  await waitFor("three agent records", async () => (await core.xlen(names.verifiedAgentStream)) === 3);
  await waitFor("the agent stream to drain", () => drained(core, names.verifiedAgentStream, names.agentGroup));
  expect(edge.forwarder.agentSent).toBe(3);
  expect(edge.forwarder.agentDropped).toBe(0);

  expect(await core.hgetall("hashrate_1409899740")).toEqual({ [`${ADDR}_rig1_0`]: "12.5", [`${ADDR}_rig1_1`]: "100" });
  expect(await core.hgetall("temp_1409899740.0")).toEqual({ [`${ADDR}_rig1_0`]: "45.5", [`${ADDR}_rig1_1`]: "50" });
  const status = (await core.get(`status_${ADDR}_rig1`)) ?? "";
  expect(status).toMatch(/^\{"v": "0\.4", "gpus": 2, "time": \d+\.\d+\}$/);
  expect(JSON.parse(status).time).toBeGreaterThanOrEqual(before);
  expect(await core.ttl(`status_${ADDR}_rig1`)).toBeGreaterThan(86_000);
  expect(await core.xlen(names.deadLetter("agent"))).toBe(0);
});
