/**
 * @module The demo's built-in CPU miner: a small real stratum client (subscribe → suggest_difficulty
 * → authorize, notify/set_difficulty, submit) that grinds sha256d nonces at a fixed hash budget per
 * second, so it uses a few percent of one core however low the pool's difficulty is. It suggests a
 * difficulty that gives about `sharesPerSecond` at that budget; vardiff keeps it near there.
 */
import type { Socket } from "bun";
import {
  coinbaseMerkleRootInto,
  difficultyToTarget,
  hashBelowTarget,
  hexToBytes,
  sha256dInto,
  stratumPrevhashToBytes,
  targetToLE32,
  u32FromHex,
  u32ToHex,
  writeHeaderInto,
  writeU32LE,
} from "../../shared/bitcoin/index.ts";
import { DIFF1_SHA256D } from "../../shared/pow/algorithms.ts";

export interface DemoMinerOptions {
  readonly host: string;
  readonly port: number;
  /** `<address>.<worker>`. */
  readonly user: string;
  /** Hashes per second to spend (default 100 000). */
  readonly hashrate?: number;
  /** Shares per second wanted at that hashrate (default 1). */
  readonly sharesPerSecond?: number;
  readonly onEvent?: (msg: string) => void;
}

interface Job {
  readonly id: string;
  /** The 80-byte header with this job's fields and the current extranonce2's merkle root. */
  readonly header: Uint8Array;
  readonly coinbaseParts: readonly [string, string];
  readonly branch: readonly Uint8Array[];
  readonly ntime: string;
  readonly target: Uint8Array;
}

const TICK_MS = 100;

export class DemoMiner {
  accepted = 0;
  rejected = 0;
  hashes = 0;
  private socket: Socket<undefined> | undefined;
  private buffer = "";
  private job: Job | undefined;
  private difficulty = 1;
  private extranonce1 = "";
  private extranonce2Size = 4;
  private extranonce2 = 0;
  private nonce = 0;
  private nextId = 10;
  private timer: ReturnType<typeof setInterval> | undefined;
  private stopped = false;
  private readonly perTick: number;

  constructor(private readonly o: DemoMinerOptions) {
    this.perTick = Math.max(1, Math.round(((o.hashrate ?? 100_000) * TICK_MS) / 1000));
  }

  /** Connects and starts mining; reconnects every second while the pool is unreachable. */
  async start(): Promise<void> {
    await this.connect();
    this.timer = setInterval(() => this.grind(), TICK_MS);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.socket?.end();
  }

  private async connect(): Promise<void> {
    this.buffer = "";
    this.job = undefined;
    this.socket = await Bun.connect<undefined>({
      hostname: this.o.host,
      port: this.o.port,
      socket: {
        data: (_s, chunk) => this.receive(new TextDecoder().decode(chunk)),
        close: () => this.onClose(),
        error: () => this.onClose(),
      },
    });
    const suggest = ((this.o.hashrate ?? 100_000) / (this.o.sharesPerSecond ?? 1)) / 2 ** 32;
    this.send(1, "mining.subscribe", ["powerpool-demo-miner/1.0"]);
    this.send(2, "mining.suggest_difficulty", [suggest]);
    this.send(3, "mining.authorize", [this.o.user, "x"]);
  }

  private onClose(): void {
    this.socket = undefined;
    this.job = undefined;
    if (this.stopped) return;
    this.o.onEvent?.("built-in miner: connection closed; reconnecting");
    setTimeout(() => void this.connect().catch(() => this.onClose()), 1000);
  }

  private send(id: number, method: string, params: unknown[]): void {
    this.socket?.write(`${JSON.stringify({ id, method, params })}\n`);
  }

  private receive(text: string): void {
    this.buffer += text;
    let nl: number;
    while ((nl = this.buffer.indexOf("\n")) >= 0) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      let m: { id?: unknown; method?: string; params?: unknown[]; result?: unknown; error?: unknown };
      try {
        m = JSON.parse(line) as typeof m;
      } catch {
        continue;
      }
      this.take(m);
    }
  }

  private take(m: { id?: unknown; method?: string; params?: unknown[]; result?: unknown; error?: unknown }): void {
    if (m.id === 1 && Array.isArray(m.result)) {
      this.extranonce1 = String(m.result[1]);
      this.extranonce2Size = Number(m.result[2]);
    } else if (m.id === 3 && m.result !== true) {
      this.o.onEvent?.(`built-in miner: authorization refused: ${JSON.stringify(m.error)}`);
    } else if (typeof m.id === "number" && m.id >= 10 && m.method === undefined) {
      if (m.result === true) this.accepted++;
      else this.rejected++;
    } else if (m.method === "mining.set_difficulty") {
      this.difficulty = Number(m.params?.[0]);
    } else if (m.method === "mining.set_extranonce") {
      this.extranonce1 = String(m.params?.[0]);
      this.extranonce2Size = Number(m.params?.[1]);
    } else if (m.method === "mining.notify" && Array.isArray(m.params)) {
      const [id, prevhash, coinb1, coinb2, branch, version, nbits, ntime] = m.params as [string, string, string, string, string[], string, string, string];
      const header = new Uint8Array(80);
      writeHeaderInto(header, u32FromHex(version), stratumPrevhashToBytes(prevhash), new Uint8Array(32), u32FromHex(ntime), u32FromHex(nbits), 0);
      // Like cpuminer, the difficulty in force when the job arrives is the one its shares are judged at.
      const target = targetToLE32(difficultyToTarget(this.difficulty, DIFF1_SHA256D));
      this.job = { id, header, coinbaseParts: [coinb1, coinb2], branch: branch.map(hexToBytes), ntime, target };
      this.nextExtranonce2();
    }
  }

  /** A fresh extranonce2: new coinbase, new merkle root in the header, nonces from 0 again. */
  private nextExtranonce2(): void {
    const job = this.job;
    if (!job) return;
    this.extranonce2 = (this.extranonce2 + 1) % 2 ** Math.min(32, this.extranonce2Size * 8);
    const coinbase = hexToBytes(job.coinbaseParts[0] + this.extranonce1 + this.en2Hex() + job.coinbaseParts[1]);
    coinbaseMerkleRootInto(coinbase, job.branch, job.header.subarray(36, 68));
    this.nonce = 0;
  }

  private en2Hex(): string {
    return this.extranonce2.toString(16).padStart(this.extranonce2Size * 2, "0");
  }

  /** One tick's hash budget on the current job; stops early at a share (one submit per tick at most). */
  private grind(): void {
    const job = this.job;
    if (!job || !this.socket) return;
    const hash = new Uint8Array(32);
    for (let i = 0; i < this.perTick; i++) {
      if (this.nonce > 0xffffffff) this.nextExtranonce2();
      writeU32LE(job.header, 76, this.nonce);
      sha256dInto(job.header, hash);
      this.hashes++;
      const nonce = this.nonce++;
      if (hashBelowTarget(hash, job.target)) {
        this.send(this.nextId++, "mining.submit", [this.o.user, job.id, this.en2Hex(), job.ntime, u32ToHex(nonce)]);
        return;
      }
    }
  }
}
