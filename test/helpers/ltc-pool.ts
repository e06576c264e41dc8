/**
 * @module A whole pool on real litecoind regtest nodes, for tests and bench:block: one core (its
 * coinserver is the group's first node), one edge on a free port, a private Redis, and stratum
 * clients that count clean jobs. `block_method` and the datagram listener are the knobs.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startCore, type RunningCore } from "../../core/app.ts";
import { startEdge, type RunningEdge } from "../../edge/app.ts";
import { addressChecker } from "../../shared/config/addresses.ts";
import { parseConfig } from "../../shared/config/load.ts";
import type { Logger } from "../../shared/log.ts";
import type { LitecoindNode } from "./litecoind.ts";
import { LTC_REGTEST_ADDRESS } from "./litecoind.ts";
import { TestMiner } from "./miner.ts";
import { freePort, startRedis, type PrivateRedis } from "./redis.ts";

/** The `coins:` section of a pool on litecoind regtest: LTC (scrypt, rules mweb+segwit) with these keys and coinservers. */
export function ltcCoinYaml(keys: Record<string, string | number>, coinservs: readonly object[]): string {
  return `coins:
  LTC:
    algo: scrypt
    network: litecoin-regtest
    pool_address: ${LTC_REGTEST_ADDRESS}
    rules: [mweb, segwit]
${Object.entries(keys).map(([k, v]) => `    ${k}: ${v}`).join("\n")}
    coinservs:
${coinservs.map((c) => `      - ${JSON.stringify(c)}`).join("\n")}
`;
}

export interface LtcPoolOptions {
  readonly node: LitecoindNode;
  readonly blockMethod: "auto" | "zmq" | "longpoll" | "poll";
  /** The coinserver's `zmq` endpoint (a publisher standing in for the node's). */
  readonly zmq?: string;
  /** Seconds; large values mean "no polling to speak of". */
  readonly blockPoll: number;
  /** Push-block datagrams on a free port (no secret). */
  readonly datagram?: boolean;
  readonly log: Logger;
  readonly name: string;
}

export interface LtcPool {
  readonly core: RunningCore;
  readonly edge: RunningEdge;
  readonly stratumPort: number;
  readonly datagramPort: number | null;
  /** Connects and subscribes `n` stratum clients (cpuminer-style handshake), each past its first notify. */
  connect(n: number): Promise<TestMiner[]>;
  stop(): Promise<void>;
}

export async function startLtcPool(o: LtcPoolOptions): Promise<LtcPool> {
  const redis: PrivateRedis = await startRedis();
  const spool = mkdtempSync(join(tmpdir(), "pp-ltc-"));
  const cs = o.node.coinserver({ ...(o.zmq ? { zmq: o.zmq } : {}) });
  const datagramPort = o.datagram ? freePort() : null;
  const config = parseConfig(
    `
pool:
  procname: ${o.name}
  datagram: ${datagramPort === null ? "{enabled: false}" : `{enabled: true, host: 127.0.0.1, port: ${datagramPort}}`}
  events: {enabled: false}
${ltcCoinYaml({ block_method: o.blockMethod, block_poll: o.blockPoll, job_refresh: 3600, rpc_ping_int: 2 }, [cs])}stratum:
  main: {address: 127.0.0.1, port: ${freePort()}, limits: {max_connections_per_ip: 100000}, start_difficulty: 1.0e-3, minimum_manual_diff: 1.0e-9, vardiff: {enabled: false, minimum_difficulty: 1.0e-9, maximum_difficulty: 1}}
edges:
  e1: {}
reporters:
  redis: {type: redis}
redis: {url: "${redis.url}", prefix: "${o.name}:"}
monitor: {enabled: true, address: 127.0.0.1}
`,
    `${o.name}.yml`,
    { addresses: addressChecker },
  );
  const core = await startCore(config, o.log.child("core"), { consumer: `${o.name}-core`, monitor: { port: 0 } });
  const edge = await startEdge(config, "e1", o.log.child("edge"), { spoolDir: join(spool, "e1"), listenPorts: { main: 0 }, hostname: "127.0.0.1", powWorkers: 1 });
  const stratumPort = edge.stratum.listeners.get("main")!.port;
  const miners: TestMiner[] = [];
  return {
    core,
    edge,
    stratumPort,
    datagramPort,
    async connect(n) {
      const batch: TestMiner[] = [];
      for (let i = 0; i < n; i += 100) {
        const part = await Promise.all(
          Array.from({ length: Math.min(100, n - i) }, async (_, j) => {
            const m = await TestMiner.connect(stratumPort);
            await m.cpuMinerHandshake(`${LTC_REGTEST_ADDRESS}.w${i + j}`); // ends with the first notify
            return m;
          }),
        );
        batch.push(...part);
      }
      miners.push(...batch);
      return batch;
    },
    async stop() {
      for (const m of miners) m.close();
      await edge.stop();
      await core.stop();
      await redis.stop();
      rmSync(spool, { recursive: true, force: true });
    },
  };
}
