/**
 * @module The load generator of `bun run bench:edge`: many lean stratum clients in one process.
 * test/helpers/miner.ts decodes every chunk to a string and JSON-parses every line, which would
 * make the generator, not the edge, the bottleneck; here replies are classified from their bytes
 * (the edge's exact wire shapes, edge/stratum/replies.ts), and only subscribe replies and notifies
 * a connection must act on are parsed.
 *
 * Modes, per group of connections:
 *  - `saturate`: each connection keeps `depth` submits in flight, refilling as replies come back
 *    (one write per received chunk), so the edge answers as fast as it can;
 *  - `paced`: `pace()` sends a fixed number of shares per second over all connections, spread in
 *    time, and reply latency (send → reply, this process's clock) is recorded;
 *  - `idle`: nothing after the handshake; clean notifies are counted for the fan-out measurement.
 *
 * Shares are distinct by construction: extranonce1 is unique per connection and each connection
 * counts nonces up from 0, so the duplicate check never fires; the difficulty is set so low that
 * every hash meets the share target (see bench/edge.ts), hence every share is accepted.
 */
import type { Socket } from "bun";

const NL = 0x0a;
const C_E = 0x65; // 'e' of {"error":
const C_P = 0x70; // 'p' of {"params":
const C_N = 0x6e; // 'n' of null
const C_F = 0x66;
const C_T = 0x74;
/** What follows the clean flag in a notify line (edge/jobs/prepared-job.ts). */
const NOTIFY_TAIL = `],"id":null,"method":"mining.notify"}`;
const NOTIFY_HEAD = `{"params":["`;
const RING = 4096;
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
const decoder = new TextDecoder();

function u32Hex(v: number): string {
  return HEX[v >>> 24]! + HEX[(v >>> 16) & 255]! + HEX[(v >>> 8) & 255]! + HEX[v & 255]!;
}

export type LoadMode = "saturate" | "paced" | "idle";

export interface LoadGroupOptions {
  readonly port: number;
  readonly user: string;
  /** In-flight submits per connection in `saturate` mode. */
  readonly depth: number;
  /** Latency samples kept (paced mode); later ones are dropped. */
  readonly maxSamples?: number;
  /** Connect with TLS (stratum+ssl; any certificate is accepted). */
  readonly tls?: boolean;
}

/** One stratum client. */
export class LoadConn {
  en1 = "";
  jobId = "";
  ntime = "";
  ready = false;
  /** Highest fan-out round whose clean notify reached this client. */
  round = 0;
  private nonce = 0;
  private reqId = 10;
  private times: Float64Array | undefined;
  private head = 0;
  private tail = 0;
  private partial: Uint8Array | undefined;
  private out = "";
  private onReady: (() => void) | undefined;

  constructor(
    readonly group: LoadGroup,
    readonly socket: Socket<LoadConn>,
  ) {}

  get inFlight(): number {
    return this.tail - this.head;
  }

  /** Resolves on the first notify after subscribe + authorize. */
  handshake(): Promise<void> {
    return new Promise((resolve) => {
      this.onReady = resolve;
      this.write(`{"id":1,"method":"mining.subscribe","params":["bench-edge/1.0"]}\n{"id":2,"method":"mining.authorize","params":["${this.group.opts.user}","x"]}\n`);
    });
  }

  /** Sends `n` new shares in one write; returns how many went (the latency ring bounds it). */
  submit(n: number, now: number): number {
    if (!this.ready || n <= 0) return 0;
    const times = (this.times ??= new Float64Array(RING));
    let text = "";
    let sent = 0;
    for (; sent < n && this.tail - this.head < RING; sent++) {
      const nonce = this.nonce++;
      // extranonce2 carries the nonce's overflow, so (extranonce2, nonce) never repeats.
      const en2 = Math.floor(nonce / 0x100000000) >>> 0;
      text += `{"id":${this.reqId++},"method":"mining.submit","params":["${this.group.opts.user}","${this.jobId}","${u32Hex(en2)}","${this.ntime}","${u32Hex(nonce >>> 0)}"]}\n`;
      times[this.tail++ % RING] = now;
    }
    if (sent > 0) this.write(text);
    this.group.sent += sent;
    return sent;
  }

  data(chunk: Uint8Array): void {
    let buf = chunk;
    if (this.partial) {
      buf = new Uint8Array(this.partial.length + chunk.length);
      buf.set(this.partial);
      buf.set(chunk, this.partial.length);
      this.partial = undefined;
    }
    const g = this.group;
    const now = performance.now();
    let replies = 0;
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(NL, start);
      if (nl < 0) break;
      const c = buf[start + 2];
      if (c === C_E) {
        if (this.ready) {
          replies++;
          if (buf[start + 9] === C_N) g.accepted++;
          else g.rejected++;
          const sentAt = this.times![this.head++ % RING]!;
          g.reply(now - sentAt);
        }
      } else if (c === C_P) {
        this.notify(buf, start, nl, now);
      } else {
        this.subscribed(decoder.decode(buf.subarray(start, nl)));
      }
      start = nl + 1;
    }
    if (start < buf.length) this.partial = buf.slice(start);
    if (replies > 0 && g.mode === "saturate") this.submit(g.opts.depth - this.inFlight, now);
  }

  drain(): void {
    if (this.out.length === 0) return;
    const text = this.out;
    this.out = "";
    this.write(text);
  }

  private write(text: string): void {
    if (this.out.length > 0) {
      this.out += text;
      return;
    }
    const n = this.socket.write(text);
    // Lines are ASCII, so bytes written = characters written.
    if (n >= 0 && n < text.length) this.out = text.slice(n);
  }

  private subscribed(line: string): void {
    const m = JSON.parse(line) as { id?: unknown; result?: unknown };
    if (m.id === 1 && Array.isArray(m.result) && typeof m.result[1] === "string") this.en1 = m.result[1];
  }

  /** A notify or set_difficulty line at buf[from, to). */
  private notify(buf: Uint8Array, from: number, to: number, now: number): void {
    const tail = to - NOTIFY_TAIL.length;
    if (buf[to - 4] !== C_F || buf[tail] !== 0x5d) return; // set_difficulty, set_extranonce
    const clean = buf[tail - 4] === C_T;
    if (!this.ready || clean) {
      // Only a new job is read: its id and ntime go into the next shares. Taken from their fixed
      // places, not by JSON.parse of the whole line: the receiving side's cost must not grow with
      // the notify's size (a 12-level branch is ~1.3 KB), or it is billed to the server's fan-out.
      const ntime = readNtime(buf, from, tail, clean);
      const id = readJobId(buf, from, to);
      if (ntime !== undefined && id !== undefined) {
        this.jobId = id;
        this.ntime = ntime;
      } else {
        const params = (JSON.parse(decoder.decode(buf.subarray(from, to))) as { params: unknown[] }).params;
        this.jobId = String(params[0]);
        this.ntime = String(params[7]);
      }
    }
    if (clean) this.group.clean(this, now);
    if (!this.ready) {
      this.ready = true;
      this.onReady?.();
      this.onReady = undefined;
    }
  }
}

const PARAMS_HEAD = `{"params":["`;
const QUOTE = 0x22;

/** params[0] of a notify line at buf[from, to) that starts `{"params":["<id>"`; undefined otherwise. */
export function readJobId(buf: Uint8Array, from: number, to: number): string | undefined {
  for (let i = 0; i < PARAMS_HEAD.length; i++) if (buf[from + i] !== PARAMS_HEAD.charCodeAt(i)) return undefined;
  const start = from + PARAMS_HEAD.length;
  const end = buf.indexOf(QUOTE, start);
  return end < 0 || end >= to ? undefined : String.fromCharCode(...buf.subarray(start, end));
}

/** params[7] (8 hex digits) of a notify line ending `"<ntime>",<clean>]` before `tail`; undefined otherwise. */
export function readNtime(buf: Uint8Array, from: number, tail: number, clean: boolean): string | undefined {
  const close = tail - (clean ? 4 : 5) - 2; // the quote after ntime, before `,true]` / `,false]`
  const open = close - 9;
  if (open < from || buf[close] !== QUOTE || buf[open] !== QUOTE) return undefined;
  return String.fromCharCode(...buf.subarray(open + 1, close));
}

/** A set of clients against one stratum port, with shared counters. */
export class LoadGroup {
  readonly conns: LoadConn[] = [];
  mode: LoadMode = "idle";
  sent = 0;
  accepted = 0;
  rejected = 0;
  /** Set while latency samples are wanted. */
  recording = false;
  readonly samples: Float64Array;
  sampleCount = 0;
  /** Fan-out: the round being waited for, how many clients still miss it, and when the last arrived. */
  private fanRound = 0;
  private fanMissing = 0;
  private fanFirst = 0;
  private fanLast = 0;
  private fanDone: (() => void) | undefined;
  failedConnects = 0;

  constructor(readonly opts: LoadGroupOptions) {
    this.samples = new Float64Array(opts.maxSamples ?? 1);
  }

  get answered(): number {
    return this.accepted + this.rejected;
  }

  /** Opens `n` more connections, `concurrency` handshakes at a time; bounded by `timeoutMs`. */
  async connect(n: number, concurrency: number, timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    let left = n;
    while (left > 0) {
      if (performance.now() > deadline) throw new Error(`load: ramp timed out with ${this.conns.length} connections`);
      const batch = Math.min(left, concurrency);
      const opened = await Promise.all(Array.from({ length: batch }, () => this.open()));
      const ok = opened.filter((c): c is LoadConn => c !== undefined);
      this.failedConnects += batch - ok.length;
      if (this.failedConnects > 100) throw new Error(`load: ${this.failedConnects} connections failed`);
      await withTimeout(Promise.all(ok.map((c) => c.handshake())), Math.max(1, deadline - performance.now()), "handshakes");
      this.conns.push(...ok);
      left -= ok.length;
    }
  }

  /** Starts saturating: every connection fills its pipeline. */
  saturate(): void {
    this.mode = "saturate";
    const now = performance.now();
    for (const c of this.conns) c.submit(this.opts.depth - c.inFlight, now);
  }

  /**
   * Sends `rate` shares/s over all connections for `ms`, each connection at rate/N with its own
   * phase so sends spread over time; resolves when the time is up (replies may still be due).
   */
  pace(rate: number, ms: number): Promise<void> {
    this.mode = "paced";
    const n = this.conns.length;
    const perConnMs = rate / n / 1000;
    const sentBy = new Float64Array(n);
    const t0 = performance.now();
    return new Promise((resolve) => {
      const timer = setInterval(() => {
        const now = performance.now();
        const elapsed = now - t0;
        if (elapsed >= ms) {
          clearInterval(timer);
          resolve();
          return;
        }
        for (let i = 0; i < n; i++) {
          // Connection i's k-th share is due at (k + i/n) / perConnMs.
          const due = Math.floor(elapsed * perConnMs + 1 - i / n);
          const more = due - sentBy[i]!;
          if (more > 0) sentBy[i]! += this.conns[i]!.submit(more, now);
        }
      }, 1);
    });
  }

  /** Waits until every connection's pipeline is empty (or `ms` passes). */
  async settle(ms: number): Promise<void> {
    this.mode = "idle";
    const deadline = performance.now() + ms;
    while (this.conns.some((c) => c.inFlight > 0) && performance.now() < deadline) await Bun.sleep(5);
  }

  reply(latencyMs: number): void {
    if (this.recording && this.sampleCount < this.samples.length) this.samples[this.sampleCount++] = latencyMs;
  }

  /** Arms a fan-out round: resolves with the first and last arrival (performance.now) of a clean notify at every client. */
  expectFanOut(timeoutMs: number): { done: Promise<{ first: number; last: number; missing: number }> } {
    this.fanRound++;
    this.fanMissing = this.conns.length;
    this.fanFirst = 0;
    const done = new Promise<{ first: number; last: number; missing: number }>((resolve) => {
      const timer = setTimeout(() => finish(), timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.fanDone = undefined;
        resolve({ first: this.fanFirst, last: this.fanLast, missing: this.fanMissing });
      };
      this.fanDone = finish;
    });
    return { done };
  }

  clean(c: LoadConn, now: number): void {
    if (c.round >= this.fanRound) return;
    c.round = this.fanRound;
    if (this.fanFirst === 0) this.fanFirst = now;
    this.fanLast = now;
    if (--this.fanMissing === 0) this.fanDone?.();
  }

  close(): void {
    for (const c of this.conns) c.socket.terminate();
    this.conns.length = 0;
  }

  private async open(): Promise<LoadConn | undefined> {
    try {
      // Over TLS nothing is written before the handshake is done.
      let handshake: ((ok: boolean) => void) | undefined;
      const shaken = this.opts.tls ? new Promise<boolean>((resolve) => (handshake = resolve)) : undefined;
      const socket = await Bun.connect<LoadConn>({
        hostname: "127.0.0.1",
        port: this.opts.port,
        ...(this.opts.tls ? { tls: { rejectUnauthorized: false } } : {}),
        socket: {
          binaryType: "uint8array",
          data: (s, chunk) => s.data?.data(chunk),
          // A TLS socket may drain before `data` is set (during its handshake).
          drain: (s) => s.data?.drain(),
          // The certificate is not checked (any is accepted), so the handshake's authorization result does not matter.
          handshake: () => handshake?.(true),
          error: () => handshake?.(false),
          close: () => handshake?.(false),
        },
      });
      if (shaken && !(await shaken)) return undefined;
      socket.setNoDelay(true);
      const conn = new LoadConn(this, socket);
      socket.data = conn;
      // Data can only arrive after the handshake is written, which happens after this.
      return conn;
    } catch {
      return undefined;
    }
  }
}

export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`load: ${what} timed out after ${Math.round(ms)} ms`)), ms)));
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}
