/**
 * @module `bun bench/sv2.ts` (also run by `bun run bench:edge` after its v1 phases, in the same
 * run): the edge's Stratum V2 listener under load, through real sockets, with the real edge in its
 * own process (bench/edge-server.ts) so its CPU and RSS are read from /proc apart from the load.
 *
 *  1. handshakes: Noise NX handshakes per second (the client side is in this process and costs
 *     about as much), and the edge's CPU per handshake;
 *  2. shares: 20 connections × 16 submits in flight, on standard channels and on extended ones:
 *     shares/s and the edge's CPU per share (decrypt, check, sha256d, record, batched Success);
 *  3. idle: RSS per idle SV2 connection (handshake done, one standard channel open);
 *  4. fan-out: a new job (published to Redis, as the core does) to every idle connection's
 *     NewMiningJob — with a merkle root of its own per standard channel.
 *
 * As bench/edge.ts, every share meets its target (difficulty 1e-10) and none is a block.
 * Options: --quick (short phases, fewer connections).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { JobPublisher } from "../core/jobs/publisher.ts";
import { certifyEdgeKey, newAuthorityKey } from "../edge/sv2/keys.ts";
import type { JobV1 } from "../shared/contract/index.ts";
import { createLogger } from "../shared/log.ts";
import { DIFF1_SHA256D } from "../shared/pow/index.ts";
import { freePort, startRedis } from "../test/helpers/redis.ts";
import { machineCpu, processCpu, rssKiB, spawnEdge, type EdgeProcess } from "./edge-proc.ts";
import { BENCH_EDGE_NAME } from "./edge-protocol.ts";
import { Sv2LoadClient } from "./sv2-load.ts";

const QUICK = process.argv.includes("--quick");
const HANDSHAKES = QUICK ? 60 : 200;
const HANDSHAKE_CONCURRENCY = 8;
const CONNS = 20;
const DEPTH = 16;
const WARMUP_MS = QUICK ? 500 : 1000;
const TRIALS = 3;
const TRIAL_MS = QUICK ? 700 : 2000;
const IDLE = QUICK ? 200 : 1000;
const FANOUT_ROUNDS = QUICK ? 2 : 4;
const USER = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa";
const PREFIX = "bench:";
const hex = (n: number) => Buffer.from(crypto.getRandomValues(new Uint8Array(n))).toString("hex");
let seq = 0;

/** A mainnet-shaped flush job (12-level branch, segwit coinbase), as bench/edge.ts publishes. */
function job(): JobV1 {
  const now = Math.floor(Date.now() / 1000);
  return {
    v: 1,
    id: `${Date.now().toString(16)}${(seq++).toString(16).padStart(4, "0")}`,
    jobmanager: "BTC",
    coin: "BTC",
    currency: "BTC",
    algo: "sha256d",
    type: 0,
    height: 900_000,
    prevhash: hex(32),
    coinb1: "02000000010000000000000000000000000000000000000000000000000000000000000000ffffffff2403a0bb0d0f2f706f776572706f6f6c2d62756e2f",
    coinb2: `ffffffff0200f2052a010000001976a914${hex(20)}88ac0000000000000000266a24aa21a9ed${hex(32)}00000000`,
    branch: Array.from({ length: 12 }, () => hex(32)),
    version: 0x20000000,
    versionMask: 0x1fffe000,
    bits: "17034219",
    ntime: now,
    mintime: now - 3600,
    target: "0000000000000000000342190000000000000000000000000000000000000000",
    diff1: DIFF1_SHA256D.toString(16).padStart(64, "0"),
    powBlockHash: false,
    extranonce1Size: 4,
    extranonce2Size: 4,
    aux: [],
    createdAt: Date.now(),
  };
}

export interface Sv2Figures {
  handshakesPerSecond: number;
  handshakeCpuMs: number;
  shares: { kind: "standard" | "extended"; rate: number; cpuUsPerShare: number; machine: number }[];
  idleKiBPerConnection: number;
  idleConnections: number;
  fanoutMs: number;
  fanoutCpuMs: number;
}

const pct = (x: number) => `${(x * 100).toFixed(0)}%`;

async function main(): Promise<Sv2Figures> {
  const dir = mkdtempSync(join(tmpdir(), "pp-bench-sv2-"));
  const redis = await startRedis();
  const quiet = createLogger("bench", { level: "error", format: "text", components: {} });
  const publisher = new JobPublisher({ redis: redis.client, prefix: PREFIX, log: quiet });
  let edge: EdgeProcess | undefined;
  const clients: Sv2LoadClient[] = [];
  try {
    const now = Math.floor(Date.now() / 1000);
    writeFileSync(join(dir, "sv2.json"), certifyEdgeKey(newAuthorityKey(), now - 60, now + 30 * 86400));
    const sv2Port = freePort();
    writeFileSync(
      join(dir, "edge.yml"),
      stringify({
        pool: { procname: "bench", extranonce_serv_size: 4, extranonce_size: 4, datagram: { enabled: false }, events: { enabled: false } },
        logging: { level: "warn" },
        coins: { BTC: { algo: "sha256d", network: "bitcoin", pool_address: USER, coinservs: [{ address: "127.0.0.1", port: 8332 }] } },
        stratum: {
          // bench/edge-server.ts listens for v1 on a port the OS picks; SV2 on port + port_diff = sv2Port.
          sha256d: {
            jobmanager: "BTC",
            address: "127.0.0.1",
            port: sv2Port,
            start_difficulty: 1e-10,
            minimum_manual_diff: 1e-11,
            vardiff: { enabled: false, minimum_difficulty: 1e-11, maximum_difficulty: 1 },
            limits: { max_connections_per_ip: 1_000_000, max_requests_per_second: 1_000_000 },
            // The load comes from one address: the per-address handshake budget would be the figure instead of the edge.
            sv2: { enabled: true, port_diff: 0, key_file: join(dir, "sv2.json"), handshakes_per_second_per_ip: 1_000_000 },
          },
        },
        edges: { [BENCH_EDGE_NAME]: {} },
        reporters: { redis: { type: "redis" } },
        redis: { url: redis.url, prefix: PREFIX },
        monitor: { enabled: false },
      }),
    );
    await publisher.publish(job());
    edge = await spawnEdge(join(dir, "edge.yml"), join(dir, "spool"), 1);
    const pid = edge.pid;
    await Bun.sleep(1000);

    // 1. handshakes
    let done = 0;
    const c0 = processCpu(pid);
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: HANDSHAKE_CONCURRENCY }, async () => {
        while (done < HANDSHAKES) {
          done++;
          (await Sv2LoadClient.connect(sv2Port)).close();
        }
      }),
    );
    const hsSeconds = (performance.now() - t0) / 1000;
    const handshakesPerSecond = HANDSHAKES / hsSeconds;
    const handshakeCpuMs = ((processCpu(pid) - c0) * 1000) / HANDSHAKES;
    console.log(`sv2 handshakes: ${handshakesPerSecond.toFixed(0)} /s with ${HANDSHAKE_CONCURRENCY} at a time (the client's half runs in this process); edge CPU ${handshakeCpuMs.toFixed(2)} ms per handshake`);

    // 2. shares on standard and extended channels
    const shares: Sv2Figures["shares"] = [];
    for (const kind of ["standard", "extended"] as const) {
      const group: Sv2LoadClient[] = [];
      for (let i = 0; i < CONNS; i++) {
        const c = await Sv2LoadClient.connect(sv2Port);
        await c.open(kind, `${USER}.b${i}`);
        group.push(c);
      }
      for (const c of group) c.run(DEPTH);
      await Bun.sleep(WARMUP_MS);
      const windows: { rate: number; cpuUs: number; machine: number }[] = [];
      for (let t = 0; t < TRIALS; t++) {
        const a0 = group.reduce((n, c) => n + c.accepted, 0);
        const p0 = processCpu(pid);
        const m0 = machineCpu();
        const w0 = performance.now();
        await Bun.sleep(TRIAL_MS);
        const n = group.reduce((k, c) => k + c.accepted, 0) - a0;
        const secs = (performance.now() - w0) / 1000;
        const m1 = machineCpu();
        windows.push({ rate: n / secs, cpuUs: ((processCpu(pid) - p0) * 1e6) / Math.max(1, n), machine: (m1.busy - m0.busy) / (m1.total - m0.total) });
      }
      for (const c of group) c.close();
      const rejected = group.reduce((k, c) => k + c.rejected, 0);
      windows.sort((a, b) => a.rate - b.rate);
      const med = windows[Math.floor(windows.length / 2)]!;
      shares.push({ kind, rate: med.rate, cpuUsPerShare: med.cpuUs, machine: med.machine });
      console.log(`sv2 shares, ${kind} channels: ${(med.rate / 1000).toFixed(2)} k/s (${CONNS} connections × ${DEPTH} in flight), edge CPU ${med.cpuUs.toFixed(1)} µs per share; machine ${pct(med.machine)} busy${rejected ? `; ${rejected} rejected` : ""}`);
      await Bun.sleep(300);
    }

    // 3. idle connections, 4. fan-out to them
    await Bun.sleep(2000);
    const rss0 = rssKiB(pid);
    const heap0 = (await edge.memory()).heapUsed / 1024;
    for (let i = 0; i < IDLE; i += 10) {
      const batch = await Promise.all(Array.from({ length: Math.min(10, IDLE - i) }, () => Sv2LoadClient.connect(sv2Port)));
      await Promise.all(batch.map((c, k) => c.open("standard", `${USER}.i${i + k}`)));
      clients.push(...batch);
    }
    await Bun.sleep(2000);
    const rss1 = rssKiB(pid);
    const heap1 = (await edge.memory()).heapUsed / 1024;
    const idleKiBPerConnection = (rss1 - rss0) / IDLE;
    // RSS after the share phases may still shrink as the allocator returns pages: the JS heap is the steadier figure.
    console.log(`sv2 idle: ${IDLE} connections (handshake done, one standard channel each): RSS ${(rss0 / 1024).toFixed(1)} → ${(rss1 / 1024).toFixed(1)} MiB (${idleKiBPerConnection.toFixed(1)} KiB per connection), JS heap ${((heap1 - heap0) / IDLE).toFixed(1)} KiB per connection`);
    const fan: { ms: number; cpu: number }[] = [];
    for (let r = 0; r < FANOUT_ROUNDS; r++) {
      const j = job();
      let got = 0;
      const allIn = new Promise<number>((resolve) => {
        for (const c of clients)
          c.onJob = () => {
            if (++got === clients.length) resolve(performance.now());
          };
      });
      const p0 = processCpu(pid);
      const t = performance.now();
      await publisher.publish(j);
      const end = await Promise.race([allIn, Bun.sleep(30_000).then(() => -1)]);
      if (end < 0) throw new Error(`fan-out: only ${got} of ${clients.length} clients got the job in 30 s`);
      fan.push({ ms: end - t, cpu: (processCpu(pid) - p0) * 1000 });
      await Bun.sleep(500);
    }
    fan.sort((a, b) => a.ms - b.ms);
    const f = fan[Math.floor(fan.length / 2)]!;
    console.log(`sv2 fan-out: new job → NewMiningJob at the last of ${IDLE} standard channels ${f.ms.toFixed(0)} ms (median of ${FANOUT_ROUNDS}; XADD to the last client's receipt), edge CPU ${f.cpu.toFixed(0)} ms`);
    return { handshakesPerSecond, handshakeCpuMs, shares, idleKiBPerConnection, idleConnections: IDLE, fanoutMs: f.ms, fanoutCpuMs: f.cpu };
  } finally {
    for (const c of clients) c.close();
    await edge?.stop();
    await publisher.stop(500);
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  console.log(`bench sv2  ${new Date().toISOString()}  Bun ${Bun.version}  ${cpus()[0]?.model ?? "cpu?"}  cores ${navigator.hardwareConcurrency}${QUICK ? "  (--quick)" : ""}`);
  await main();
}
