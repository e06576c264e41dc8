/**
 * @module A private Redis Sentinel topology for failover tests: a primary, one replica and three
 * Sentinels (Debian's `redis-server` and `redis-sentinel`), on free loopback ports, in a temporary
 * directory removed by stop(). The Sentinels are quick to judge (down after 1 s) so a failover
 * takes a few seconds. Tests never touch a server they did not start.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Redis from "ioredis";
import { freePort, pingRedis } from "./redis.ts";

export const SENTINEL_MASTER = "ppmaster";

interface Server {
  readonly port: number;
  proc: ReturnType<typeof Bun.spawn> | undefined;
  readonly args: () => string[];
}

export interface SentinelTopology {
  readonly sentinels: readonly { host: string; port: number }[];
  /** Ports of the two data servers, the first started as primary. */
  readonly dataPorts: readonly [number, number];
  /** The port the Sentinels name as primary now. */
  primaryPort(): Promise<number>;
  /** A client of the server on `port` (closed by stop()). */
  client(port: number): Redis;
  /** Sends `signal` to the data server on `port` (SIGKILL waits for the exit). */
  signal(port: number, signal: "SIGKILL" | "SIGSTOP" | "SIGCONT"): Promise<void>;
  /** Starts the data server on `port` again, as a replica of `primary`. */
  restartAsReplica(port: number, primary: number): Promise<void>;
  /** Waits until the Sentinels name a primary other than `old`; returns it. */
  failedOver(old: number, timeoutMs?: number): Promise<number>;
  /** Waits until `primary` has `n` replicas online and in sync. */
  replicasOnline(primary: number, n: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`sentinel topology: timed out waiting for ${what}`);
    await Bun.sleep(100);
  }
}

/** The pool config's `redis:` body (YAML at its two-space indent) for `topo`'s Sentinels, with `prefix` and a short WAIT timeout. */
export function sentinelRedisYaml(topo: Pick<SentinelTopology, "sentinels">, prefix: string): string {
  return `  sentinel:\n    name: ${SENTINEL_MASTER}\n    sentinels: [${topo.sentinels.map((s) => `{host: ${s.host}, port: ${s.port}}`).join(", ")}]\n  prefix: "${prefix}"\n  wait_timeout: 0.5`;
}

export async function startSentinelTopology(): Promise<SentinelTopology> {
  const redisBin = Bun.which("redis-server");
  const sentinelBin = Bun.which("redis-sentinel") ?? redisBin;
  if (!redisBin || !sentinelBin) throw new Error("redis-server and redis-sentinel are needed: apt-get install -y redis-server redis-sentinel");
  const dir = mkdtempSync(join(tmpdir(), "pp-sentinel-"));
  const clients = new Map<number, Redis>();
  const client = (port: number) => {
    let c = clients.get(port);
    if (!c) {
      c = new Redis({ port, host: "127.0.0.1", maxRetriesPerRequest: 1, retryStrategy: () => 100, lazyConnect: false });
      c.on("error", () => {});
      clients.set(port, c);
    }
    return c;
  };
  const data = (port: number, replicaOf?: number): Server => ({
    port,
    proc: undefined,
    args: () => [redisBin, "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--repl-diskless-sync-delay", "0", "--dir", dir, "--dbfilename", `dump-${port}.rdb`, "--daemonize", "no", "--logfile", "", ...(replicaOf ? ["--replicaof", "127.0.0.1", String(replicaOf)] : [])],
  });
  const spawn = async (s: Server) => {
    s.proc = Bun.spawn(s.args(), { stdout: "ignore", stderr: "ignore" });
    const deadline = Date.now() + 5000;
    while (!(await pingRedis(s.port))) {
      if (s.proc.exitCode !== null || Date.now() > deadline) throw new Error(`sentinel topology: server on ${s.port} did not start`);
      await Bun.sleep(20);
    }
  };
  const primary = data(freePort());
  const replica = data(freePort(), primary.port);
  const servers = new Map<number, Server>([
    [primary.port, primary],
    [replica.port, replica],
  ]);
  const sentinels: Server[] = [];
  try {
    await spawn(primary);
    await spawn(replica);
    for (let i = 0; i < 3; i++) {
      const port = freePort();
      const conf = join(dir, `sentinel-${port}.conf`);
      writeFileSync(
        conf,
        [
          `port ${port}`,
          "bind 127.0.0.1",
          `dir ${dir}`,
          `sentinel monitor ${SENTINEL_MASTER} 127.0.0.1 ${primary.port} 2`,
          `sentinel down-after-milliseconds ${SENTINEL_MASTER} 1000`,
          `sentinel failover-timeout ${SENTINEL_MASTER} 5000`,
          `sentinel parallel-syncs ${SENTINEL_MASTER} 1`,
          "",
        ].join("\n"),
      );
      const s: Server = { port, proc: undefined, args: () => [sentinelBin, conf] };
      sentinels.push(s);
      await spawn(s);
    }
    // Each Sentinel must know the replica and the other two before a failover can work.
    for (const s of sentinels) {
      const c = client(s.port);
      await until(
        `sentinel ${s.port} to see the replica and its peers`,
        async () => {
          const replicas = (await c.call("SENTINEL", "REPLICAS", SENTINEL_MASTER)) as unknown[];
          const peers = (await c.call("SENTINEL", "SENTINELS", SENTINEL_MASTER)) as unknown[];
          return replicas.length >= 1 && peers.length >= 2 ? true : undefined;
        },
        30_000,
      );
    }
  } catch (e) {
    for (const s of [...servers.values(), ...sentinels]) s.proc?.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }

  const askSentinels = async (): Promise<number> => {
    for (const s of sentinels) {
      try {
        const addr = (await client(s.port).call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", SENTINEL_MASTER)) as [string, string] | null;
        if (addr) return Number(addr[1]);
      } catch {
        // try the next one
      }
    }
    throw new Error("sentinel topology: no Sentinel answered");
  };

  return {
    sentinels: sentinels.map((s) => ({ host: "127.0.0.1", port: s.port })),
    dataPorts: [primary.port, replica.port],
    primaryPort: askSentinels,
    client,
    async signal(port, signal) {
      const s = servers.get(port)!;
      s.proc?.kill(signal);
      if (signal === "SIGKILL") {
        await s.proc?.exited;
        s.proc = undefined;
      }
    },
    async restartAsReplica(port, primaryPort) {
      const s = data(port, primaryPort);
      servers.set(port, s);
      await spawn(s);
    },
    failedOver: (old, timeoutMs = 30_000) => until("the Sentinels to promote a new primary", async () => {
      const p = await askSentinels();
      if (p === old) return undefined;
      const role = (await client(p).call("ROLE")) as unknown[];
      return role[0] === "master" ? p : undefined;
    }, timeoutMs),
    async replicasOnline(p, n, timeoutMs = 30_000) {
      let last = "";
      await until(`${n} replicas of ${p} in sync`, async () => {
        last = await client(p).info("replication");
        const online = [...last.matchAll(/^slave\d+:.*state=online/gm)].length;
        return online >= n ? true : undefined;
      }, timeoutMs).catch((e: Error) => {
        throw new Error(`${e.message}; last INFO replication: ${last.replace(/\r?\n/g, " | ")}`);
      });
    },
    async stop() {
      for (const c of clients.values()) c.disconnect();
      for (const s of [...sentinels, ...servers.values()]) {
        s.proc?.kill("SIGKILL");
        await s.proc?.exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
