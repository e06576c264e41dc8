/**
 * @module Real edge processes (`bun edge/main.ts`, as `bun run edge` runs it) for failure tests, and
 * a mining rig that behaves as cgminer does around them: it mines and submits one share at a time,
 * and on `client.reconnect` (or a dropped connection) finishes what it awaits, closes, and connects
 * again to the same host and port until the edge is back, resubscribing with its previous session
 * id. What the edges answered goes into a Ledger, to compare with the accounting in Redis.
 */
import { join } from "node:path";
import type { Subprocess } from "bun";
import { bitsToTarget, bytesToRpcHex, hashBelowTarget, sha256d, targetToLE32 } from "../../shared/bitcoin/index.ts";
import type Redis from "ioredis";
import { compareAccounting, readAccounting, type Ledger } from "./ledger.ts";
import { DIFF1_SHA256D } from "../../shared/pow/algorithms.ts";
import { buildHeader, TestMiner } from "./miner.ts";

const root = join(import.meta.dir, "../..");

/**
 * A `bun <entry> …` child (an edge or a core) whose output is kept in `log`; start() waits for its
 * `ready` line. EdgeProcess and CoreProcess fix the entry, the arguments and the line.
 */
export class PoolProcess {
  log = "";
  private proc: Subprocess<"ignore", "pipe", "pipe"> | undefined;

  constructor(
    readonly name: string,
    private readonly entry: string,
    private readonly args: readonly string[],
    private readonly ready: string,
    private readonly cwd: string,
  ) {}

  /** Starts the process and waits for its ready line. */
  async start(timeoutMs = 60_000): Promise<void> {
    const from = this.log.length;
    const proc = Bun.spawn([process.execPath, join(root, this.entry), ...this.args], { cwd: this.cwd, stdin: "ignore", stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1" } });
    this.proc = proc;
    const decoder = new TextDecoder();
    for (const stream of [proc.stdout, proc.stderr]) {
      void (async () => {
        for await (const chunk of stream) this.log += decoder.decode(chunk, { stream: true });
      })();
    }
    const deadline = Date.now() + timeoutMs;
    while (!this.log.slice(from).includes(this.ready)) {
      if (proc.exitCode !== null) throw new Error(`${this.name} exited with ${proc.exitCode} while starting:\n${this.tail()}`);
      if (Date.now() > deadline) throw new Error(`${this.name} did not start within ${timeoutMs} ms:\n${this.tail()}`);
      await Bun.sleep(50);
    }
  }

  get pid(): number | undefined {
    return this.proc?.exitCode === null ? this.proc.pid : undefined;
  }

  /** SIGSTOP / SIGCONT (a pause, as a long GC or a frozen VM): no waiting. */
  pause(signal: "SIGSTOP" | "SIGCONT"): void {
    this.proc?.kill(signal);
  }

  /** Sends `signal` and waits for the exit; returns the exit code. */
  async stop(signal: "SIGTERM" | "SIGKILL" = "SIGTERM"): Promise<number | null> {
    const p = this.proc;
    if (!p) return null;
    if (p.exitCode === null) p.kill(signal);
    await p.exited;
    this.proc = undefined;
    return p.exitCode;
  }

  tail(n = 30): string {
    return this.log.split("\n").slice(-n).join("\n");
  }
}

/** `bun edge/main.ts -c <config> --name <name>`, ready when it "is serving miners". */
export class EdgeProcess extends PoolProcess {
  constructor(name: string, configFile: string, cwd: string) {
    super(name, "edge/main.ts", ["-c", configFile, "--name", name], "is serving miners", cwd);
  }
}

/** `bun core/main.ts -c <config> -s <n>` (a core of an active/standby set), ready once it waits for the leader lease. */
export class CoreProcess extends PoolProcess {
  constructor(n: number, configFile: string, cwd: string) {
    super(`core${n}`, "core/main.ts", ["-c", configFile, "-s", String(n)], "standing by for the leader lease", cwd);
  }
}

export interface RigOptions {
  readonly port: () => number;
  /** `address.worker`. */
  readonly user: string;
  readonly address: string;
  readonly worker: string;
  readonly ledger: Ledger;
  /** Pause between shares (keeps a shared machine usable). */
  readonly pauseMs?: number;
  /**
   * On a network as easy as regtest's, where most shares would be blocks: submit shares that miss
   * the job's network target, except every `blockEvery`-th (Infinity: none) and those asked for by
   * `forceBlock()`, which are ground until they are blocks.
   */
  readonly blockEvery?: number;
}

/** One miner: a loop of share submissions that survives reconnects. */
export class MiningRig {
  /** Connections opened after the first one. */
  reconnects = 0;
  /** extranonce1 per connection, in order. */
  readonly extranonce1s: string[] = [];
  accepted = 0;
  rejected = 0;
  /** Submits whose reply never came (the connection went first): not in the ledger. */
  unanswered = 0;
  /** Block hashes (display order) of accepted shares that met their job's network target. */
  readonly blocks: string[] = [];
  private submits = 0;
  private blockNext = false;
  private running = true;
  private held = false;
  private inFlight = false;
  private loop: Promise<void> | undefined;
  private miner: TestMiner | undefined;

  constructor(private readonly o: RigOptions) {}

  start(): void {
    this.loop = this.run();
  }

  /** Makes the next share a block (with `blockEvery`). */
  forceBlock(): void {
    this.blockNext = true;
  }

  /** Connected now (handshake done, socket open). */
  get connected(): boolean {
    return this.miner !== undefined && !this.miner.closed;
  }

  /** Stops submitting, and resolves once the share in flight (if any) has its reply in the ledger. */
  async pause(): Promise<void> {
    this.held = true;
    while (this.inFlight) await Bun.sleep(20);
  }

  resume(): void {
    this.held = false;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    this.miner?.close();
  }

  private async connect(): Promise<TestMiner> {
    for (;;) {
      let m: TestMiner | undefined;
      try {
        m = await TestMiner.connect(this.o.port());
        const session = this.extranonce1s.at(-1);
        const sub = await m.request("mining.subscribe", session === undefined ? ["cgminer/4.12.0"] : ["cgminer/4.12.0", session], 1);
        if (!Array.isArray(sub.result)) throw new Error(`subscribe refused: ${sub.raw}`);
        const auth = await m.request("mining.authorize", [this.o.user, "x"], 2);
        if (auth.result !== true) throw new Error(`authorize refused: ${auth.raw}`);
        await m.nextMethod("mining.notify", 10_000);
        this.extranonce1s.push(m.extranonce1);
        return m;
      } catch {
        // The edge is restarting (refused) or went away mid-handshake: retry, as a miner does
        // (spread out, so a thousand miners do not knock in step).
        m?.close();
        if (!this.running) throw new Error("stopped");
        await Bun.sleep(100 + Math.random() * 200);
      }
    }
  }

  private async run(): Promise<void> {
    let m: TestMiner | undefined;
    while (this.running) {
      if (!m) {
        try {
          m = await this.connect();
        } catch {
          return;
        }
        if (this.extranonce1s.length > 1) this.reconnects++;
        this.miner = m;
      }
      if (m.closed || m.messages.some((x) => x.method === "client.reconnect")) {
        m.close();
        m = undefined;
        continue;
      }
      if (this.held) {
        await Bun.sleep(50);
        continue;
      }
      const job = m.lastJob!;
      const network = Number(DIFF1_SHA256D) / Number(bitsToTarget(Number.parseInt(job.nbits, 16)));
      const every = this.o.blockEvery;
      const block = every !== undefined && (++this.submits % every === 0 || this.blockNext);
      this.blockNext = false;
      const share = every === undefined ? m.mineShare(job) : block ? m.mineShare(job, { difficulty: Math.max(network, job.difficulty) }) : m.mineShare(job, { below: network });
      let reply;
      // Set in the same synchronous step as the `held` check above, so pause() cannot miss a submit.
      this.inFlight = true;
      try {
        reply = await m.submit(share, { user: this.o.user });
      } catch {
        this.unanswered++;
        continue;
      } finally {
        this.inFlight = false;
      }
      this.o.ledger.reply({ address: this.o.address, worker: this.o.worker }, reply, job.difficulty);
      if (reply.result === true) {
        this.accepted++;
        const hash = sha256d(buildHeader(job, m.extranonce1, share, m.versionMask));
        if (hashBelowTarget(hash, targetToLE32(bitsToTarget(Number.parseInt(job.nbits, 16))))) this.blocks.push(bytesToRpcHex(hash));
      } else this.rejected++;
      // The pause ends early on client.reconnect or a closed connection, as a real miner reacts at once.
      // (A client.reconnect read past by the submit's reply is caught at the top of the loop.)
      if (this.o.pauseMs && !m.messages.some((x) => x.method === "client.reconnect")) await m.next((x) => x.method === "client.reconnect", this.o.pauseMs).catch(() => {});
    }
  }
}

/** The pool's payout address on bcoin regtest, and every rig's. */
export const REGTEST_ADDRESS = "RAqS1bAuWqW2f6ufsU5H4XpKfy5Pqj2oHz";
export const EDGE_NAMES = ["eu1", "eu2"] as const;
export type EdgeName = (typeof EDGE_NAMES)[number];

export interface TwoEdgeConfig {
  /** Stratum port of each edge (one port, `a` on eu1 and `b` on eu2). */
  readonly ports: Readonly<Record<EdgeName, number>>;
  /** Fixed share difficulty (vardiff off). */
  readonly difficulty: number;
  /** The BTC coin's `coinservs` list and any other keys, as YAML lines at the coin's indent. */
  readonly coin: string;
  /** The `redis:` section's body, as YAML at its indent. */
  readonly redis: string;
  readonly procname?: string;
}

/** A whole pool config: a BTC (bcoin regtest) coin, two edges with one fixed-difficulty sha256d port each. */
export function twoEdgeConfig(o: TwoEdgeConfig): string {
  const port = (key: string, p: number) => `
  ${key}:
    address: 127.0.0.1
    port: ${p}
    jobmanager: BTC
    start_difficulty: ${o.difficulty}
    minimum_manual_diff: ${o.difficulty / 10}
    vardiff: {enabled: false, minimum_difficulty: ${o.difficulty / 10}, maximum_difficulty: 1}`;
  return `
pool: {procname: ${o.procname ?? "pool"}, term_timeout: 10, datagram: {enabled: false}, events: {enabled: false}}
logging: {level: info}
coins:
  BTC:
    algo: sha256d
    network: bcoin-regtest
    pool_address: ${REGTEST_ADDRESS}
${o.coin}
stratum:${port("a", o.ports.eu1)}${port("b", o.ports.eu2)}
edges:
  eu1: {ports: [a]}
  eu2: {ports: [b]}
reporters:
  redis: {type: redis}
redis:
${o.redis}
monitor: {enabled: false}
`;
}

/** `perEdge` running rigs on each edge, workers `<edge>w<i>` of REGTEST_ADDRESS. */
export function startRigs(ports: Readonly<Record<EdgeName, number>>, perEdge: number, ledger: Ledger, opts: Pick<RigOptions, "pauseMs" | "blockEvery"> = {}): MiningRig[] {
  const rigs: MiningRig[] = [];
  for (const name of EDGE_NAMES) {
    for (let i = 0; i < perEdge; i++) {
      const worker = `${name}w${i}`;
      const rig = new MiningRig({ port: () => ports[name], user: `${REGTEST_ADDRESS}.${worker}`, address: REGTEST_ADDRESS, worker, ledger, ...opts });
      rigs.push(rig);
      rig.start();
    }
  }
  return rigs;
}

/** Polls `ok` until true; a timeout names `what` and shows the edges' last log lines. */
export async function waitFor(what: string, ok: () => boolean, edges: Iterable<EdgeProcess>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${[...edges].map((e) => `${e.name}:\n${e.tail(15)}`).join("\n")}`);
    await Bun.sleep(50);
  }
}

/**
 * Waits (up to `ms`) until the SimpleCoin records in Redis match the ledger; returns what still
 * differs (empty: every record exactly once) and how many share records (slice entries) Redis holds.
 */
export async function settledAccounting(ledger: Ledger, client: Redis, ms = 60_000): Promise<{ diffs: string[]; credited: number }> {
  const deadline = Date.now() + ms;
  for (;;) {
    const got = await readAccounting(client, { algo: "sha256d", chain: 1 });
    const diffs = compareAccounting(ledger, got);
    if (diffs.length === 0 || Date.now() > deadline) return { diffs, credited: [...got.slices.values()].reduce((a, b) => a + b, 0) };
    await Bun.sleep(250);
  }
}

/** Starts eu1 and eu2 (`bun edge/main.ts`) into `edges`, one after the other. */
export async function startEdgeProcesses(edges: Map<string, EdgeProcess>, configFile: string, cwd: string): Promise<void> {
  for (const name of EDGE_NAMES) {
    const e = new EdgeProcess(name, configFile, cwd);
    edges.set(name, e);
    await e.start();
  }
}

/** Test clean-up: stops the rigs, then kills the edges. */
export async function stopRigsAndEdges(rigs: readonly MiningRig[], edges: Map<string, EdgeProcess>): Promise<void> {
  await Promise.all(rigs.map((r) => r.stop()));
  for (const e of edges.values()) await e.stop("SIGKILL");
}
