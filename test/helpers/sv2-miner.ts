/**
 * @module A Stratum V2 miner for the tests, written from sv2-spec (§4 Noise handshake and
 * certificate check, §4.6 framing, §5.3 Mining Protocol), not from the edge's server code: it
 * builds coinbases, merkle roots and headers itself (shared/bitcoin's sha256d only) and grinds
 * nonces until a header meets the channel's target. It uses the edge's transport primitives
 * (noise.ts, frame.ts, messages.ts) for the wire; those are checked separately, against BIP324's
 * vectors and the spec's field tables (edge/sv2/*.test.ts).
 *
 *   const m = await Sv2TestMiner.connect(port, authorityXonly);
 *   await m.setup(SetupFlag.requiresStandardJobs);
 *   const ch = await m.openStandard("address.worker");
 *   const share = m.mine(ch.channelId);   // on the channel's active job
 *   m.submit(share); const reply = await m.nextSubmitReply(ch.channelId);
 */
import type { Socket } from "bun";
import { concatBytes, sha256d } from "../../shared/bitcoin/index.ts";
import { certificateProblem, decodeSignatureNoiseMessage } from "../../edge/sv2/certificate.ts";
import { Reader } from "../../edge/sv2/codec.ts";
import { encryptFrame, FrameDecoder, type Frame } from "../../edge/sv2/frame.ts";
import * as M from "../../edge/sv2/messages.ts";
import { ACT2_SIZE, initiate, type TransportKeys } from "../../edge/sv2/noise.ts";

export interface Sv2Message {
  readonly msgType: number;
  /** The decoded fields (what the test looks at). */
  readonly fields: Record<string, unknown>;
}

export interface ChannelState {
  readonly channelId: number;
  readonly kind: "standard" | "extended";
  readonly groupId: number;
  target: Uint8Array;
  extranoncePrefix: Uint8Array;
  extranonceSize: number;
  /** Jobs by id; a standard job carries its merkle root, an extended one the coinbase parts. */
  readonly jobs: Map<number, { version: number; merkleRoot?: Uint8Array; path?: Uint8Array[]; prefix?: Uint8Array; suffix?: Uint8Array }>;
  activeJobId: number | undefined;
  prevHash: Uint8Array | undefined;
  nbits: number;
  minNtime: number;
}

export interface Sv2Share extends M.SubmitShares {
  /** The header it stands for, and its sha256d (internal byte order). */
  header: Uint8Array;
  hash: Uint8Array;
}

const u32le = (v: number) => Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);

/** hash ≤ target, both little-endian 256-bit numbers. */
export function meetsTarget(hash: Uint8Array, target: Uint8Array): boolean {
  for (let i = 31; i >= 0; i--) {
    if (hash[i]! !== target[i]!) return hash[i]! < target[i]!;
  }
  return true;
}

/** §5.3.16's merkle root: the coinbase txid folded with the path. */
export function merkleRootOf(coinbase: Uint8Array, path: readonly Uint8Array[]): Uint8Array {
  let root = sha256d(coinbase);
  for (const leaf of path) root = sha256d(concatBytes(root, leaf));
  return root;
}

export class Sv2TestMiner {
  private socket!: Socket<undefined>;
  private keys: TransportKeys | undefined;
  private decoder: FrameDecoder | undefined;
  private handshakeBuf: Uint8Array = new Uint8Array(0);
  private onHandshake: ((act2: Uint8Array) => void) | undefined;
  readonly inbox: Sv2Message[] = [];
  private waiters: (() => void)[] = [];
  closed = false;
  closeReason = "";
  readonly channels = new Map<number, ChannelState>();
  private groupPrev: { prevHash: Uint8Array; nbits: number; minNtime: number; jobId: number } | undefined;
  private seq = 0;
  private requestId = 0;
  private nonceStart = Math.floor(Math.random() * 0xffffffff);

  /** Connects and runs the Noise handshake; checks the certificate against `authority` (x-only) unless told not to. */
  static async connect(port: number, authority: Uint8Array, opts: { host?: string; checkCertificate?: boolean } = {}): Promise<Sv2TestMiner> {
    const m = new Sv2TestMiner();
    const init = initiate();
    const act2 = new Promise<Uint8Array>((resolve) => (m.onHandshake = resolve));
    m.socket = await Bun.connect<undefined>({
      hostname: opts.host ?? "127.0.0.1",
      port,
      socket: {
        binaryType: "uint8array",
        data: (_s, chunk) => m.received(chunk),
        close: () => m.gone("closed by server"),
        error: (_s, e) => m.gone(`socket error: ${e.message}`),
      },
    });
    m.socket.write(init.act1);
    const got = await Promise.race([act2, Bun.sleep(10_000).then(() => undefined), m.waitClosed()]);
    if (!(got instanceof Uint8Array)) throw new Error(`Sv2TestMiner: no handshake reply (${m.closeReason || "timeout"})`);
    const fin = init.finish(got);
    if (opts.checkCertificate !== false) {
      const problem = certificateProblem(decodeSignatureNoiseMessage(fin.signatureNoiseMessage), fin.remoteStatic, authority, Math.floor(Date.now() / 1000));
      if (problem) {
        m.close();
        throw new Error(`Sv2TestMiner: server certificate refused: ${problem}`);
      }
    }
    m.keys = fin.keys;
    m.decoder = new FrameDecoder(fin.keys.recv, 1 << 20);
    const rest = m.handshakeBuf;
    m.handshakeBuf = new Uint8Array(0);
    if (rest.length > 0) m.received(rest);
    return m;
  }

  private received(chunk: Uint8Array): void {
    if (!this.decoder) {
      this.handshakeBuf = concatBytes(this.handshakeBuf, chunk);
      if (this.handshakeBuf.length >= ACT2_SIZE && this.onHandshake) {
        const act2 = this.handshakeBuf.slice(0, ACT2_SIZE);
        this.handshakeBuf = this.handshakeBuf.slice(ACT2_SIZE);
        const cb = this.onHandshake;
        this.onHandshake = undefined;
        cb(act2);
      }
      return;
    }
    this.decoder.push(chunk, (f) => {
      this.handle(f);
      return true;
    });
  }

  private gone(reason: string): void {
    if (!this.closed) {
      this.closed = true;
      this.closeReason = reason;
    }
    this.wake();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  waitClosed(ms = 10_000): Promise<boolean> {
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(this.closed), ms);
      const check = () => {
        if (this.closed) {
          clearTimeout(t);
          resolve(true);
        } else this.waiters.push(check);
      };
      check();
    });
  }

  private handle(f: Frame): void {
    const r = new Reader(f.payload);
    const T = M.MsgType;
    let fields: Record<string, unknown>;
    switch (f.msgType) {
      case T.SetupConnectionSuccess:
        fields = M.decodeSetupConnectionSuccess(r);
        break;
      case T.SetupConnectionError:
        fields = M.decodeSetupConnectionError(r);
        break;
      case T.OpenStandardMiningChannelSuccess:
      case T.OpenExtendedMiningChannelSuccess: {
        const s = f.msgType === T.OpenStandardMiningChannelSuccess ? M.decodeOpenStandardMiningChannelSuccess(r) : M.decodeOpenExtendedMiningChannelSuccess(r);
        fields = { ...s, target: s.target.slice(), extranoncePrefix: s.extranoncePrefix.slice() };
        this.channels.set(s.channelId, {
          channelId: s.channelId,
          kind: s.extranonceSize === undefined ? "standard" : "extended",
          groupId: s.groupChannelId,
          target: s.target.slice(),
          extranoncePrefix: s.extranoncePrefix.slice(),
          extranonceSize: s.extranonceSize ?? 0,
          jobs: new Map(),
          activeJobId: undefined,
          prevHash: undefined,
          nbits: 0,
          minNtime: 0,
        });
        break;
      }
      case T.OpenMiningChannelError:
        fields = M.decodeOpenMiningChannelError(r);
        break;
      case T.NewMiningJob: {
        const j = M.decodeNewMiningJob(r);
        fields = { ...j };
        const ch = this.channels.get(j.channelId);
        ch?.jobs.set(j.jobId, { version: j.version, merkleRoot: j.merkleRoot.slice() });
        if (ch && j.minNtime !== undefined) ch.activeJobId = j.jobId;
        break;
      }
      case T.NewExtendedMiningJob: {
        const j = M.decodeNewExtendedMiningJob(r);
        fields = { ...j };
        const job = { version: j.version, path: j.merklePath.map((p) => p.slice()), prefix: j.coinbaseTxPrefix.slice(), suffix: j.coinbaseTxSuffix.slice() };
        for (const ch of this.channelsFor(j.channelId)) {
          ch.jobs.set(j.jobId, job);
          if (j.minNtime !== undefined) ch.activeJobId = j.jobId;
        }
        break;
      }
      case T.SetNewPrevHash: {
        const p = M.decodeSetNewPrevHash(r);
        fields = { ...p };
        for (const ch of this.channelsFor(p.channelId)) {
          ch.prevHash = p.prevHash.slice();
          ch.nbits = p.nbits;
          ch.minNtime = p.minNtime;
          ch.activeJobId = p.jobId;
        }
        break;
      }
      case T.SetTarget: {
        const t = M.decodeSetTarget(r);
        fields = { ...t };
        for (const ch of this.channelsFor(t.channelId)) ch.target = t.maximumTarget.slice();
        break;
      }
      case T.SubmitSharesSuccess:
        fields = M.decodeSubmitSharesSuccess(r);
        break;
      case T.SubmitSharesError:
        fields = M.decodeSubmitSharesError(r);
        break;
      case T.UpdateChannelError:
        fields = M.decodeChannelError(r);
        break;
      case T.CloseChannel:
        fields = M.decodeCloseChannel(r);
        break;
      case T.Reconnect:
        fields = M.decodeReconnect(r);
        break;
      case T.SetExtranoncePrefix: {
        const p = M.decodeSetExtranoncePrefix(r);
        fields = { ...p };
        const ch = this.channels.get(p.channelId);
        if (ch) ch.extranoncePrefix = p.extranoncePrefix.slice();
        break;
      }
      default:
        fields = { raw: f.payload.slice() };
    }
    this.inbox.push({ msgType: f.msgType, fields });
    this.wake();
  }

  /** The channel itself, or every channel of a group. */
  private channelsFor(id: number): ChannelState[] {
    const own = this.channels.get(id);
    if (own) return [own];
    return [...this.channels.values()].filter((c) => c.groupId === id && id !== 0);
  }

  send(m: M.MessageOut): void {
    this.sendRaw(encryptFrame(this.keys!.send, M.extensionTypeOf(m.msgType), m.msgType, m.payload));
  }

  /** Bytes as they are (hostile-input tests). */
  sendRaw(b: Uint8Array): void {
    this.socket.write(b);
  }

  /** Encrypts a frame with the connection's keys without sending it (tests that tamper with it). */
  encrypt(m: M.MessageOut): Uint8Array {
    return encryptFrame(this.keys!.send, M.extensionTypeOf(m.msgType), m.msgType, m.payload);
  }

  /** The next inbox message matching `pred` (removed from the inbox). */
  async next(pred: (m: Sv2Message) => boolean, what = "a message", ms = 10_000): Promise<Sv2Message> {
    const deadline = Date.now() + ms;
    for (;;) {
      const i = this.inbox.findIndex(pred);
      if (i >= 0) return this.inbox.splice(i, 1)[0]!;
      if (this.closed) throw new Error(`Sv2TestMiner: closed (${this.closeReason}) while waiting for ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`Sv2TestMiner: timed out waiting for ${what}; inbox: ${this.inbox.map((m) => `0x${m.msgType.toString(16)}`).join(",")}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  nextOf(msgType: number, what?: string, ms?: number): Promise<Sv2Message> {
    return this.next((m) => m.msgType === msgType, what ?? `message 0x${msgType.toString(16)}`, ms);
  }

  async setup(flags: number, overrides: Partial<M.SetupConnection> = {}): Promise<Sv2Message> {
    this.send(
      M.encodeSetupConnection({
        protocol: 0,
        minVersion: 2,
        maxVersion: 2,
        flags,
        endpointHost: "127.0.0.1",
        endpointPort: 0,
        vendor: "powerpool-tests",
        hardwareVersion: "sv2-test-miner",
        firmware: "1.0",
        deviceId: "",
        ...overrides,
      }),
    );
    return this.next((m) => m.msgType === M.MsgType.SetupConnectionSuccess || m.msgType === M.MsgType.SetupConnectionError, "the SetupConnection answer");
  }

  /** Nominal hash rate sent when opening channels (0: none given). */
  nominalHashRate = 0;

  private async open(kind: "standard" | "extended", user: string, minExtranonceSize: number, maxTarget: Uint8Array): Promise<ChannelState> {
    const requestId = ++this.requestId;
    this.send(M.encodeOpenMiningChannel({ requestId, userIdentity: user, nominalHashRate: this.nominalHashRate, maxTarget, ...(kind === "extended" ? { minExtranonceSize } : {}) }));
    const okType = kind === "standard" ? M.MsgType.OpenStandardMiningChannelSuccess : M.MsgType.OpenExtendedMiningChannelSuccess;
    const reply = await this.next((m) => (m.msgType === okType || m.msgType === M.MsgType.OpenMiningChannelError) && m.fields.requestId === requestId, `the answer to open request ${requestId}`);
    if (reply.msgType === M.MsgType.OpenMiningChannelError) throw new Error(`open ${kind} channel refused: ${String(reply.fields.errorCode)}`);
    const ch = this.channels.get(reply.fields.channelId as number)!;
    // §5.3.15: a future job then the prevhash that activates it.
    await this.waitActive(ch);
    return ch;
  }

  openStandard(user: string, maxTarget = new Uint8Array(32).fill(0xff)): Promise<ChannelState> {
    return this.open("standard", user, 0, maxTarget);
  }

  openExtended(user: string, minExtranonceSize = 2, maxTarget = new Uint8Array(32).fill(0xff)): Promise<ChannelState> {
    return this.open("extended", user, minExtranonceSize, maxTarget);
  }

  async waitActive(ch: ChannelState, ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (ch.activeJobId === undefined || ch.prevHash === undefined || !ch.jobs.has(ch.activeJobId)) {
      if (this.closed) throw new Error(`Sv2TestMiner: closed (${this.closeReason}) before channel ${ch.channelId} had work`);
      if (Date.now() > deadline) throw new Error(`Sv2TestMiner: channel ${ch.channelId} got no active job`);
      await Bun.sleep(10);
    }
  }

  /** The header of a share: the channel's own merkle root (standard) or one built from the extended job and `extranonce`. */
  header(ch: ChannelState, jobId: number, ntime: number, nonce: number, version: number, extranonce?: Uint8Array): Uint8Array {
    const job = ch.jobs.get(jobId);
    if (!job || !ch.prevHash) throw new Error(`Sv2TestMiner: no job ${jobId} on channel ${ch.channelId}`);
    let root: Uint8Array;
    if (job.merkleRoot) root = job.merkleRoot;
    else {
      // §5.3.16: coinbase = prefix ‖ extranonce_prefix ‖ extranonce ‖ suffix (a standard channel in a group has no extranonce).
      root = merkleRootOf(concatBytes(job.prefix!, ch.extranoncePrefix, extranonce ?? new Uint8Array(0), job.suffix!), job.path!);
    }
    return concatBytes(u32le(version), ch.prevHash, root, u32le(ntime), u32le(ch.nbits), u32le(nonce));
  }

  /**
   * Grinds nonces on the channel's active job until the header's hash meets `target` (default the
   * channel's) — or misses it, with `miss` (a low share).
   */
  mine(ch: ChannelState, opts: { target?: Uint8Array; versionBits?: number; extranonce?: Uint8Array; miss?: boolean; jobId?: number } = {}): Sv2Share {
    const jobId = opts.jobId ?? ch.activeJobId!;
    const job = ch.jobs.get(jobId)!;
    const target = opts.target ?? ch.target;
    const extranonce = ch.kind === "extended" ? (opts.extranonce ?? crypto.getRandomValues(new Uint8Array(ch.extranonceSize))) : undefined;
    const version = (job.version | (opts.versionBits ?? 0)) >>> 0;
    const ntime = Math.max(ch.minNtime, Math.floor(Date.now() / 1000));
    for (let i = 0; i < 5_000_000; i++) {
      const nonce = (this.nonceStart++ >>> 0) & 0xffffffff;
      const header = this.header(ch, jobId, ntime, nonce, version, extranonce);
      const hash = sha256d(header);
      if (meetsTarget(hash, target) !== (opts.miss === true)) {
        return { channelId: ch.channelId, sequenceNumber: ++this.seq, jobId, nonce, ntime, version, ...(extranonce ? { extranonce } : {}), header, hash };
      }
    }
    throw new Error("Sv2TestMiner.mine: no share in 5M nonces");
  }

  submit(s: Sv2Share, sequenceNumber = s.sequenceNumber): void {
    this.send(M.encodeSubmitShares({ channelId: s.channelId, sequenceNumber, jobId: s.jobId, nonce: s.nonce, ntime: s.ntime, version: s.version, ...(s.extranonce ? { extranonce: s.extranonce } : {}) }));
  }

  /** The next SubmitShares.Success or .Error for a channel. */
  nextSubmitReply(channelId: number, ms?: number): Promise<Sv2Message> {
    return this.next((m) => (m.msgType === M.MsgType.SubmitSharesSuccess || m.msgType === M.MsgType.SubmitSharesError) && m.fields.channelId === channelId, `a submit reply on channel ${channelId}`, ms);
  }

  close(): void {
    this.closed = true;
    this.socket?.end();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
