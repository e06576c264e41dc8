/**
 * @module One SV2 TCP connection: the Noise handshake, the encrypted frame stream, the request-rate
 * budget, the write queue and closing. Everything here is about bytes and abuse; what a message
 * means is the session's (session.ts).
 *
 * Any failure of the peer's bytes — a wrong-sized first act, a failed tag (which is also what a
 * replayed or reordered frame meets: its nonce has passed), an oversized or malformed frame, a
 * message before SetupConnection — closes this connection and nothing else. Frames pipelined in
 * one read are answered together: their output is encrypted in order and written at once.
 */
import type { Socket } from "bun";
import type { Logger } from "../../shared/log.ts";
import { takeToken, type TokenBucket } from "../listener/ip-guard.ts";
import { WriteQueue, writeNow } from "../listener/write-queue.ts";
import { Sv2DecodeError } from "./codec.ts";
import { encryptFrame, FrameDecoder, FrameError, type Frame } from "./frame.ts";
import type { EdgeKeys } from "./keys.ts";
import { extensionTypeOf, type MessageOut } from "./messages.ts";
import { ACT1_SIZE, NoiseError, respond, type CipherState } from "./noise.ts";
import type { Sv2Counters, Sv2Session, Sv2Wire } from "./session.ts";

export interface Sv2ConnectionContext {
  readonly keys: EdgeKeys;
  readonly counters: Sv2Counters;
  readonly log: Logger;
  readonly maxRequestsPerSecond: number;
  readonly blockedWriteTimeoutMs: number;
  readonly maxFrameBytes: number;
  /** ms this address must wait for its handshake (0: now); see handshake-budget.ts. */
  handshakeDelay(ip: string, now: number): number;
  now(): number;
  released(conn: Sv2Connection): void;
}

export class Sv2Connection implements Sv2Wire, TokenBucket {
  closed = false;
  session: Sv2Session | undefined;
  /** The first act while it arrives in pieces (64 bytes). */
  private act1: Uint8Array | undefined;
  private act1Length = 0;
  private send_: CipherState | undefined;
  private decoder: FrameDecoder | undefined;
  private out: WriteQueue | undefined;
  /** Ciphertexts produced while a read is handled, written together at its end. */
  private corked: Uint8Array[] | undefined;
  tokens: number;
  tokensAt: number;
  private finished = false;
  private readonly onFrame = (f: Frame): boolean => this.handleFrame(f);
  /** A handshake waiting for its address's budget. */
  private delayed: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly socket: Socket<Sv2Connection>,
    readonly ip: string,
    readonly connectedAt: number,
    private readonly ctx: Sv2ConnectionContext,
  ) {
    this.tokens = ctx.maxRequestsPerSecond;
    this.tokensAt = connectedAt;
  }

  get handshakeDone(): boolean {
    return this.decoder !== undefined;
  }

  data(chunk: Uint8Array): void {
    if (this.closed) return;
    let at = 0;
    if (!this.decoder) {
      at = this.takeAct1(chunk);
      if (!this.decoder || at >= chunk.length) return;
    }
    this.corked = [];
    this.session?.beginRead();
    try {
      this.decoder.push(at === 0 ? chunk : chunk.subarray(at), this.onFrame);
    } catch (e) {
      if (e instanceof NoiseError || e instanceof FrameError || e instanceof Sv2DecodeError) {
        this.ctx.counters.badFrames++;
        if (this.ctx.log.enabled("debug")) this.ctx.log.debug(`SV2 ${this.ip}: ${e.message}`);
        this.uncork();
        this.close(`bad frame: ${e.message}`, "abort");
        return;
      }
      throw e;
    } finally {
      if (!this.closed) this.session?.endRead();
    }
    this.uncork();
  }

  /** Collects the 64-byte act 1 and answers it; returns how much of `chunk` it used. */
  private takeAct1(chunk: Uint8Array): number {
    const take = Math.min(ACT1_SIZE - this.act1Length, chunk.length);
    if (this.act1Length === 0 && take === ACT1_SIZE) {
      this.answerAct1(chunk.subarray(0, ACT1_SIZE));
      return ACT1_SIZE;
    }
    (this.act1 ??= new Uint8Array(ACT1_SIZE)).set(chunk.subarray(0, take), this.act1Length);
    this.act1Length += take;
    if (this.act1Length === ACT1_SIZE) {
      const a = this.act1;
      this.act1 = undefined;
      this.answerAct1(a);
    }
    return take;
  }

  private answerAct1(act1: Uint8Array): void {
    const wait = this.ctx.handshakeDelay(this.ip, this.ctx.now());
    if (wait > 0) {
      this.ctx.counters.handshakesDelayed++;
      const copy = act1.slice();
      this.delayed = setTimeout(() => {
        this.delayed = undefined;
        if (!this.closed) this.handshake(copy);
      }, wait);
      return;
    }
    this.handshake(act1);
  }

  private handshake(act1: Uint8Array): void {
    const k = this.ctx.keys;
    let r: ReturnType<typeof respond>;
    try {
      r = respond(act1, k, k.signatureNoiseMessage);
    } catch (e) {
      this.ctx.counters.handshakeFailures++;
      this.close(`handshake failed: ${(e as Error).message}`, "abort");
      return;
    }
    this.ctx.counters.handshakes++;
    this.send_ = r.keys.send;
    this.decoder = new FrameDecoder(r.keys.recv, this.ctx.maxFrameBytes);
    this.write(r.act2);
  }

  private handleFrame(f: Frame): boolean {
    const now = this.ctx.now();
    if (!takeToken(this, this.ctx.maxRequestsPerSecond, now)) {
      // Over the rate even after the bucket's burst: a flood, not a miner (shares come in batches far below it).
      this.close("over the request rate", "abort");
      return false;
    }
    this.session!.frame(f, now);
    return !this.closed;
  }

  send(m: MessageOut): void {
    if (this.closed || !this.send_) return;
    const ct = encryptFrame(this.send_, extensionTypeOf(m.msgType), m.msgType, m.payload);
    if (this.corked) this.corked.push(ct);
    else this.write(ct);
  }

  private uncork(): void {
    const c = this.corked;
    this.corked = undefined;
    if (!c || c.length === 0 || this.closed) return;
    if (c.length === 1) return this.write(c[0]!);
    let n = 0;
    for (const b of c) n += b.length;
    const all = new Uint8Array(n);
    n = 0;
    for (const b of c) {
      all.set(b, n);
      n += b.length;
    }
    this.write(all);
  }

  private write(data: Uint8Array): void {
    const q = this.out;
    let ok: boolean;
    if (q) ok = q.send(data, this.ctx.now());
    else {
      const rest = writeNow(this.socket, data);
      if (rest === null) return;
      ok = rest !== undefined && (this.out = new WriteQueue(this.socket)).enqueue(rest, this.ctx.now());
    }
    if (!ok) this.close(`not reading: ${this.out?.queuedBytes ?? 0} bytes queued`, "abort");
  }

  drain(): void {
    const q = this.out;
    if (this.closed || !q) return;
    if (!q.flush()) this.finish("socket closed");
    else if (q.empty) this.out = undefined;
  }

  close(reason: string, mode: "graceful" | "abort" = "graceful"): void {
    if (this.closed) return;
    if (mode === "graceful") this.uncork();
    this.closed = true;
    if (mode === "abort") this.socket.terminate();
    else {
      this.socket.end();
      this.socket.timeout(10);
    }
    this.finish(reason);
  }

  sweep(now: number): void {
    if (!this.closed && this.out?.blockedTooLong(now, this.ctx.blockedWriteTimeoutMs)) this.close("blocked writing", "abort");
  }

  finish(reason: string): void {
    this.closed = true;
    this.corked = undefined;
    this.out = undefined;
    this.decoder = undefined;
    this.act1 = undefined;
    if (this.delayed) clearTimeout(this.delayed);
    this.delayed = undefined;
    if (this.finished) return;
    this.finished = true;
    this.ctx.released(this);
    this.session?.closed();
    if (this.ctx.log.enabled("debug")) this.ctx.log.debug(`SV2 disconnect ${this.ip}: ${reason}`);
  }
}
