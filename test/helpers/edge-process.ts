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
import type { Ledger } from "./ledger.ts";
import { DIFF1_SHA256D } from "../../shared/pow/algorithms.ts";
import { buildHeader, TestMiner } from "./miner.ts";

const root = join(import.meta.dir, "../..");

export class EdgeProcess {
  log = "";
  private proc: Subprocess<"ignore", "pipe", "pipe"> | undefined;

  constructor(
    readonly name: string,
    private readonly configFile: string,
    private readonly cwd: string,
  ) {}

  /** Starts `bun edge/main.ts -c <config> --name <name>` and waits for "is serving miners". */
  async start(timeoutMs = 60_000): Promise<void> {
    const from = this.log.length;
    const proc = Bun.spawn([process.execPath, join(root, "edge/main.ts"), "-c", this.configFile, "--name", this.name], { cwd: this.cwd, stdin: "ignore", stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1" } });
    this.proc = proc;
    const decoder = new TextDecoder();
    for (const stream of [proc.stdout, proc.stderr]) {
      void (async () => {
        for await (const chunk of stream) this.log += decoder.decode(chunk, { stream: true });
      })();
    }
    const deadline = Date.now() + timeoutMs;
    while (!this.log.slice(from).includes("is serving miners")) {
      if (proc.exitCode !== null) throw new Error(`edge ${this.name} exited with ${proc.exitCode} while starting:\n${this.tail()}`);
      if (Date.now() > deadline) throw new Error(`edge ${this.name} did not start within ${timeoutMs} ms:\n${this.tail()}`);
      await Bun.sleep(50);
    }
  }

  get pid(): number | undefined {
    return this.proc?.exitCode === null ? this.proc.pid : undefined;
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
   * the job's network target, except every `blockEvery`-th, which is ground until it is a block.
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

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    this.miner?.close();
  }

  private async connect(): Promise<TestMiner> {
    for (;;) {
      try {
        const m = await TestMiner.connect(this.o.port());
        const session = this.extranonce1s.at(-1);
        const sub = await m.request("mining.subscribe", session === undefined ? ["cgminer/4.12.0"] : ["cgminer/4.12.0", session], 1);
        if (!Array.isArray(sub.result)) throw new Error(`subscribe refused: ${sub.raw}`);
        const auth = await m.request("mining.authorize", [this.o.user, "x"], 2);
        if (auth.result !== true) throw new Error(`authorize refused: ${auth.raw}`);
        await m.nextMethod("mining.notify", 10_000);
        this.extranonce1s.push(m.extranonce1);
        return m;
      } catch {
        // The edge is restarting (refused) or went away mid-handshake: retry, as a miner does.
        if (!this.running) throw new Error("stopped");
        await Bun.sleep(100);
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
      const job = m.lastJob!;
      const network = Number(DIFF1_SHA256D) / Number(bitsToTarget(Number.parseInt(job.nbits, 16)));
      const every = this.o.blockEvery;
      const block = every !== undefined && (++this.submits % every === 0 || this.blockNext);
      this.blockNext = false;
      const share = every === undefined ? m.mineShare(job) : block ? m.mineShare(job, { difficulty: Math.max(network, job.difficulty) }) : m.mineShare(job, { below: network });
      let reply;
      try {
        reply = await m.submit(share, { user: this.o.user });
      } catch {
        this.unanswered++;
        continue;
      }
      this.o.ledger.reply({ address: this.o.address, worker: this.o.worker }, reply, job.difficulty);
      if (reply.result === true) {
        this.accepted++;
        const hash = sha256d(buildHeader(job, m.extranonce1, share, m.versionMask));
        if (hashBelowTarget(hash, targetToLE32(bitsToTarget(Number.parseInt(job.nbits, 16))))) this.blocks.push(bytesToRpcHex(hash));
      } else this.rejected++;
      if (this.o.pauseMs) await Bun.sleep(this.o.pauseMs);
    }
  }
}
