/**
 * @module The SV2 load generator of `bench/sv2.ts`: lean miners that do the Noise handshake, open
 * one channel and keep `depth` submits in flight. Every share is valid (the bench difficulty makes
 * the target 2^256 − 1) and unique (each channel has its own extranonce and counts its nonces up).
 * Kept lean on purpose (no inbox, no header building): the generator shares the machine's cores
 * with the edge it measures.
 */
import type { Socket } from "bun";
import { Reader } from "../edge/sv2/codec.ts";
import { encryptFrame, FrameDecoder, type Frame } from "../edge/sv2/frame.ts";
import * as M from "../edge/sv2/messages.ts";
import { ACT2_SIZE, initiate, type TransportKeys } from "../edge/sv2/noise.ts";

export class Sv2LoadClient {
  private socket!: Socket<undefined>;
  private keys!: TransportKeys;
  private decoder: FrameDecoder | undefined;
  private pending: Uint8Array = new Uint8Array(0);
  private act2: ((b: Uint8Array) => void) | undefined;
  private waiters: (() => void)[] = [];
  channelId = -1;
  extended = false;
  extranonceSize = 0;
  jobId = -1;
  version = 0;
  ntime = 0;
  private nonce = 0;
  private seq = 0;
  inFlight = 0;
  accepted = 0;
  rejected = 0;
  private depth = 0;
  closed = false;
  /** Called with the job id of every NewMiningJob/NewExtendedMiningJob received (fan-out timing). */
  onJob: ((jobId: number) => void) | undefined;

  static async connect(port: number): Promise<Sv2LoadClient> {
    const c = new Sv2LoadClient();
    const init = initiate();
    const got = new Promise<Uint8Array>((resolve) => (c.act2 = resolve));
    c.socket = await Bun.connect<undefined>({
      hostname: "127.0.0.1",
      port,
      socket: {
        binaryType: "uint8array",
        data: (_s, chunk) => c.received(chunk),
        close: () => c.gone(),
        error: () => c.gone(),
        drain: () => c.flush(),
      },
    });
    c.socket.write(init.act1);
    const act2 = await Promise.race([got, Bun.sleep(30_000).then(() => undefined)]);
    if (!act2) throw new Error("Sv2LoadClient: no handshake reply in 30 s");
    c.keys = init.finish(act2).keys;
    c.decoder = new FrameDecoder(c.keys.recv, 1 << 20);
    if (c.pending.length > 0) c.received(c.pending);
    return c;
  }

  private gone(): void {
    this.closed = true;
    this.wake();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private received(chunk: Uint8Array): void {
    if (!this.decoder) {
      const all = new Uint8Array(this.pending.length + chunk.length);
      all.set(this.pending);
      all.set(chunk, this.pending.length);
      this.pending = all;
      if (all.length >= ACT2_SIZE && this.act2) {
        this.pending = all.slice(ACT2_SIZE);
        const cb = this.act2;
        this.act2 = undefined;
        cb(all.slice(0, ACT2_SIZE));
      }
      return;
    }
    this.decoder.push(chunk, (f) => this.frame(f));
    if (this.depth > 0) this.pump();
  }

  private frame(f: Frame): boolean {
    const r = new Reader(f.payload);
    switch (f.msgType) {
      case M.MsgType.SubmitSharesSuccess: {
        const s = M.decodeSubmitSharesSuccess(r);
        this.accepted += s.newSubmitsAcceptedCount;
        this.inFlight -= s.newSubmitsAcceptedCount;
        break;
      }
      case M.MsgType.SubmitSharesError:
        this.rejected++;
        this.inFlight--;
        break;
      case M.MsgType.OpenStandardMiningChannelSuccess:
        this.channelId = M.decodeOpenStandardMiningChannelSuccess(r).channelId;
        break;
      case M.MsgType.OpenExtendedMiningChannelSuccess: {
        const s = M.decodeOpenExtendedMiningChannelSuccess(r);
        this.channelId = s.channelId;
        this.extranonceSize = s.extranonceSize ?? 0;
        break;
      }
      case M.MsgType.NewMiningJob: {
        const j = M.decodeNewMiningJob(r);
        this.version = j.version;
        if (j.minNtime !== undefined) this.jobId = j.jobId;
        this.onJob?.(j.jobId);
        break;
      }
      case M.MsgType.NewExtendedMiningJob: {
        const j = M.decodeNewExtendedMiningJob(r);
        this.version = j.version;
        if (j.minNtime !== undefined) this.jobId = j.jobId;
        this.onJob?.(j.jobId);
        break;
      }
      case M.MsgType.SetNewPrevHash: {
        const p = M.decodeSetNewPrevHash(r);
        this.jobId = p.jobId;
        this.ntime = p.minNtime;
        break;
      }
    }
    this.wake();
    return true;
  }

  private send(m: M.MessageOut): void {
    this.write(encryptFrame(this.keys.send, M.extensionTypeOf(m.msgType), m.msgType, m.payload));
  }

  private async until(cond: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (!cond()) {
      if (this.closed) throw new Error(`Sv2LoadClient: closed while waiting for ${what}`);
      if (Date.now() > deadline) throw new Error(`Sv2LoadClient: no ${what} in 30 s`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 1000);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** SetupConnection, one channel, and its first job. */
  async open(kind: "standard" | "extended", user: string): Promise<void> {
    this.extended = kind === "extended";
    this.send(M.encodeSetupConnection({ protocol: 0, minVersion: 2, maxVersion: 2, flags: this.extended ? 0 : M.SetupFlag.requiresStandardJobs, endpointHost: "127.0.0.1", endpointPort: 0, vendor: "bench", hardwareVersion: "", firmware: "", deviceId: "" }));
    this.send(M.encodeOpenMiningChannel({ requestId: 1, userIdentity: user, nominalHashRate: 0, maxTarget: new Uint8Array(32).fill(0xff), ...(this.extended ? { minExtranonceSize: 4 } : {}) }));
    await this.until(() => this.channelId >= 0 && this.jobId >= 0 && this.ntime > 0, "channel and job");
  }

  /** Keeps `depth` submits in flight from now on (0 stops). */
  run(depth: number): void {
    this.depth = depth;
    this.pump();
  }

  private pump(): void {
    if (this.closed) return;
    const n = this.depth - this.inFlight;
    if (n <= 0) return;
    const frames: Uint8Array[] = [];
    let bytes = 0;
    for (let i = 0; i < n; i++) {
      const nonce = this.nonce++ >>> 0;
      const m = M.encodeSubmitShares({
        channelId: this.channelId,
        sequenceNumber: ++this.seq,
        jobId: this.jobId,
        nonce,
        ntime: this.ntime,
        version: this.version,
        ...(this.extended ? { extranonce: new Uint8Array(this.extranonceSize) } : {}),
      });
      const f = encryptFrame(this.keys.send, M.extensionTypeOf(m.msgType), m.msgType, m.payload);
      frames.push(f);
      bytes += f.length;
    }
    this.inFlight += n;
    const all = new Uint8Array(bytes);
    let at = 0;
    for (const f of frames) {
      all.set(f, at);
      at += f.length;
    }
    this.write(all);
  }

  /** Bytes the kernel did not take yet (a full socket buffer): written on drain, in order. */
  private unsent: Uint8Array | undefined;

  private write(b: Uint8Array): void {
    if (this.unsent) {
      const all = new Uint8Array(this.unsent.length + b.length);
      all.set(this.unsent);
      all.set(b, this.unsent.length);
      this.unsent = all;
      return;
    }
    const n = this.socket.write(b);
    if (n < b.length) this.unsent = b.subarray(Math.max(0, n));
  }

  private flush(): void {
    const u = this.unsent;
    if (!u) return;
    this.unsent = undefined;
    this.write(u);
  }

  close(): void {
    this.depth = 0;
    this.closed = true;
    this.socket?.end();
  }
}
