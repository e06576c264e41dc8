/**
 * @module A bcoin regtest node as a child process: the demo's coinserver and a real one for tests
 * (test/helpers/bcoin.ts re-exports this; facts in shared/spec/bcoin-regtest.md). Memory only, no
 * wallet, no P2P listener, its own free HTTP port and a random API key. It can be stopped and
 * restarted (same port; the chain starts from genesis again). A node exits by itself when its
 * parent dies (bcoin-child.ts); the `exit` hook below is a second line of defence where the
 * runtime fires it.
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { freePort } from "./redis-server.ts";

/** A valid bcoin regtest address (bech32 HRP `rb`; Core's `bcrt1…` is invalid on bcoin), hash160 0x11×20. */
export const BCOIN_REGTEST_ADDRESS = "rb1qzyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg328fddy";

/** Runs bcoin's bin/node, and exits when this process dies (see bcoin-child.ts). */
const BCOIN_CHILD = join(import.meta.dir, "bcoin-child.ts");
const START_TIMEOUT_MS = 20_000;

export interface BcoinNode {
  readonly port: number;
  readonly rpcUrl: string;
  readonly apiKey: string;
  /** A coinserver config entry for this node (name defaults to `bcoin-<port>`). */
  coinserver(extra?: { name?: string; poll_priority?: number; timeout?: number }): {
    address: string;
    port: number;
    username: string;
    password: string;
    poll_priority: number;
    timeout: number;
    name: string;
  };
  /** Plain JSON-RPC; throws on an error answer. */
  rpc(method: string, params?: readonly unknown[]): Promise<unknown>;
  /** Mines `n` blocks with generatetoaddress; returns their hashes. */
  mine(n: number, address?: string): Promise<string[]>;
  readonly running: boolean;
  stop(): Promise<void>;
  /** SIGKILL (a crash, for failure tests) and wait for the exit; restart() brings it back. */
  kill(): Promise<void>;
  /** Stops (if running) and starts again on the same port with the same key. */
  restart(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

const live = new Set<Bun.Subprocess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // `exit` handlers must be synchronous: SIGKILL is the only thing that still works here.
  process.on("exit", () => {
    for (const p of live) p.kill("SIGKILL");
  });
}

export async function startBcoin(): Promise<BcoinNode> {
  installExitHook();
  const apiKey = randomBytes(12).toString("hex");
  let port = 0;
  let proc: Bun.Subprocess<"pipe", "ignore", "pipe"> | undefined;
  let stderrTail = "";

  const rpc = async (method: string, params: readonly unknown[] = []): Promise<unknown> => {
    const res = await fetch(`http://127.0.0.1:${port}/`, {
      method: "POST",
      headers: { authorization: `Basic ${btoa(`x:${apiKey}`)}`, "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "1.0", id: 1, method, params }),
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await res.json()) as { result: unknown; error: { code: number; message: string } | null };
    if (body.error) throw new Error(`bcoin ${port} ${method}: ${body.error.message} (${body.error.code})`);
    return body.result;
  };

  const spawn = () => {
    stderrTail = "";
    const p = Bun.spawn(
      [
        process.execPath,
        BCOIN_CHILD,
        "--network=regtest",
        "--memory=true",
        "--no-wallet",
        "--listen=false",
        "--workers=false",
        "--http-host=127.0.0.1",
        `--http-port=${port}`,
        `--api-key=${apiKey}`,
        "--log-level=warning",
      ],
      // NODE_BACKEND=js: bcoin's native modules are not built (package.json denies their scripts).
      // stdin is a pipe only so that the child sees EOF when this process dies.
      { env: { ...process.env, NODE_BACKEND: "js" }, stdin: "pipe", stdout: "ignore", stderr: "pipe" },
    );
    live.add(p);
    void p.exited.then(() => live.delete(p));
    // Keep the pipe drained and the last few KB for error messages.
    void (async () => {
      const dec = new TextDecoder();
      for await (const chunk of p.stderr) stderrTail = (stderrTail + dec.decode(chunk)).slice(-4000);
    })().catch(() => {});
    proc = p;
    return p;
  };

  const waitReady = async (p: Bun.Subprocess): Promise<boolean> => {
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (p.exitCode !== null || p.signalCode !== null) return false;
      try {
        await rpc("getblockcount");
        return true;
      } catch {
        await Bun.sleep(50);
      }
    }
    return false;
  };

  const stop = async () => {
    const p = proc;
    if (!p) return;
    proc = undefined;
    p.kill("SIGTERM");
    const exited = await Promise.race([p.exited.then(() => true), Bun.sleep(3000).then(() => false)]);
    if (!exited) {
      p.kill("SIGKILL");
      await p.exited;
    }
  };

  const start = async (fixedPort: boolean) => {
    for (let attempt = 0; attempt < 3; attempt++) {
      if (!fixedPort) port = freePort();
      const p = spawn();
      if (await waitReady(p)) return;
      await stop();
    }
    throw new Error(`bcoin regtest did not start on port ${port}: ${stderrTail.trim() || "no output"}`);
  };

  await start(false);

  return {
    get port() {
      return port;
    },
    get rpcUrl() {
      return `http://127.0.0.1:${port}/`;
    },
    apiKey,
    coinserver: (extra = {}) => ({
      address: "127.0.0.1",
      port,
      username: "pool",
      password: apiKey,
      poll_priority: extra.poll_priority ?? 0,
      timeout: extra.timeout ?? 5,
      name: extra.name ?? `bcoin-${port}`,
    }),
    rpc,
    mine: async (n, address = BCOIN_REGTEST_ADDRESS) => (await rpc("generatetoaddress", [n, address])) as string[],
    get running() {
      return proc !== undefined && proc.exitCode === null;
    },
    stop,
    kill: async () => {
      const p = proc;
      if (!p) return;
      proc = undefined;
      p.kill("SIGKILL");
      await p.exited;
    },
    restart: async () => {
      await stop();
      await start(true);
    },
    [Symbol.asyncDispose]: stop,
  };
}
