/**
 * @module `bun run demo`: a complete pool on this machine with no configuration — a private bcoin
 * regtest node, Redis (scripts/demo/redis.ts), the core with its monitor and dashboard, one edge,
 * and a built-in CPU miner — with live progress until Ctrl-C (or --duration), then everything it
 * started is stopped in reverse order and its temporary files are removed.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startCore } from "../../core/app.ts";
import { startEdge } from "../../edge/app.ts";
import { createLogger } from "../../shared/log.ts";
import { banner } from "./banner.ts";
import { startBcoin } from "./bcoin.ts";
import { DEMO_BUILTIN_ADDRESS, demoConfig, writeDemoSv2Keys } from "./config.ts";
import { DemoMiner } from "./miner.ts";
import { demoRedis } from "./redis.ts";
import { freePort } from "./redis-server.ts";
import { DemoStatus } from "./status.ts";

const USAGE = `usage: bun run demo [--port N] [--monitor-port N] [--listen ADDR] [--private-redis] [--duration S] [--hashrate H] [--no-miner]
  --port N         stratum port (default: a free one)
  --monitor-port N monitor and dashboard port (default: a free one)
  --listen ADDR    stratum bind address (default 127.0.0.1; 0.0.0.0 lets miners on your network in)
  --private-redis  always start a private redis-server, never use the one at 127.0.0.1:6379
  --duration S     stop by itself after S seconds
  --hashrate H     the built-in miner's hashes per second (default 100000)
  --no-miner       no built-in miner (bring your own)`;

function fail(msg: string): never {
  process.stderr.write(`${msg}\n`);
  process.exit(2);
}

function options() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: "string" },
        "monitor-port": { type: "string" },
        listen: { type: "string", default: "127.0.0.1" },
        "private-redis": { type: "boolean", default: process.env.POWERPOOL_DEMO_PRIVATE_REDIS === "1" },
        duration: { type: "string" },
        hashrate: { type: "string", default: "100000" },
        "no-miner": { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    fail(`${(e as Error).message}\n${USAGE}`);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const num = (name: string, v: string | undefined, min: number, max: number): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) fail(`--${name} expects a number from ${min} to ${max}, got ${JSON.stringify(v)}`);
    return n;
  };
  return {
    port: num("port", values.port, 1, 65535) ?? freePort(),
    monitorPort: num("monitor-port", values["monitor-port"], 1, 65535) ?? freePort(),
    listen: values.listen,
    privateRedis: values["private-redis"],
    durationS: num("duration", values.duration, 1, 1e9),
    hashrate: num("hashrate", values.hashrate, 1, 1e8) ?? 100_000,
    miner: !values["no-miner"],
  };
}

const opts = options();
/** Everything started, in order; shutdown undoes it from the end (miner → edge → core → bcoin → Redis → files). */
const undo: { what: string; run: () => Promise<void> | void }[] = [];
let stopping = false;
let status: DemoStatus | undefined;
const say = (line: string) => (status ? status.print(line) : process.stdout.write(`${line}\n`));
const log = createLogger("demo", { level: "warn", format: "text", components: {}, write: (l) => say(l) });

/** A self-signed certificate for localhost (Debian's openssl), so the demo port also speaks stratum+ssl; null without openssl. */
async function selfSignedCertificate(dir: string): Promise<{ cert: string; key: string } | null> {
  const cert = join(dir, "demo.crt");
  const key = join(dir, "demo.key");
  const san = `subjectAltName=DNS:localhost,DNS:${hostname()},IP:127.0.0.1`;
  try {
    const p = Bun.spawn(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert, "-days", "30", "-subj", "/CN=powerpool-demo", "-addext", san], { stdout: "ignore", stderr: "ignore" });
    return (await p.exited) === 0 ? { cert, key } : null;
  } catch {
    return null; // no openssl: plain stratum only
  }
}

async function start(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "powerpool-demo-"));
  undo.push({ what: "temporary files", run: () => rmSync(dir, { recursive: true, force: true }) });
  process.stdout.write("Starting the PowerPool demo: Redis, a bcoin regtest node, the core, an edge and a CPU miner…\n");

  const redis = await demoRedis({ forcePrivate: opts.privateRedis });
  if ("error" in redis) {
    process.stderr.write(`${redis.error}\n`);
    await shutdown(1);
    return;
  }
  undo.push({ what: "redis", run: () => redis.stop() });
  if (stopping) return;

  const node = await startBcoin();
  undo.push({ what: "bcoin", run: () => node.stop() });
  // One block first: a node with only the 2011 genesis block counts itself as syncing.
  await node.mine(1);
  if (stopping) return;

  const sv2KeyFile = writeDemoSv2Keys(dir);
  const tls = await selfSignedCertificate(dir);
  const config = demoConfig({ node, redisUrl: redis.url, prefix: "demo:", stratumPort: opts.port, monitorPort: opts.monitorPort, listen: opts.listen, edges: ["local"], sv2KeyFile, ...(tls ? { tls } : {}) });
  const core = await startCore(config, log.child("core"), { consumer: "demo-core" });
  undo.push({ what: "core", run: () => core.stop() });
  if (stopping) return;

  const edge = await startEdge(config, "local", log.child("edge"), { spoolDir: join(dir, "spool"), powWorkers: 1, sv2ListenPorts: { main: 0 } });
  undo.push({ what: "edge", run: () => edge.stop() });
  if (stopping) return;

  const stratumPort = edge.stratum.listeners.get("main")!.port;
  let miner: DemoMiner | undefined;
  if (opts.miner) {
    miner = new DemoMiner({ host: "127.0.0.1", port: stratumPort, user: `${DEMO_BUILTIN_ADDRESS}.demo-cpu`, hashrate: opts.hashrate, onEvent: say });
    await miner.start();
    undo.push({ what: "miner", run: () => miner!.stop() });
  }
  process.stdout.write(banner({ stratumPort, listen: opts.listen, monitorUrl: core.monitor!.url, node, redisNote: redis.note, dir, hashrate: miner ? opts.hashrate : null, sv2Url: edge.stratum.sv2.get("main")?.url.replace("//localhost:", "//127.0.0.1:"), tlsCert: tls?.cert ?? null }));
  status = new DemoStatus({ core, edges: [edge], node });
  status.start();
  undo.push({ what: "status", run: () => status!.stop() });
  if (opts.durationS !== undefined) setTimeout(() => void shutdown(0, `--duration ${opts.durationS}: stopping`), opts.durationS * 1000);
}

let shutdownDone: Promise<void> | undefined;
let started: Promise<void> = Promise.resolve();

/** Stops everything once (startup first finishes or gives up), then exits with `code`. */
function shutdown(code: number, why?: string): Promise<void> {
  stopping = true;
  shutdownDone ??= (async () => {
    await started.catch(() => {});
    if (why) say(why);
    for (const step of undo.reverse()) {
      try {
        await step.run();
      } catch (e) {
        process.stderr.write(`demo: stopping ${step.what} failed: ${(e as Error).message}\n`);
      }
    }
    process.stdout.write(code === 0 ? "Demo stopped: every process it started has exited and its temporary files are gone.\n" : "");
    process.exit(code);
  })();
  return shutdownDone;
}

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => {
    // A second Ctrl-C while stopping: give up waiting (children still get SIGKILL from the exit hooks).
    if (stopping) process.exit(1);
    void shutdown(0, `${signal}: stopping the miner, the edge, the core, bcoin and Redis…`);
  });
}

started = start().catch((e: unknown) => {
  process.stderr.write(`demo: could not start: ${e instanceof Error ? e.message : String(e)}\n`);
  stopping = true;
  started = Promise.resolve();
  void shutdown(1);
});
