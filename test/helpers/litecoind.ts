/**
 * @module Real Litecoin Core (Debian's litecoind 0.21) regtest nodes for tests: a group of nodes
 * connected to each other, each with its datadir in one temp folder, free P2P and RPC ports, and
 * plain JSON-RPC (there is no litecoin-cli here).
 *
 * Why groups: litecoind's getblocktemplate refuses ("Litecoin Core is not connected!", -9) without a
 * peer, and a fresh regtest chain is in initial block download (also refused) until it has a block
 * newer than a day. So `startLitecoinds(n)` starts n nodes that `-addnode` each other (a restarted
 * node reconnects by itself) and mines one block. A test that kills one node of a pair and still
 * wants templates from the other needs three.
 *
 * Every node is SIGKILLed when this process exits, and `stop()` removes the temp folder.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { killNow, killOnExit } from "./children.ts";
import { freePort } from "./redis.ts";

export const LITECOIND = "/usr/lib/litecoin/litecoind";
/** A litecoin regtest bech32 address (HRP "rltc", witness v0 keyhash 0x11×20). */
export const LTC_REGTEST_ADDRESS = "rltc1qzyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3p937dx";
/** getblocktemplate rules a Litecoin 0.21 node requires. */
export const LTC_RULES = ["mweb", "segwit"] as const;

const START_TIMEOUT_MS = 60_000;
const USER = "pool";

export interface LitecoindOptions {
  /** The node's -rpcworkqueue (Core default 16). */
  readonly rpcworkqueue?: number;
  /** The node's -rpcthreads (Core default 4). */
  readonly rpcthreads?: number;
  /** Extra command-line arguments for every node. */
  readonly args?: readonly string[];
  /** Keep `<datadir>/regtest/debug.log` with microsecond timestamps (default: no log file). */
  readonly debugLog?: boolean;
}

export interface LitecoindNode {
  readonly name: string;
  readonly rpcPort: number;
  readonly p2pPort: number;
  readonly datadir: string;
  /** A coinserver config entry for this node. */
  coinserver(extra?: { poll_priority?: number; timeout?: number; rpcworkqueue?: number; zmq?: string }): {
    address: string;
    port: number;
    username: string;
    password: string;
    name: string;
    poll_priority: number;
    timeout: number;
    rpcworkqueue?: number;
    zmq?: string;
  };
  /** Plain JSON-RPC; throws on an error answer or a non-JSON reply. */
  rpc(method: string, params?: readonly unknown[]): Promise<unknown>;
  /** generatetoaddress; returns the new block hashes. */
  mine(n: number, address?: string): Promise<string[]>;
  readonly running: boolean;
  /** SIGKILL, as a crash. */
  kill(): Promise<void>;
  /** Clean shutdown (SIGTERM), waiting for the exit. */
  stop(): Promise<void>;
  /** Starts again on the same ports and datadir (after kill or stop); resolves once RPC answers. */
  start(): Promise<void>;
}

export interface LitecoindGroup {
  readonly nodes: readonly LitecoindNode[];
  /** Resolves once every running node has at least `n` peers. */
  waitConnected(n?: number, ms?: number): Promise<void>;
  /** Resolves once every running node's best block is `hash`. */
  waitSynced(hash: string, ms?: number): Promise<void>;
  /** Stops every node and removes the temp folder. */
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Starts `count` connected regtest nodes (at least 2) with one block mined, so getblocktemplate works. */
export async function startLitecoinds(count = 2, opts: LitecoindOptions = {}): Promise<LitecoindGroup> {
  if (count < 2) throw new RangeError(`startLitecoinds: getblocktemplate needs a peer; expected at least 2 nodes, got ${count}`);
  const root = mkdtempSync(join(tmpdir(), "ltcd-"));
  const password = crypto.randomUUID().replaceAll("-", "");
  const ports = Array.from({ length: count }, () => ({ p2p: freePort(), rpc: freePort() }));
  const nodes = ports.map((p, i) => makeNode(`ltc${i}`, join(root, `ltc${i}`), p, ports.filter((_, j) => j !== i).map((q) => q.p2p), password, opts));
  const group: LitecoindGroup = {
    nodes,
    async waitConnected(n = 1, ms = 30_000) {
      const deadline = Date.now() + ms;
      for (const node of nodes) {
        if (!node.running) continue;
        while (((await node.rpc("getconnectioncount")) as number) < n) {
          if (Date.now() > deadline) throw new Error(`litecoind ${node.name}: fewer than ${n} peers after ${ms} ms`);
          await Bun.sleep(100);
        }
      }
    },
    async waitSynced(hash, ms = 30_000) {
      const deadline = Date.now() + ms;
      for (const node of nodes) {
        if (!node.running) continue;
        while ((await node.rpc("getbestblockhash")) !== hash) {
          if (Date.now() > deadline) throw new Error(`litecoind ${node.name}: best block is not ${hash} after ${ms} ms`);
          await Bun.sleep(50);
        }
      }
    },
    async stop() {
      await Promise.all(nodes.map((n) => n.stop()));
      rmSync(root, { recursive: true, force: true });
    },
    [Symbol.asyncDispose]() {
      return this.stop();
    },
  };
  try {
    await Promise.all(nodes.map((n) => n.start()));
    await group.waitConnected(count - 1);
    // Out of initial block download (the genesis block is years old), on every node.
    const [hash] = await nodes[0]!.mine(1);
    // Handed to every node directly too: a node still in initial block download may wait a long
    // time for P2P relay under load (seen at 30 s+ on 2 busy cores), and the tests need all in step.
    const raw = (await nodes[0]!.rpc("getblock", [hash, 0])) as string;
    for (const node of nodes.slice(1)) await node.rpc("submitblock", [raw]);
    await group.waitSynced(hash!);
  } catch (e) {
    await group.stop();
    throw e;
  }
  return group;
}

function makeNode(name: string, datadir: string, ports: { p2p: number; rpc: number }, peers: readonly number[], password: string, opts: LitecoindOptions): LitecoindNode {
  let proc: Bun.Subprocess<"ignore", "ignore", "pipe"> | undefined;
  let stderrTail = "";
  const url = `http://127.0.0.1:${ports.rpc}/`;
  const auth = `Basic ${btoa(`${USER}:${password}`)}`;
  let id = 0;

  const rpc = async (method: string, params: readonly unknown[] = []): Promise<unknown> => {
    const res = await fetch(url, {
      method: "POST",
      headers: { authorization: auth, "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "1.0", id: ++id, method, params }),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    let body: { result: unknown; error: { code: number; message: string } | null };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new Error(`litecoind ${name} ${method}: HTTP ${res.status} ${text.slice(0, 200)}`);
    }
    if (body.error) throw new Error(`litecoind ${name} ${method}: ${body.error.message} (${body.error.code})`);
    return body.result;
  };

  const args = () => [
    LITECOIND,
    "-regtest",
    `-datadir=${datadir}`,
    "-server=1",
    "-listen=1",
    "-bind=127.0.0.1",
    `-port=${ports.p2p}`,
    `-rpcport=${ports.rpc}`,
    "-rpcbind=127.0.0.1",
    "-rpcallowip=127.0.0.1",
    `-rpcuser=${USER}`,
    `-rpcpassword=${password}`,
    "-disablewallet=1",
    "-dnsseed=0",
    "-discover=0",
    "-upnp=0",
    "-printtoconsole=0",
    ...(opts.debugLog ? ["-logtimemicros=1"] : ["-debuglogfile=0"]),
    ...(opts.rpcworkqueue !== undefined ? [`-rpcworkqueue=${opts.rpcworkqueue}`] : []),
    ...(opts.rpcthreads !== undefined ? [`-rpcthreads=${opts.rpcthreads}`] : []),
    ...peers.map((p) => `-addnode=127.0.0.1:${p}`),
    ...(opts.args ?? []),
  ];

  const node: LitecoindNode = {
    name,
    rpcPort: ports.rpc,
    p2pPort: ports.p2p,
    datadir,
    coinserver: (extra = {}) => ({
      address: "127.0.0.1",
      port: ports.rpc,
      username: USER,
      password,
      name,
      poll_priority: extra.poll_priority ?? 0,
      timeout: extra.timeout ?? 10,
      ...(extra.rpcworkqueue !== undefined ? { rpcworkqueue: extra.rpcworkqueue } : {}),
      ...(extra.zmq !== undefined ? { zmq: extra.zmq } : {}),
    }),
    rpc,
    mine: async (n, address = LTC_REGTEST_ADDRESS) => (await rpc("generatetoaddress", [n, address])) as string[],
    get running() {
      return proc !== undefined && proc.exitCode === null && proc.signalCode === null;
    },
    async kill() {
      const p = proc;
      proc = undefined;
      await killNow(p);
    },
    async stop() {
      const p = proc;
      proc = undefined;
      if (!p) return;
      p.kill("SIGTERM");
      const exited = await Promise.race([p.exited.then(() => true), Bun.sleep(15_000).then(() => false)]);
      if (!exited) {
        p.kill("SIGKILL");
        await p.exited;
      }
    },
    async start() {
      if (proc) return;
      Bun.spawnSync(["mkdir", "-p", datadir]);
      stderrTail = "";
      const p = Bun.spawn(args(), { stdin: "ignore", stdout: "ignore", stderr: "pipe" });
      proc = p;
      killOnExit(p);
      void (async () => {
        const dec = new TextDecoder();
        for await (const chunk of p.stderr) stderrTail = (stderrTail + dec.decode(chunk)).slice(-4000);
      })().catch(() => {});
      const deadline = Date.now() + START_TIMEOUT_MS;
      for (;;) {
        if (p.exitCode !== null || p.signalCode !== null) throw new Error(`litecoind ${name} exited at start: ${stderrTail.trim() || "no output"}`);
        try {
          await rpc("getblockcount");
          return;
        } catch {
          // -28 (warming up) or not listening yet.
          if (Date.now() > deadline) throw new Error(`litecoind ${name} did not answer RPC within ${START_TIMEOUT_MS} ms: ${stderrTail.trim()}`);
          await Bun.sleep(100);
        }
      }
    },
  };
  return node;
}
