/**
 * @module A stratum edge for socket-level tests: the real listener and stratum layer on a free
 * loopback port, with the job feed, share checker and extranonce1 allocator simulated
 * (stratum-simulators.ts), a clock the test moves, and the port timer run by hand (`advance`).
 */
import { stringify } from "yaml";
import { addressChecker } from "../../shared/config/addresses.ts";
import { parseConfig, type Config } from "../../shared/config/load.ts";
import { startEdgeStratum, type EdgeStratum } from "../../edge/server.ts";
import type { StratumPort } from "../../edge/stratum/port.ts";
import type { StratumListener } from "../../edge/listener/index.ts";
import type { Clock } from "../../edge/stratum/context.ts";
import { captureLog } from "./log-capture.ts";
import { TestMiner } from "./miner.ts";
import { Extranonce1AllocatorSimulator, JobFeedSimulator, ShareCheckerSimulator } from "./stratum-simulators.ts";

export const BTC_ADDRESS = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa";
export const BTC_ADDRESS_2 = "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2";

/** Test difficulties: a share at 1e-6 takes a few thousand sha256d tries. */
export const EASY = 1e-6;

export class TestClock implements Clock {
  t = 1_700_000_000_000;
  now(): number {
    return this.t;
  }
}

export interface TestStratum {
  readonly config: Config;
  readonly feed: JobFeedSimulator;
  readonly checker: ShareCheckerSimulator;
  readonly allocator: Extranonce1AllocatorSimulator;
  readonly clock: TestClock;
  readonly edge: EdgeStratum;
  readonly port: StratumPort;
  readonly listener: StratumListener;
  readonly logLines: string[];
  connect(): Promise<TestMiner>;
  /** Moves the clock and runs the port timer once. */
  advance(ms: number): void;
  stop(): void;
  [Symbol.dispose](): void;
}

type Plain = Record<string, unknown>;

/** Deep-merges plain objects; arrays and scalars replace. */
function merge(base: Plain, over: Plain): Plain {
  const out: Plain = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = b && v && typeof b === "object" && typeof v === "object" && !Array.isArray(b) && !Array.isArray(v) ? merge(b as Plain, v as Plain) : v;
  }
  return out;
}

export function testConfig(stratum: Plain = {}, coin: Plain = {}, pool: Plain = {}): Config {
  const doc = {
    pool: merge({ extranonce_serv_size: 4, extranonce_size: 4 }, pool),
    coins: {
      BTC: merge({ algo: "sha256d", network: "bitcoin", pool_address: BTC_ADDRESS, coinservs: [{ address: "127.0.0.1", port: 8332 }] }, coin),
    },
    stratum: {
      main: merge(
        {
          port: 3333,
          start_difficulty: EASY,
          minimum_manual_diff: 1e-7,
          vardiff: { enabled: false, minimum_difficulty: 1e-7, maximum_difficulty: 1 },
          aliases: { myalias: BTC_ADDRESS_2 },
        },
        stratum,
      ),
    },
    reporters: { redis: { type: "redis" } },
  };
  return parseConfig(stringify(doc), "stratum-test.yml", { addresses: addressChecker });
}

export function startTestStratum(stratum: Plain = {}, coin: Plain = {}, pool: Plain = {}, opts: { random?: () => number } = {}): TestStratum {
  const config = testConfig(stratum, coin, pool);
  const feed = new JobFeedSimulator();
  const checker = new ShareCheckerSimulator(feed);
  const allocator = new Extranonce1AllocatorSimulator();
  const clock = new TestClock();
  const { log, lines } = captureLog("edge");
  const edge = startEdgeStratum({
    config,
    ports: ["main"],
    feed,
    checker,
    allocator,
    log,
    clock,
    timer: false,
    random: opts.random ?? (() => 0),
    listenPorts: { main: 0 },
    hostname: "127.0.0.1",
  });
  const port = edge.ports.get("main")!;
  const stop = () => edge.stop();
  return {
    config,
    feed,
    checker,
    allocator,
    clock,
    edge,
    port,
    listener: edge.listeners.get("main")!,
    logLines: lines,
    connect: () => TestMiner.connect(port.port),
    advance(ms) {
      clock.t += ms;
      edge.sweep();
    },
    stop,
    [Symbol.dispose]: stop,
  };
}
