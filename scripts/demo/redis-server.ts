/**
 * @module A private `redis-server` for the demo and the tests (test/helpers/redis.ts re-exports
 * this): a free loopback port, no persistence (unless asked for), its own temporary directory,
 * removed by stop(). Tests never touch a Redis they did not start.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Redis from "ioredis";

export interface PrivateRedis {
  readonly port: number;
  readonly url: string;
  /** A connected client (closed by stop()). */
  readonly client: Redis;
  /** Stops the server (SIGTERM; SIGKILL with `kill`). Data is lost unless started with `persistence: "aof"`. */
  stopServer(opts?: { kill?: boolean }): Promise<void>;
  /** Starts the server again on the same port (for outage tests). */
  startServer(): Promise<void>;
  /** Stops the server and removes its directory. */
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** A port that was free a moment ago: bind to 0 and let the OS choose. */
export function freePort(): number {
  const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = server.port;
  server.stop(true);
  return port;
}

export interface StartRedisOptions {
  /**
   * `"aof"`: append-only file, fsynced on every write, in the server's directory, so a stop/start
   * (even SIGKILL) keeps every acknowledged write, as a production Redis for the pool would. The
   * default keeps nothing (fast, and each start is empty).
   */
  readonly persistence?: "none" | "aof";
}

const live = new Set<Bun.Subprocess>();
let exitHookInstalled = false;

/** Kills servers still running when the process exits (where the runtime fires `exit`: the demo, not `bun test`). */
function track<P extends Bun.Subprocess>(p: P): P {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on("exit", () => {
      for (const q of live) q.kill("SIGKILL");
    });
  }
  live.add(p);
  void p.exited.then(() => live.delete(p));
  return p;
}

export async function startRedis(opts: StartRedisOptions = {}): Promise<PrivateRedis> {
  const bin = Bun.which("redis-server");
  if (!bin) throw new Error("redis-server is not installed: apt-get install -y redis-server (tests start a private one)");
  const dir = mkdtempSync(join(tmpdir(), "pp-redis-"));
  let port = 0;
  let proc: ReturnType<typeof Bun.spawn> | undefined;
  const persistence = opts.persistence === "aof" ? ["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"];
  const args = () => [bin, "--port", String(port), "--bind", "127.0.0.1", "--save", "", ...persistence, "--dir", dir, "--daemonize", "no", "--logfile", ""];

  const spawn = async () => {
    for (let attempt = 0; attempt < 5; attempt++) {
      if (port === 0 || attempt > 0) port = freePort();
      proc = track(Bun.spawn(args(), { stdout: "ignore", stderr: "ignore" }));
      if (await waitForPing(port, proc)) return;
      proc.kill("SIGKILL");
      await proc.exited;
    }
    throw new Error("could not start a private redis-server");
  };
  await spawn();

  const client = new Redis({ port, host: "127.0.0.1", lazyConnect: false, maxRetriesPerRequest: null, retryStrategy: () => 50 });
  // While an outage test has the server stopped, the client retries every 50 ms; without a listener
  // ioredis prints each failed attempt. Commands wait for the server to come back either way.
  client.on("error", () => {});
  const stopServer = async (opts?: { kill?: boolean }) => {
    if (!proc) return;
    proc.kill(opts?.kill ? "SIGKILL" : "SIGTERM");
    await proc.exited;
    proc = undefined;
  };
  const startServer = async () => {
    if (proc) return;
    proc = track(Bun.spawn(args(), { stdout: "ignore", stderr: "ignore" }));
    if (!(await waitForPing(port, proc))) throw new Error(`private redis-server did not come back on port ${port}`);
  };
  const stop = async () => {
    client.disconnect();
    await stopServer();
    rmSync(dir, { recursive: true, force: true });
  };
  return {
    get port() {
      return port;
    },
    get url() {
      return `redis://127.0.0.1:${port}/0`;
    },
    client,
    stopServer,
    startServer,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

async function waitForPing(port: number, proc: ReturnType<typeof Bun.spawn>): Promise<boolean> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) return false;
    if (await pingRedis(port)) return true;
    await Bun.sleep(20);
  }
  return false;
}

/** True when a Redis at `host:port` answers PING within `timeoutMs` (a raw socket: a refused or silent port costs little). */
export function pingRedis(port: number, timeoutMs = 500, host = "127.0.0.1"): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    const done = (v: boolean) => {
      clearTimeout(timer);
      resolve(v);
    };
    Bun.connect({
      hostname: host,
      port,
      socket: {
        open(s) {
          s.write("PING\r\n");
        },
        data(s, chunk) {
          s.end();
          done(new TextDecoder().decode(chunk).startsWith("+PONG"));
        },
        error() {
          done(false);
        },
      },
    }).catch(() => done(false));
  });
}
