/**
 * @module One SV2 connection's Mining Protocol state (sv2-spec §3.6, §5.3): SetupConnection, its
 * channels, jobs out, shares in. Bytes, encryption and abuse limits are connection.ts's; the share
 * check, vardiff, extranonce allocation and forwarding are the edge's own, shared with stratum v1
 * through the v1 port this SV2 listener belongs to (`PortContext`).
 *
 * Jobs: a new prevhash (a flush) goes out as a future job (min_ntime empty) followed by
 * SetNewPrevHash; other jobs go out active (min_ntime set). Standard channels of a connection that
 * set REQUIRES_STANDARD_JOBS get NewMiningJob with their own merkle root; those of other connections
 * (proxies) are members of the connection's group channel, which gets one NewExtendedMiningJob for
 * all of them; extended channels get NewExtendedMiningJob each.
 *
 * Shares: every submit is checked by the edge's ShareChecker exactly as a v1 submit (same records,
 * block candidates first); accepted ones are acknowledged in batches (SubmitShares.Success at the end
 * of each read, or every SUCCESS_BATCH_MAX), rejected ones at once with SubmitShares.Error, after
 * flushing that channel's pending batch so sequence numbers are acknowledged in order.
 */
import type { PreparedJob } from "../jobs/index.ts";
import type { RawSubmit, ShareVerdict, SubmitContext } from "../ports.ts";
import type { PortContext } from "../stratum/context.ts";
import { parseUsername } from "../stratum/username.ts";
import { nearestTier } from "../vardiff/retarget.ts";
import { Channel, SUCCESS_BATCH_MAX, type ChannelKind } from "./channel.ts";
import { Reader } from "./codec.ts";
import type { Frame } from "./frame.ts";
import { edgeJobId, jobMessages, standardMerkleRoot, sv2Job, type Sv2Job } from "./jobs.ts";
import * as M from "./messages.ts";

/** What a session may do with its connection (connection.ts implements it). */
export interface Sv2Wire {
  readonly ip: string;
  readonly connectedAt: number;
  readonly closed: boolean;
  send(m: M.MessageOut): void;
  close(reason: string): void;
}

/** Counters of the SV2 side of a port, beside the v1 port's share counters (which SV2 shares feed too). */
export interface Sv2Counters {
  connections: number;
  handshakes: number;
  handshakeFailures: number;
  /** Handshakes that waited for their address's budget (handshake-budget.ts). */
  handshakesDelayed: number;
  badFrames: number;
  protocolErrors: number;
  channelsOpened: number;
}

export interface Sv2SessionContext {
  readonly port: PortContext;
  readonly counters: Sv2Counters;
  /** The port's channels changed (status). */
  onChannelsChanged(delta: number): void;
  /** The connection opened its first channel: its miner is authorised (per-IP limits, ip-guard.ts). */
  onFirstChannel?(wire: Sv2Wire): void;
}

/** Error codes we send (§3.5 leaves them to implementations; these are the common ones). */
export const ErrorCode = {
  unsupportedProtocol: "unsupported-protocol",
  versionMismatch: "protocol-version-mismatch",
  unsupportedFlags: "unsupported-feature-flags",
  invalidChannel: "invalid-channel-id",
  maxTargetOutOfRange: "max-target-out-of-range",
  extranonceTooLarge: "min-extranonce-size-too-large",
  noWork: "no-work-yet",
  tooManyChannels: "too-many-channels",
  stale: "stale-share",
  invalidJob: "invalid-job-id",
  duplicate: "duplicate-share",
  low: "difficulty-too-low",
  invalid: "invalid-share",
  wrongChannelKind: "wrong-channel-kind",
} as const;

/** The one group channel id of every connection that has one; channel ids start after it. */
export const GROUP_CHANNEL_ID = 1;
/** More would be a proxy multiplexing many devices over one connection: fine, but bounded. */
export const MAX_CHANNELS_PER_CONNECTION = 1024;

const HEX = new TextEncoder().encode("0123456789abcdef");
/** The checker reads extranonce2 as hex text (RawSubmit); SV2 sends bytes, written here as hex. */
const EN2_HEX = new Uint8Array(64);
const RAW: RawSubmit = { jobId: "", source: EN2_HEX, extranonce2Start: 0, extranonce2End: 0, ntime: 0, nonce: 0, versionBits: 0 };
const SUB: M.SubmitShares = { channelId: 0, sequenceNumber: 0, jobId: 0, nonce: 0, ntime: 0, version: 0 };
const NO_BYTES = new Uint8Array(0);
/** The checker's context, reused: shares are checked one at a time, and an async check copies what it keeps (as v1's SC). */
const SC: { -readonly [K in keyof SubmitContext]: SubmitContext[K] } = { port: "", jobmanager: "", extranonce1: NO_BYTES, versionMask: 0, difficulty: 1, address: "", worker: "", receivedAt: 0, job: undefined, stale: true };
/** The last job id's edge id: shares of one job come in runs, so most need no new string. */
let lastJobId = -1;
let lastJobIdHex = "";
const jobIdHex = (id: number): string => (id === lastJobId ? lastJobIdHex : ((lastJobId = id), (lastJobIdHex = edgeJobId(id))));
const BROKEN: ShareVerdict = { result: "invalid", code: 20, message: "share check failed" };

const isPromise = <T>(v: T | Promise<T>): v is Promise<T> => typeof (v as { then?: unknown }).then === "function";

export class Sv2Session {
  setupDone = false;
  requiresStandardJobs = false;
  vendor = "";
  firmware = "";
  readonly channels = new Map<number, Channel>();
  private nextChannelId = GROUP_CHANNEL_ID + 1;
  private openedAny = false;
  /** prevhash (hex) of the last SetNewPrevHash sent on this connection. */
  private prevHashKey = "";
  /** Channels owing a Success batch. */
  private readonly owing = new Set<Channel>();
  /** While a read is handled, Success batches wait for its end. */
  private reading = false;

  constructor(
    readonly ctx: Sv2SessionContext,
    readonly wire: Sv2Wire,
  ) {}

  get userAgent(): string {
    return `SV2 ${this.vendor}${this.firmware ? ` ${this.firmware}` : ""}`.trim();
  }

  /** A read of frames begins/ends: the batch of Success messages goes out at the end. */
  beginRead(): void {
    this.reading = true;
  }
  endRead(): void {
    this.reading = false;
    this.flushSuccess();
  }

  /** One decrypted frame. Throws Sv2DecodeError on a malformed payload (the connection closes). */
  frame(f: Frame, now: number): void {
    const r = new Reader(f.payload);
    if (f.extensionType !== 0) return; // §3.4: unknown extensions are ignored (none negotiated)
    if (!this.setupDone) {
      if (f.msgType !== M.MsgType.SetupConnection) return this.protocolError(`message 0x${f.msgType.toString(16)} before SetupConnection`);
      return this.setup(M.decodeSetupConnection(r));
    }
    switch (f.msgType) {
      case M.MsgType.SubmitSharesStandard:
      case M.MsgType.SubmitSharesExtended:
        M.decodeSubmitSharesInto(r, f.msgType === M.MsgType.SubmitSharesExtended, SUB);
        return this.submit(SUB, now);
      case M.MsgType.OpenStandardMiningChannel:
        return this.open("standard", M.decodeOpenStandardMiningChannel(r), now);
      case M.MsgType.OpenExtendedMiningChannel:
        return this.open("extended", M.decodeOpenExtendedMiningChannel(r), now);
      case M.MsgType.UpdateChannel:
        return this.update(M.decodeUpdateChannel(r), now);
      case M.MsgType.CloseChannel:
        return this.closeChannel(M.decodeCloseChannel(r).channelId);
      case M.MsgType.SetupConnection:
        return this.protocolError("a second SetupConnection");
      default:
        // SetCustomMiningJob needs REQUIRES_WORK_SELECTION, which SetupConnection refused; the rest are server → client.
        return this.protocolError(`unexpected message 0x${f.msgType.toString(16)}`);
    }
  }

  private protocolError(reason: string): void {
    this.ctx.counters.protocolErrors++;
    this.wire.close(`protocol error: ${reason}`);
  }

  // ---------------------------------------------------------------- SetupConnection (§3.6.1, §5.3.1)

  private setup(m: M.SetupConnection): void {
    if (m.protocol !== M.Protocol.mining) return this.setupError(0, ErrorCode.unsupportedProtocol);
    if (m.minVersion > M.SV2_VERSION || m.maxVersion < M.SV2_VERSION) return this.setupError(0, ErrorCode.versionMismatch);
    const rolling = this.ctx.port.allowedVersionMask !== 0;
    let supported = M.SetupFlag.requiresStandardJobs;
    if (rolling) supported |= M.SetupFlag.requiresVersionRolling;
    // Work selection (custom jobs) needs the Job Declaration Protocol, which this pool does not run.
    const unsupported = (m.flags & ~supported) >>> 0;
    if (unsupported !== 0) return this.setupError(unsupported, ErrorCode.unsupportedFlags);
    this.setupDone = true;
    this.requiresStandardJobs = (m.flags & M.SetupFlag.requiresStandardJobs) !== 0;
    this.vendor = m.vendor.slice(0, 64);
    this.firmware = m.firmware.slice(0, 64);
    this.wire.send(M.encodeSetupConnectionSuccess(M.SV2_VERSION, rolling ? 0 : M.SuccessFlag.requiresFixedVersion));
  }

  private setupError(flags: number, code: string): void {
    this.ctx.counters.protocolErrors++;
    this.wire.send(M.encodeSetupConnectionError(flags, code));
    this.wire.close(`SetupConnection refused: ${code}`);
  }

  // ---------------------------------------------------------------- channels (§5.3.2–5.3.9)

  private open(kind: ChannelKind, m: M.OpenChannel, now: number): void {
    const port = this.ctx.port;
    const job = port.feed.latest(port.jobmanager) as PreparedJob | undefined;
    if (!job) return this.wire.send(M.encodeOpenMiningChannelError(m.requestId, ErrorCode.noWork));
    if (this.channels.size >= MAX_CHANNELS_PER_CONNECTION) return this.wire.send(M.encodeOpenMiningChannelError(m.requestId, ErrorCode.tooManyChannels));
    const en2Size = job.work.extranonce2Size;
    if (kind === "extended" && (m.minExtranonceSize ?? 0) > en2Size) return this.wire.send(M.encodeOpenMiningChannelError(m.requestId, ErrorCode.extranonceTooLarge));
    const diff1 = job.work.diff1;
    const floor = minDifficultyFor(m.maxTarget, diff1);
    if (floor === undefined) return this.wire.send(M.encodeOpenMiningChannelError(m.requestId, ErrorCode.maxTargetOutOfRange));
    let allocation: { extranonce1: Uint8Array; hex: string };
    try {
      allocation = port.allocator.allocate();
    } catch {
      // The edge id lease is lost: like v1's listener, take no new miners until it is back.
      return this.wire.send(M.encodeOpenMiningChannelError(m.requestId, ErrorCode.noWork));
    }
    const credit = parseUsername(m.userIdentity, port.usernameRules);
    const groupId = kind === "standard" && !this.requiresStandardJobs ? GROUP_CHANNEL_ID : 0;
    const ch = new Channel(this.nextChannelId++, kind, m.requestId, credit.address, credit.worker, groupId, allocation, en2Size, Math.max(startDifficulty(port, m.nominalHashRate, diff1), floor), diff1, port.vardiff, now);
    if (floor > 0) ch.vardiff.restrict(floor, undefined);
    this.channels.set(ch.id, ch);
    this.ctx.counters.channelsOpened++;
    this.ctx.onChannelsChanged(1);
    if (!this.openedAny) {
      this.openedAny = true;
      this.ctx.onFirstChannel?.(this.wire);
    }
    if (port.log.enabled("debug")) port.log.debug(`SV2 ${kind} channel ${ch.id} for ${credit.address}.${credit.worker} (${credit.via}) from ${this.wire.ip}`);
    this.wire.send(
      M.encodeOpenChannelSuccess({
        requestId: m.requestId,
        channelId: ch.id,
        target: ch.target,
        extranoncePrefix: ch.extranoncePrefix,
        groupChannelId: groupId,
        ...(kind === "extended" ? { extranonceSize: en2Size } : {}),
      }),
    );
    // §5.3.15: the first job after opening is a future job, then the prevhash that activates it.
    const j = sv2Job(job);
    this.sendJobTo(ch, j, true);
    this.wire.send(jobMessages(j).prevHash(ch.id));
    this.prevHashKey = j.prevHashKey;
  }

  private update(m: { channelId: number; nominalHashRate: number; maximumTarget: Uint8Array }, now: number): void {
    const ch = this.channels.get(m.channelId);
    if (!ch) return this.wire.send(M.encodeUpdateChannelError(m.channelId, ErrorCode.invalidChannel));
    const floor = minDifficultyFor(m.maximumTarget, ch.diff1);
    if (floor === undefined) return this.wire.send(M.encodeUpdateChannelError(m.channelId, ErrorCode.maxTargetOutOfRange));
    ch.vardiff.restrict(floor, undefined);
    // §5.3.7: a maximum target below the current one must be honoured with a SetTarget.
    if (ch.difficulty < floor) this.setDifficulty(ch, floor, now);
  }

  private closeChannel(id: number): void {
    if (id === GROUP_CHANNEL_ID) {
      for (const ch of [...this.channels.values()]) if (ch.groupId === GROUP_CHANNEL_ID) this.dropChannel(ch);
      return;
    }
    const ch = this.channels.get(id);
    if (ch) this.dropChannel(ch);
  }

  private dropChannel(ch: Channel): void {
    this.flushBatch(ch);
    this.channels.delete(ch.id);
    this.owing.delete(ch);
    this.ctx.port.allocator.release(ch.extranonce1Hex);
    this.ctx.onChannelsChanged(-1);
  }

  /** The connection is gone: every channel's extranonce goes back. */
  closed(): void {
    for (const ch of this.channels.values()) {
      this.ctx.port.allocator.release(ch.extranonce1Hex);
      this.ctx.onChannelsChanged(-1);
    }
    this.channels.clear();
    this.owing.clear();
  }

  private setDifficulty(ch: Channel, d: number, now: number): void {
    ch.setDifficulty(d, now);
    this.wire.send(M.encodeSetTarget(ch.id, ch.target));
  }

  // ---------------------------------------------------------------- jobs (§5.3.15–5.3.17)

  private sendJobTo(ch: Channel, j: Sv2Job, future: boolean): void {
    if (ch.firstJobId < 0) ch.firstJobId = j.jobId;
    ch.hasJob = true;
    if (ch.diff1 !== j.edgeJob.work.diff1) {
      // A switching port moved to a coin with another diff1: the same difficulty is another target.
      ch.diff1 = j.edgeJob.work.diff1;
      this.wire.send(M.encodeSetTarget(ch.id, ch.target));
    }
    const minNtime = future ? undefined : j.ntime;
    if (ch.kind === "standard") this.wire.send(M.encodeNewMiningJob({ channelId: ch.id, jobId: j.jobId, minNtime, version: j.version, merkleRoot: standardMerkleRoot(j, ch.extranoncePrefix) }));
    else this.wire.send(jobMessages(j).extended(ch.id, future, this.versionRolling(j)));
  }

  private versionRolling(j: Sv2Job): boolean {
    return (this.ctx.port.allowedVersionMask & j.edgeJob.job.versionMask) !== 0;
  }

  /** A new job from the feed (the port's broadcast). */
  onJob(job: PreparedJob): void {
    if (this.channels.size === 0 || this.wire.closed) return;
    const j = sv2Job(job);
    // A refresh only reaches channels without a job, as in v1; a flush or a new prevhash activates via SetNewPrevHash.
    if (job.job.type === 2) {
      for (const ch of this.channels.values()) if (!ch.hasJob) this.sendJobTo(ch, j, false);
      return;
    }
    const future = job.job.type === 0 || j.prevHashKey !== this.prevHashKey;
    this.prevHashKey = j.prevHashKey;
    const msgs = jobMessages(j);
    let group = false;
    for (const ch of this.channels.values()) {
      if (ch.groupId === GROUP_CHANNEL_ID) {
        group = true;
        if (ch.firstJobId < 0) ch.firstJobId = j.jobId;
        ch.hasJob = true;
        continue;
      }
      this.sendJobTo(ch, j, future);
      if (future) this.wire.send(msgs.prevHash(ch.id));
    }
    if (group) {
      this.wire.send(msgs.extended(GROUP_CHANNEL_ID, future, this.versionRolling(j)));
      if (future) this.wire.send(msgs.prevHash(GROUP_CHANNEL_ID));
    }
  }

  /** The port timer: vardiff for quiet channels, idle marking. */
  sweep(now: number, idleMs: number): void {
    for (const ch of this.channels.values()) {
      const quiet = now - (ch.lastShareAt ?? ch.openedAt);
      ch.idle = quiet > idleMs;
      this.retargetIfDue(ch, now);
    }
  }

  private retargetIfDue(ch: Channel, now: number): void {
    if (!ch.vardiff.due(now)) return;
    const next = ch.vardiff.retarget(ch.difficulty, now);
    if (next === undefined) return;
    this.ctx.port.counters.vardiffChanges++;
    this.ctx.port.log.info(`VARDIFF: Moving to D${next} from D${ch.difficulty} on SV2 channel ${ch.id} ${ch.address}.${ch.worker}`);
    this.setDifficulty(ch, next, now);
  }

  /** Gives every channel a fresh extranonce1 (the edge id lease came back; v1 does set_extranonce). */
  renewExtranonce1(): void {
    const port = this.ctx.port;
    const job = port.feed.latest(port.jobmanager) as PreparedJob | undefined;
    for (const ch of this.channels.values()) {
      let a: { extranonce1: Uint8Array; hex: string };
      try {
        a = port.allocator.allocate();
      } catch {
        return;
      }
      port.allocator.release(ch.extranonce1Hex);
      ch.setExtranonce1(a, job?.work.extranonce2Size ?? ch.extranoncePrefix.length - ch.extranonce1.length);
      this.wire.send(M.encodeSetExtranoncePrefix(ch.id, ch.extranoncePrefix));
      // §5.3.10: the prefix applies to jobs sent after it, so the current job goes again.
      if (job) {
        const j = sv2Job(job);
        this.sendJobTo(ch, j, true);
        this.wire.send(jobMessages(j).prevHash(ch.id));
        this.prevHashKey = j.prevHashKey;
      }
    }
  }

  // ---------------------------------------------------------------- shares (§5.3.11–5.3.14)

  private submit(m: M.SubmitShares, now: number): void {
    const ch = this.channels.get(m.channelId);
    if (!ch) return this.wire.send(M.encodeSubmitSharesError(m.channelId, m.sequenceNumber, ErrorCode.invalidChannel));
    const port = this.ctx.port;
    ch.lastShareAt = now;
    ch.idle = false;
    const extended = m.extranonce !== undefined;
    if (extended !== (ch.kind === "extended")) return this.reject(ch, m.sequenceNumber, ErrorCode.wrongChannelKind);
    // Unknown and never-issued job ids go to the checker too, which records them as stale (as v1 does).
    const found = port.feed.find(port.jobmanager, jobIdHex(m.jobId));
    const job = found === "unknown" ? undefined : (found.job as PreparedJob);
    const stale = found === "unknown" || found.stale || !ch.issued(m.jobId);
    const en2 = m.extranonce;
    const en2Size = job?.work.extranonce2Size ?? ch.extranoncePrefix.length - ch.extranonce1.length;
    // The v1 checker takes version *bits* under a mask; SV2 sends the whole nVersion. Bits outside
    // the mask that differ from the job's are passed outside the mask, so the checker rejects them.
    const mask = job ? port.allowedVersionMask & job.job.versionMask : 0;
    const outside = job ? (m.version ^ job.work.version) & ~mask : 0;
    const difficulty = ch.difficultyAt(now);
    const r = RAW;
    r.jobId = jobIdHex(m.jobId);
    r.extranonce2Start = 0;
    // A standard channel's extranonce2 is the zeros in its prefix; an extended one's must be en2Size bytes (else the checker answers invalid).
    r.extranonce2End = writeHex(en2, en2 === undefined ? en2Size : Math.min(en2.length, 32));
    r.ntime = m.ntime;
    r.nonce = m.nonce;
    r.versionBits = ((m.version & mask) | outside) >>> 0;
    const sc = SC;
    sc.port = port.key;
    sc.jobmanager = port.jobmanager;
    sc.extranonce1 = ch.extranonce1;
    sc.versionMask = port.allowedVersionMask;
    sc.difficulty = difficulty;
    sc.address = ch.address;
    sc.worker = ch.worker;
    sc.receivedAt = now;
    sc.job = job;
    sc.stale = stale;
    let verdict: ShareVerdict | Promise<ShareVerdict>;
    try {
      verdict = port.checker.checkRaw ? port.checker.checkRaw(sc, r) : port.checker.check(sc, { jobId: r.jobId, extranonce2: new TextDecoder().decode(EN2_HEX.subarray(0, r.extranonce2End)), ntime: hex8(m.ntime), nonce: hex8(m.nonce), versionBits: hex8(r.versionBits) });
    } catch (e) {
      port.log.error("SV2: share check threw", { error: e });
      verdict = BROKEN;
    } finally {
      // Keep no reference to this channel or job past the call.
      sc.extranonce1 = NO_BYTES;
      sc.job = undefined;
    }
    const seq = m.sequenceNumber;
    const unknown = found === "unknown";
    if (!isPromise(verdict)) return this.answer(ch, seq, verdict, difficulty, now, unknown);
    verdict.then(
      (v) => this.answerLate(ch, seq, v, difficulty, now, unknown),
      (e: unknown) => {
        port.log.error("SV2: share check failed", { error: e });
        this.answerLate(ch, seq, BROKEN, difficulty, now, false);
      },
    );
  }

  private answerLate(ch: Channel, seq: number, v: ShareVerdict, difficulty: number, receivedAt: number, unknownJob: boolean): void {
    if (this.wire.closed || this.channels.get(ch.id) !== ch) return;
    this.answer(ch, seq, v, difficulty, receivedAt, unknownJob);
    if (!this.reading) this.flushSuccess();
  }

  private answer(ch: Channel, seq: number, v: ShareVerdict, difficulty: number, receivedAt: number, unknownJob: boolean): void {
    const port = this.ctx.port;
    port.counters[v.result]++;
    if (v.result !== "acc") {
      this.flushBatch(ch);
      this.wire.send(M.encodeSubmitSharesError(ch.id, seq, unknownJob && v.result === "stale" ? ErrorCode.invalidJob : errorCodeOf(v)));
      return;
    }
    ch.acceptedDifficulty += difficulty;
    port.counters.acceptedDifficulty += difficulty;
    port.onAccepted(difficulty, receivedAt);
    ch.vardiff.onAccepted(difficulty, receivedAt);
    ch.batchCount++;
    ch.batchSum += difficulty;
    ch.batchLastSeq = seq;
    this.owing.add(ch);
    if (ch.batchCount >= SUCCESS_BATCH_MAX) this.flushBatch(ch);
    this.retargetIfDue(ch, receivedAt);
  }

  /** Rejected before the checker (a submit of the other channel kind): counted as v1 counts malformed submits. */
  private reject(ch: Channel, seq: number, code: string): void {
    this.ctx.port.counters.invalid++;
    this.flushBatch(ch);
    this.wire.send(M.encodeSubmitSharesError(ch.id, seq, code));
  }

  private flushBatch(ch: Channel): void {
    if (ch.batchCount === 0) return;
    // U64 sum of difficulty: fractional difficulties (test networks) are rounded; the records carry the exact values.
    this.wire.send(M.encodeSubmitSharesSuccess(ch.id, ch.batchLastSeq, ch.batchCount, BigInt(Math.round(ch.batchSum))));
    ch.batchCount = 0;
    ch.batchSum = 0;
    this.owing.delete(ch);
  }

  flushSuccess(): void {
    if (this.owing.size === 0) return;
    for (const ch of [...this.owing]) this.flushBatch(ch);
  }
}

/**
 * A channel's first difficulty: with vardiff, the tier nearest to what makes `nominal_hash_rate`
 * (h/s, the miner's own estimate) send the port's shares per minute — a share at difficulty d
 * takes d · 2^256 / diff1 hashes on average; else (or without an estimate) `start_difficulty`.
 */
function startDifficulty(port: PortContext, nominalHashRate: number, diff1: bigint): number {
  const v = port.vardiff;
  if (!v.enabled || !(nominalHashRate > 0) || !Number.isFinite(nominalHashRate)) return port.cfg.start_difficulty;
  const ideal = ((nominalHashRate * 60) / v.spmTarget) * (Number(diff1) / 2 ** 256);
  return nearestTier(v.tiers, ideal) ?? port.cfg.start_difficulty;
}

/** Lowest difficulty whose target fits under the miner's max_target; undefined for a zero target. 0 = no limit. */
function minDifficultyFor(maxTargetLE: Uint8Array, diff1: bigint): number | undefined {
  let t = 0n;
  for (let i = 31; i >= 0; i--) t = (t << 8n) | BigInt(maxTargetLE[i]!);
  if (t === 0n) return undefined;
  if (t >= diff1) return 0;
  return Number(diff1) / Number(t);
}

function errorCodeOf(v: ShareVerdict): string {
  switch (v.result) {
    case "dup":
      return ErrorCode.duplicate;
    case "low":
      return ErrorCode.low;
    case "stale":
      return ErrorCode.stale;
    default:
      return ErrorCode.invalid;
  }
}

/** Writes extranonce2 as hex into EN2_HEX (zeros for a standard channel); returns the hex length. */
function writeHex(en2: Uint8Array | undefined, size: number): number {
  for (let i = 0; i < size; i++) {
    const b = en2 ? en2[i]! : 0;
    EN2_HEX[2 * i] = HEX[b >>> 4]!;
    EN2_HEX[2 * i + 1] = HEX[b & 15]!;
  }
  return size * 2;
}

const hex8 = (v: number) => (v >>> 0).toString(16).padStart(8, "0");
