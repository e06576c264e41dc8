/**
 * @module Test fixtures for the monitor: a config full of recognisable secrets, a fake core with
 * canned statuses, and two edges' heartbeats — enough for every route to have real content.
 */
import { addressChecker } from "../../shared/config/addresses.ts";
import { parseConfig, type Config } from "../../shared/config/load.ts";
import type { EdgeClientV1, EdgePortStatusV1, EdgeStatusV1, JobV1 } from "../../shared/contract/index.ts";
import { createLogger, type Logger } from "../../shared/log.ts";
import type { BlockResult } from "../blocks/index.ts";
import type { CoinserverStatus } from "../coinserver/index.ts";
import { createMonitorApp } from "./app.ts";
import { HashrateHistory } from "./history.ts";
import { MonitorTracker } from "./tracker.ts";
import type { CoinSource, CoreSource, RedisView } from "./types.ts";
import type { MonitorDeps } from "./view.ts";

/** Every secret the config below holds; none may appear in any response. */
export const SECRETS = {
  rpc1: "rpc-Secret-Pa55-btc1",
  rpc2: "rpc-Secret-Pa55-btc2",
  rpcUser: "rpcuser-Secret-btc",
  aux: "aux-rpc-Secret-nmc",
  redis: "redis-Secret-9x8y7z",
  broker: "broker-Secret-c3l3ry",
  datagram: "dgram-Secret-7f3a9c",
} as const;

export const POOL_ADDRESS = "RAqS1bAuWqW2f6ufsU5H4XpKfy5Pqj2oHz";
export const NOW = Date.UTC(2025, 0, 2, 3, 4, 5, 678);

export function secretConfig(extra = ""): Config {
  const s = SECRETS;
  return parseConfig(
    `
pool:
  procname: mon
  datagram: {enabled: true, secret: "${s.datagram}"}
  events: {enabled: false}
coins:
  BTC:
    algo: sha256d
    network: bcoin-regtest
    pool_address: ${POOL_ADDRESS}
    merged: [NMC]
    coinservs:
      - {address: 10.0.0.5, port: 18443, username: ${s.rpcUser}, password: "${s.rpc1}", name: btc-a, poll_priority: 1}
      - {address: 10.0.0.6, port: 18443, username: ${s.rpcUser}, password: "${s.rpc2}"}
aux:
  NMC:
    algo: sha256d
    coinservs: [{address: 10.0.0.7, port: 18445, username: nmc, password: "${s.aux}"}]
stratum:
  main: {port: 3333, reporter: redis}
  second: {port: 3334, reporter: redis}
edges:
  eu1: {public_host: eu1.pool.example}
  us1: {}
reporters:
  redis: {type: redis}
  legacy: {type: celery, broker: "redis://:${s.broker}@10.0.0.9:6379/1"}
redis: {url: "redis://default:${s.redis}@127.0.0.1:6379/0", prefix: "mon:"}
${extra}`,
    "monitor-test.yml",
    { addresses: addressChecker },
  );
}

const A1 = POOL_ADDRESS;
const A2 = "rb1qzyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg328fddy";

export function client(over: Partial<EdgeClientV1> = {}): EdgeClientV1 {
  return { extranonce1: "0100000a", address: A1, worker: "rig1", idle: false, difficulty: 512, userAgent: "cgminer/4.12", ip: "198.51.100.7", connectedAt: NOW - 3_723_500, lastShareAt: NOW - 4_000, acceptedDifficulty: 40_960, jobIds: 7, hashrate: 1.75e11, ...over };
}

export function port(over: Partial<EdgePortStatusV1> = {}): EdgePortStatusV1 {
  return { key: "main", listenPort: 3333, jobmanager: "BTC", algo: "sha256d", clients: 3, authed: 2, idle: 1, agentClients: 0, hashrate: 1.5e12, shares: { acc: 120, dup: 1, low: 2, stale: 3, invalid: 0 }, lastJobId: "00aa0001", lastJobAt: NOW - 9_000, clientList: [client()], ...over };
}

export function edge(over: Partial<EdgeStatusV1> = {}): EdgeStatusV1 {
  return { v: 1, edge: "eu1", session: "0a0b0c0d", edgeId: 1, publicHost: "eu1.pool.example", startedAt: NOW - 86_400_000, time: NOW - 2_000, spooled: 0, ports: [port()], ...over };
}

/** eu1 (main: two addresses, three workers) and us1 (main and second, one client each). */
export function twoEdges(): EdgeStatusV1[] {
  return [
    edge({
      ports: [
        port({
          clients: 4,
          authed: 3,
          idle: 1,
          clientList: [client(), client({ extranonce1: "0100000b", worker: "rig2", idle: true, lastShareAt: null }), client({ extranonce1: "0100000c", address: A2, worker: "s19" })],
        }),
      ],
    }),
    edge({
      edge: "us1",
      session: "1a1b1c1d",
      edgeId: 2,
      publicHost: null,
      spooled: 42,
      ports: [
        port({ clients: 1, authed: 1, idle: 0, hashrate: 5e11, lastJobId: "00aa0002", lastJobAt: NOW - 1_000, clientList: [client({ extranonce1: "0200000a", address: A2, worker: "s19b" })] }),
        port({ key: "second", listenPort: 3334, clients: 1, authed: 1, idle: 0, hashrate: 2.5e11, clientList: [client({ extranonce1: "0200000b", worker: "cpu" })] }),
      ],
    }),
  ];
}

export function server(over: Partial<CoinserverStatus> = {}): CoinserverStatus {
  return { name: "btc-a", address: "10.0.0.5", port: 18443, priority: 1, state: "live", since: NOW - 600_000, current: true, lastCheck: NOW - 1_500, lastRttMs: 3.2, lastError: null, chain: "regtest", blocks: 812, bestBlockHash: "00".repeat(32), version: 250000, subversion: "/Satoshi:25.0.0/", ...over };
}

export interface FakeCore extends CoreSource {
  emitBlock(r: BlockResult): void;
}

export function fakeCore(over: { servers?: CoinserverStatus[]; failAccounting?: string } = {}): FakeCore {
  const blockListeners = new Set<(r: BlockResult) => void>();
  const btc: CoinSource = {
    key: "BTC",
    pool: { status: () => ({ label: "BTC", current: "btc-a", live: 1, down: 1, servers: over.servers ?? [server(), server({ name: "10.0.0.6:18443", address: "10.0.0.6", priority: 0, state: "down", current: false, lastRttMs: null, lastError: "connection refused by http://10.0.0.6:18443/" })] }) },
    jobs: {
      status: () => ({ jobmanager: "BTC", jobCount: 57, storedJobs: 12, lastJobId: "00aa0003", lastJobType: 1, height: 812, prevHash: "11".repeat(32), difficulty: 4.6e-10, subsidy: 5_000_012_345n, transactions: 3, lastNewBlockAt: NOW - 30_000, templateError: null }),
      subscribe: () => () => {},
    },
    watcher: { status: () => ({ mode: "poll", method: "poll", channel: null, tip: { hash: "11".repeat(32), height: 812 }, lastSignal: NOW - 12_000, signals: 4, lastCheck: NOW - 200, lastNewBlock: NOW - 30_000, checkError: null }) },
  };
  const consumer = (stream: string) => ({ stream, group: "accounting", consumer: "core-1", state: "running" as const, lastError: undefined, entries: 99, lastEntryAt: NOW - 500, backlog: { pending: 3, lag: 5 } });
  return {
    coins: new Map([["BTC", btc]]),
    accounting: {
      status: () => {
        if (over.failAccounting) throw new Error(over.failAccounting);
        return {
          ingest: { shares: consumer("mon:shares"), agent: consumer("mon:agent") },
          stats: {
            counters: [
              { name: "acc_share_n1", owner: "main", kind: "minute", total: 2048, min_total: 512, hour_total: 2048, min_avg: 34.13 },
              { name: "records_applied", owner: "ingest", kind: "second", total: 99, min_total: 60, hour_total: 99, min_avg: 1.65, second_avg: 1 },
            ],
            hashrates: { ports: { main: { hps: 2e12, mhps: 2e6, measuredMs: 60_000 } }, coins: { BTC: { hps: 2.25e12, mhps: 2.25e6, measuredMs: 60_000 } } },
          },
        };
      },
    },
    blocks: { status: () => ({ state: "reading", candidates: 2, inFlight: 0, lastError: null }) },
    notify: { counters: () => ({ accepted: 4, rejected: { oversized: 0, not_ascii: 0, malformed: 2, missing_secret: 0, bad_secret: 1, unknown_component: 0, method_not_allowed: 0, handler_error: 0 }, lastAccepted: NOW - 12_000 }) },
    onBlock(l) {
      blockListeners.add(l);
      return () => blockListeners.delete(l);
    },
    emitBlock(r) {
      for (const l of blockListeners) l(r);
    },
  };
}

export function blockResult(over: Partial<BlockResult> = {}): BlockResult {
  return {
    currency: "BTC", algo: "sha256d", coin: "BTC", jobmanager: "BTC", height: 812, hash: "00".repeat(31) + "7f", hexBits: "207fffff", address: A1, worker: "rig1", edge: "eu1", session: "0a0b0c0d", shareSeq: 1, jobId: "00aa0001",
    accepted: true, rejectReason: null, chain: "best", servers: [], totalSubsidy: 5_000_000_000n, fees: 0n, merged: false,
    receivedAt: NOW - 60_040, submittedAt: NOW - 60_000, shareToSubmitMs: 40, submitMs: 12, candidateId: "1-0", ...over,
  };
}

export function job(over: Partial<JobV1> = {}): JobV1 {
  return {
    v: 1, id: "00aa0001", jobmanager: "BTC", coin: "BTC", currency: "BTC", algo: "sha256d", type: 0, height: 813, prevhash: "11".repeat(32), coinb1: "01", coinb2: "02", branch: [],
    version: 0x20000000, versionMask: 0x1fffe000, bits: "207fffff", ntime: 1_700_000_000, mintime: 1_700_000_000, target: "7f".padEnd(64, "f"), diff1: "0".repeat(8) + "f".repeat(56), powBlockHash: false,
    extranonce1Size: 4, extranonce2Size: 4, aux: [{ currency: "NMC", chainId: 1, hash: "22".repeat(32), target: "7f".padEnd(64, "f"), height: 300, algo: "sha256d" }], createdAt: NOW - 9_000, ...over,
  };
}

export const quietLog = (lines: string[] = []): Logger => createLogger("monitor-test", { level: "debug", format: "text", components: {}, write: (l) => lines.push(l) });

export interface Fixture {
  readonly config: Config;
  readonly core: FakeCore;
  readonly deps: MonitorDeps;
  readonly app: ReturnType<typeof createMonitorApp>;
  readonly logLines: string[];
  view: RedisView;
}

export function fixture(opts: { edges?: EdgeStatusV1[]; core?: FakeCore; config?: Config } = {}): Fixture {
  const config = opts.config ?? secretConfig();
  const core = opts.core ?? fakeCore();
  const tracker = new MonitorTracker();
  tracker.recordJob("BTC", job(), NOW - 9_000);
  tracker.recordJob("BTC", job({ id: "00aa0003", type: 1 }), NOW - 3_000);
  tracker.recordBlock(blockResult());
  tracker.recordBlock(blockResult({ height: 813, hash: "00".repeat(31) + "80", accepted: false, rejectReason: "high-hash", chain: "unknown", submittedAt: NOW - 20_000 }));
  const history = new HashrateHistory(10_000, 360);
  for (let i = 0; i < 12; i++) history.add({ t: NOW - (12 - i) * 10_000, pool: 2e12 + i * 1e10, coins: { BTC: 2e12 + i * 1e10 }, workers: 5 });
  const logLines: string[] = [];
  const fx: Fixture = {
    config,
    core,
    logLines,
    view: { edges: opts.edges ?? twoEdges(), aux: { NMC: { v: 1, aux: "NMC", currency: "NMC", chainId: 1, hash: "ab".repeat(32), target: "00000000ffff" + "0".repeat(52), bits: "1d00ffff", height: 301, fetchedAt: NOW - 5_000 } }, readAt: NOW, error: null, undecodable: 0 },
    deps: undefined as unknown as MonitorDeps,
    app: undefined as unknown as ReturnType<typeof createMonitorApp>,
  };
  const deps: MonitorDeps = {
    config,
    core,
    redis: { read: async () => fx.view },
    tracker,
    history,
    log: quietLog(logLines),
    startedAt: NOW - 93_784_500,
    version: { version: "0.1.0", sha: null, revDate: null },
    now: () => NOW,
  };
  return Object.assign(fx, { deps, app: createMonitorApp(deps) });
}
