/**
 * @module The edge under test for `bun run bench:edge`, in its own process so the benchmark can
 * read its CPU time and RSS from /proc apart from the load generator's. It is the real edge
 * (`startEdge`: forwarder → Redis, job feed from Redis, share checker with native PoW, stratum
 * listeners on loopback ports the OS picks), driven over IPC by bench/edge.ts.
 *
 *   bun bench/edge-server.ts <config.yml> <spool-dir> <pow-workers>
 *
 * The only instrumentation is a wrapper around each port's job fan-out (`StratumPort.onJob`), which
 * reports when the fan-out started and ended: the edge's own share of "new job → last notify".
 */
import { readFileSync } from "node:fs";
import { startEdge } from "../edge/app.ts";
import type { EdgeJob } from "../edge/ports.ts";
import { addressChecker } from "../shared/config/addresses.ts";
import { parseConfig } from "../shared/config/load.ts";
import { createLogger } from "../shared/log.ts";
import { BENCH_EDGE_NAME, type FromEdge, type ToEdge } from "./edge-protocol.ts";

const send = (m: FromEdge) => process.send?.(m);
const wallNow = () => performance.timeOrigin + performance.now();

const [file, spoolDir, workers] = process.argv.slice(2);
if (!file || !spoolDir) throw new RangeError(`edge-server: expected <config.yml> <spool-dir> [pow-workers], got ${process.argv.slice(2).join(" ")}`);
const config = parseConfig(readFileSync(file, "utf8"), file, { addresses: addressChecker });
// Warnings and errors only: an info line per event would be the benchmark's cost, not the edge's.
const log = createLogger("edge", { level: "warn", format: "text", components: {} });

try {
  const listenPorts = Object.fromEntries(Object.keys(config.stratum).map((k) => [k, 0]));
  const edge = await startEdge(config, BENCH_EDGE_NAME, log, { spoolDir, listenPorts, hostname: "127.0.0.1", powWorkers: workers ? Number(workers) : undefined });
  for (const [key, port] of edge.stratum.ports) {
    const fanOut = port.onJob.bind(port);
    port.onJob = (job: EdgeJob) => {
      const startAt = wallNow();
      const cpu = process.cpuUsage();
      fanOut(job);
      const used = process.cpuUsage(cpu);
      send({ type: "fanout", port: key, jobId: job.id, startAt, endAt: wallNow(), cpuMs: (used.user + used.system) / 1000, clients: port.authed });
    };
  }
  process.on("message", async (m: ToEdge) => {
    if (m.type === "memory") {
      const u = process.memoryUsage();
      send({ type: "memory", rss: u.rss, heapUsed: u.heapUsed, heapTotal: u.heapTotal, external: u.external });
    } else if (m.type === "stop") {
      await edge.stop();
      send({ type: "stopped" });
      process.exit(0);
    }
  });
  // The parent going away must not leave an edge behind.
  process.on("disconnect", () => process.exit(0));
  send({ type: "ready", ports: Object.fromEntries([...edge.stratum.listeners].map(([k, l]) => [k, l.port])) });
} catch (e) {
  send({ type: "failed", message: e instanceof Error ? e.message : String(e) });
  process.exit(1);
}
