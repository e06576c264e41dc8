/**
 * @module A stratum client for tests that behaves like real miners: pooler's cpuminer (subscribe
 * with a user agent → authorize; the first line must be the subscribe reply; set_difficulty
 * latches onto the next notify; shares always 5 params) and ASICs (configure with a version-rolling
 * mask and minimum difficulty → subscribe → suggest_difficulty → authorize). It really mines:
 * `mineShare` builds coinbase → merkle root → header from a notify and grinds nonces until sha256d
 * meets the share target, and can make deliberately bad shares.
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

export interface StratumMessage {
  readonly id?: unknown;
  readonly method?: string;
  readonly params?: unknown[];
  readonly result?: unknown;
  readonly error?: unknown;
  /** The line as received. */
  readonly raw: string;
}

/** A job as the miner holds it, with the difficulty that was current when its notify arrived. */
export interface MinerJob {
  readonly id: string;
  readonly prevhash: string;
  readonly coinb1: string;
  readonly coinb2: string;
  readonly branch: string[];
  readonly version: string;
  readonly nbits: string;
  readonly ntime: string;
  readonly clean: boolean;
  readonly difficulty: number;
}

export interface Share {
  readonly jobId: string;
  readonly extranonce2: string;
  readonly ntime: string;
  readonly nonce: string;
  readonly versionBits?: string;
}

export interface MineOptions {
  /** Share difficulty to meet (default: the job's). */
  readonly difficulty?: number;
  /** The hash must NOT meet this difficulty (for "accepted at the old difficulty only" cases). */
  readonly below?: number;
  /** BIP310 version bits to roll into the header (within the negotiated mask). */
  readonly versionBits?: number;
  readonly diff1?: bigint;
}

const DEFAULT_TIMEOUT_MS = 3000;

/**
 * The 80-byte header a share stands for (spec §3.2): coinbase = coinb1 ‖ extranonce1 ‖ extranonce2
 * ‖ coinb2, its sha256d folded with the branch, then version (with BIP310 bits under `versionMask`),
 * prevhash, merkle root, ntime, nbits, nonce.
 */
export function buildHeader(job: MinerJob, extranonce1: string, share: Share, versionMask = 0): Uint8Array {
  const coinbase = hexToBytes(job.coinb1 + extranonce1 + share.extranonce2 + job.coinb2);
  const root = coinbaseMerkleRootInto(coinbase, job.branch.map(hexToBytes), new Uint8Array(32));
  const bits = share.versionBits === undefined ? 0 : u32FromHex(share.versionBits);
  const version = ((u32FromHex(job.version) & ~versionMask) | (bits & versionMask)) >>> 0;
  return writeHeaderInto(new Uint8Array(80), version, stratumPrevhashToBytes(job.prevhash), root, u32FromHex(share.ntime), u32FromHex(job.nbits), u32FromHex(share.nonce));
}

export class TestMiner {
  readonly messages: StratumMessage[] = [];
  readonly jobs = new Map<string, MinerJob>();
  lastJob: MinerJob | undefined;
  /** The latest set_difficulty value (cpuminer's "next diff"); 1 until one arrives, as cpuminer. */
  difficulty = 1;
  extranonce1 = "";
  extranonce2Size = 0;
  versionMask = 0;
  closed = false;
  private cursor = 0;
  private buffer = "";
  private waiters: (() => void)[] = [];
  private extranonce2Counter = 0;
  private nextRequestId = 100;

  private constructor(private readonly socket: Socket<TestMiner | undefined>) {}

  /**
   * `tls`: connect with Bun's TLS client (stratum+ssl), trusting `ca` (PEM) or, without it, any
   * certificate; resolves once the handshake is done (rejects if it fails).
   */
  static async connect(port: number, host = "127.0.0.1", tls?: { ca?: string; serverName?: string }): Promise<TestMiner> {
    let miner: TestMiner | undefined;
    let handshake: { resolve: () => void; reject: (e: Error) => void } | undefined;
    const handshakeDone = tls ? new Promise<void>((resolve, reject) => (handshake = { resolve, reject })) : undefined;
    const socket = await Bun.connect<TestMiner | undefined>({
      hostname: host,
      port,
      ...(tls ? { tls: tls.ca ? { ca: tls.ca, serverName: tls.serverName ?? "localhost" } : { rejectUnauthorized: false } } : {}),
      socket: {
        data: (s, chunk) => s.data?.receive(new TextDecoder().decode(chunk)),
        close: (s) => {
          s.data?.onClose();
          handshake?.reject(new Error("TestMiner.connect: closed during the TLS handshake"));
        },
        error: (s, e) => {
          s.data?.onClose();
          handshake?.reject(e);
        },
        handshake: (_s, ok, err) => (ok ? handshake?.resolve() : handshake?.reject(new Error(`TLS handshake failed: ${err?.message ?? "unknown"}`))),
      },
    });
    miner = new TestMiner(socket);
    socket.data = miner;
    if (handshakeDone) await handshakeDone;
    return miner;
  }

  /** Writes raw text (no newline added). */
  sendRaw(text: string | Uint8Array): void {
    this.socket.write(text);
  }

  sendLine(text: string): void {
    this.socket.write(`${text}\n`);
  }

  /** Sends a request; resolves with its reply (the message carrying this id and a result or error). */
  request(method: string, params: unknown[], id: unknown = this.nextRequestId++): Promise<StratumMessage> {
    this.sendLine(JSON.stringify({ id, method, params }));
    return this.next((m) => m.method === undefined && JSON.stringify(m.id) === JSON.stringify(id));
  }

  /** The next message after the read cursor that matches; the cursor moves past it. */
  async next(match: (m: StratumMessage) => boolean = () => true, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<StratumMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (let i = this.cursor; i < this.messages.length; i++) {
        if (match(this.messages[i]!)) {
          this.cursor = i + 1;
          return this.messages[i]!;
        }
      }
      if (this.closed) throw new Error(`TestMiner.next: connection closed; received ${this.describe()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`TestMiner.next: no matching message within ${timeoutMs} ms; received ${this.describe()}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  nextMethod(method: string, timeoutMs?: number): Promise<StratumMessage> {
    return this.next((m) => m.method === method, timeoutMs);
  }

  /** Everything received after the cursor (without moving it). */
  get unread(): StratumMessage[] {
    return this.messages.slice(this.cursor);
  }

  /** Resolves once the server has closed the connection. */
  async waitClosed(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error("TestMiner.waitClosed: still open");
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 20);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /**
   * pooler's cpuminer 2.5.1 (peers.md §6): subscribe with its user agent (id 1); the FIRST line must
   * be that reply; authorize (id 2), reading notify/set_difficulty on the way until the first other
   * line, which must be a successful reply. Returns what came, in order.
   */
  async cpuMinerHandshake(user: string, password = "x"): Promise<{ subscribe: StratumMessage; authorize: StratumMessage; afterAuthorize: StratumMessage[] }> {
    this.sendLine(JSON.stringify({ id: 1, method: "mining.subscribe", params: ["cpuminer/2.5.1"] }));
    const subscribe = await this.next();
    if (subscribe.id !== 1 || !Array.isArray(subscribe.result)) throw new Error(`cpuminer: first line is not the subscribe reply: ${subscribe.raw}`);
    this.takeSubscribe(subscribe);
    this.sendLine(JSON.stringify({ id: 2, method: "mining.authorize", params: [user, password] }));
    let authorize: StratumMessage;
    for (;;) {
      const m = await this.next();
      if (m.method === "mining.notify" || m.method === "mining.set_difficulty" || m.method?.startsWith("client.")) continue;
      authorize = m;
      break;
    }
    if (authorize.result !== true || (authorize.error !== null && authorize.error !== undefined)) throw new Error(`cpuminer: authorization failed: ${authorize.raw}`);
    const afterAuthorize = [await this.nextMethod("mining.set_difficulty"), await this.nextMethod("mining.notify")];
    return { subscribe, authorize, afterAuthorize };
  }

  /** An ASIC's order (Bitaxe/ESP-Miner, Antminer): configure → subscribe → suggest_difficulty → authorize. */
  async asicHandshake(
    user: string,
    opts: { mask?: string; minimumDifficulty?: number; suggest?: number; password?: string } = {},
  ): Promise<{ configure: StratumMessage; subscribe: StratumMessage; suggest: StratumMessage | undefined; authorize: StratumMessage }> {
    const configure = await this.request(
      "mining.configure",
      [
        ["version-rolling", "minimum-difficulty"],
        { "version-rolling.mask": opts.mask ?? "ffffffff", "version-rolling.min-bit-count": 2, "minimum-difficulty.value": opts.minimumDifficulty ?? 1e-7 },
      ],
      1,
    );
    const r = configure.result as Record<string, unknown> | null;
    this.versionMask = r?.["version-rolling"] === true ? Number.parseInt(String(r["version-rolling.mask"]), 16) : 0;
    const subscribe = await this.request("mining.subscribe", ["bitaxe/BM1366/v2.4.0"], 2);
    this.takeSubscribe(subscribe);
    const suggest = opts.suggest === undefined ? undefined : await this.request("mining.suggest_difficulty", [opts.suggest], 3);
    const authorize = await this.request("mining.authorize", [user, opts.password ?? "x"], 4);
    return { configure, subscribe, suggest, authorize };
  }

  /** Grinds nonces on `job` until sha256d(header) meets the difficulty (and not `below`). */
  mineShare(job: MinerJob, opts: MineOptions = {}): Share {
    const diff1 = opts.diff1 ?? DIFF1_SHA256D;
    const target = targetToLE32(difficultyToTarget(opts.difficulty ?? job.difficulty, diff1));
    const notAbove = opts.below === undefined ? undefined : targetToLE32(difficultyToTarget(opts.below, diff1));
    const extranonce2 = (this.extranonce2Counter++).toString(16).padStart(this.extranonce2Size * 2, "0");
    const bits = opts.versionBits ?? 0;
    const start = Math.floor(Math.random() * 0x7fffffff);
    const share = { jobId: job.id, extranonce2, ntime: job.ntime, nonce: "00000000", versionBits: u32ToHex(bits) };
    const header = buildHeader(job, this.extranonce1, share, this.versionMask);
    const hash = new Uint8Array(32);
    for (let i = 0; i < 50_000_000; i++) {
      const nonce = (start + i) >>> 0;
      writeU32LE(header, 76, nonce);
      sha256dInto(header, hash);
      if (!hashBelowTarget(hash, target)) continue;
      if (notAbove && hashBelowTarget(hash, notAbove)) continue;
      return { jobId: job.id, extranonce2, ntime: job.ntime, nonce: u32ToHex(nonce), ...(opts.versionBits === undefined ? {} : { versionBits: u32ToHex(bits) }) };
    }
    throw new Error("mineShare: no share found (difficulty too high for a test?)");
  }

  /** A share that does not meet `difficulty` (a low-difficulty share). */
  lowShare(job: MinerJob, difficulty = job.difficulty): Share {
    // Any nonce whose hash misses the target: nearly every one at test difficulties.
    for (;;) {
      const s = this.mineShare(job, { difficulty: 1e-300 });
      if (!this.meets(job, s, difficulty)) return s;
    }
  }

  /** Submits like cpuminer: 5 params (6 with version bits), the worker name first. */
  submit(share: Share, opts: { id?: unknown; user?: string } = {}): Promise<StratumMessage> {
    const params: unknown[] = [opts.user ?? "worker", share.jobId, share.extranonce2, share.ntime, share.nonce];
    if (share.versionBits !== undefined) params.push(share.versionBits);
    return this.request("mining.submit", params, opts.id ?? this.nextRequestId++);
  }

  /** The next job notify, waiting for one if needed. */
  async nextJob(timeoutMs?: number): Promise<MinerJob> {
    const m = await this.nextMethod("mining.notify", timeoutMs);
    return this.jobs.get(String(m.params?.[0]))!;
  }

  close(): void {
    this.socket.end();
  }

  /** Like close(), but without waiting for anything: RST. */
  abort(): void {
    this.socket.terminate();
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  [Symbol.dispose](): void {
    if (!this.closed) this.socket.terminate();
  }

  private meets(job: MinerJob, s: Share, difficulty: number): boolean {
    const header = buildHeader(job, this.extranonce1, s, this.versionMask);
    return hashBelowTarget(sha256dInto(header, new Uint8Array(32)), targetToLE32(difficultyToTarget(difficulty, DIFF1_SHA256D)));
  }

  private takeSubscribe(m: StratumMessage): void {
    const r = m.result as [unknown, string, number] | null;
    if (!Array.isArray(r)) return;
    this.extranonce1 = r[1];
    this.extranonce2Size = r[2];
  }

  private receive(text: string): void {
    this.buffer += text;
    let nl: number;
    while ((nl = this.buffer.indexOf("\n")) >= 0) {
      const raw = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      let msg: StratumMessage;
      try {
        msg = { ...(JSON.parse(raw) as object), raw };
      } catch {
        msg = { raw };
      }
      this.take(msg);
    }
    this.wake();
  }

  private take(m: StratumMessage): void {
    this.messages.push(m);
    // A subscribe reply, whoever sent the request: [subscriptions, extranonce1, extranonce2_size].
    if (Array.isArray(m.result) && typeof m.result[1] === "string" && typeof m.result[2] === "number") this.takeSubscribe(m);
    if (m.method === "mining.set_difficulty") this.difficulty = Number(m.params?.[0]);
    if (m.method === "mining.set_extranonce") {
      this.extranonce1 = String(m.params?.[0]);
      this.extranonce2Size = Number(m.params?.[1]);
    }
    if (m.method === "mining.notify" && Array.isArray(m.params)) {
      const [id, prevhash, coinb1, coinb2, branch, version, nbits, ntime, clean] = m.params as [string, string, string, string, string[], string, string, string, boolean];
      const job: MinerJob = { id, prevhash, coinb1, coinb2, branch, version, nbits, ntime, clean, difficulty: this.difficulty };
      this.jobs.set(id, job);
      this.lastJob = job;
    }
  }

  private onClose(): void {
    this.closed = true;
    this.wake();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private describe(): string {
    return JSON.stringify(this.messages.slice(this.cursor).map((m) => (m.raw.length > 160 ? `${m.raw.slice(0, 160)}…` : m.raw)).slice(-6));
  }
}
