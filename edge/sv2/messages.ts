/**
 * @module The Common and Mining Protocol messages the edge speaks (sv2-spec §3.6, §5.3, §8), as
 * field lists: one `decode` and one `encode` per message, in the spec's field order. Both
 * directions are here because the edge's tests and benchmark drive the edge as a miner would.
 *
 * Decoders read from a payload through codec.ts's checked Reader and ignore trailing TLV fields
 * (§3.4.3: none are negotiated). Encoders return `[extension_type, msg_type, payload]` pieces via
 * `MessageOut` for transport.ts to frame.
 */
import { Reader, Writer } from "./codec.ts";
import { CHANNEL_MSG_BIT } from "./frame.ts";

export const MsgType = {
  SetupConnection: 0x00,
  SetupConnectionSuccess: 0x01,
  SetupConnectionError: 0x02,
  ChannelEndpointChanged: 0x03,
  Reconnect: 0x04,
  OpenStandardMiningChannel: 0x10,
  OpenStandardMiningChannelSuccess: 0x11,
  OpenMiningChannelError: 0x12,
  OpenExtendedMiningChannel: 0x13,
  OpenExtendedMiningChannelSuccess: 0x14,
  NewMiningJob: 0x15,
  UpdateChannel: 0x16,
  UpdateChannelError: 0x17,
  CloseChannel: 0x18,
  SetExtranoncePrefix: 0x19,
  SubmitSharesStandard: 0x1a,
  SubmitSharesExtended: 0x1b,
  SubmitSharesSuccess: 0x1c,
  SubmitSharesError: 0x1d,
  NewExtendedMiningJob: 0x1f,
  SetNewPrevHash: 0x20,
  SetTarget: 0x21,
  SetCustomMiningJob: 0x22,
  SetGroupChannel: 0x25,
} as const;

/** §8: which message types carry the channel_msg bit (their extension_type is 0x8000). */
const CHANNEL_MSGS = new Set<number>([0x03, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24]);
export const extensionTypeOf = (msgType: number): number => (CHANNEL_MSGS.has(msgType) ? CHANNEL_MSG_BIT : 0);

/** SetupConnection.protocol (§3.6.1). */
export const Protocol = { mining: 0, jobDeclaration: 1, templateDistribution: 2 } as const;
/** The protocol version this edge speaks (§3.6.1: "currently must be 2"). */
export const SV2_VERSION = 2;

/** §5.3.1 SetupConnection.flags for the Mining Protocol. */
export const SetupFlag = { requiresStandardJobs: 1, requiresWorkSelection: 2, requiresVersionRolling: 4 } as const;
/** §5.3.1 SetupConnection.Success.flags. */
export const SuccessFlag = { requiresFixedVersion: 1, requiresExtendedChannels: 2 } as const;

/** One message out: what the transport frames and encrypts. */
export interface MessageOut {
  readonly msgType: number;
  readonly payload: Uint8Array;
}
const out = (msgType: number, w: Writer): MessageOut => ({ msgType, payload: w.finish() });

// ------------------------------------------------------------------- Common

export interface SetupConnection {
  protocol: number;
  minVersion: number;
  maxVersion: number;
  flags: number;
  endpointHost: string;
  endpointPort: number;
  vendor: string;
  hardwareVersion: string;
  firmware: string;
  deviceId: string;
}
export const decodeSetupConnection = (r: Reader): SetupConnection => ({
  protocol: r.u8(),
  minVersion: r.u16(),
  maxVersion: r.u16(),
  flags: r.u32(),
  endpointHost: r.str0_255(),
  endpointPort: r.u16(),
  vendor: r.str0_255(),
  hardwareVersion: r.str0_255(),
  firmware: r.str0_255(),
  deviceId: r.str0_255(),
});
export const encodeSetupConnection = (m: SetupConnection): MessageOut =>
  out(
    MsgType.SetupConnection,
    new Writer().u8(m.protocol).u16(m.minVersion).u16(m.maxVersion).u32(m.flags).str0_255(m.endpointHost).u16(m.endpointPort).str0_255(m.vendor).str0_255(m.hardwareVersion).str0_255(m.firmware).str0_255(m.deviceId),
  );

export const encodeSetupConnectionSuccess = (usedVersion: number, flags: number): MessageOut => out(MsgType.SetupConnectionSuccess, new Writer(6).u16(usedVersion).u32(flags));
export const decodeSetupConnectionSuccess = (r: Reader) => ({ usedVersion: r.u16(), flags: r.u32() });
export const encodeSetupConnectionError = (flags: number, errorCode: string): MessageOut => out(MsgType.SetupConnectionError, new Writer().u32(flags).str0_255(errorCode));
export const decodeSetupConnectionError = (r: Reader) => ({ flags: r.u32(), errorCode: r.str0_255() });
export const encodeReconnect = (newHost: string, newPort: number): MessageOut => out(MsgType.Reconnect, new Writer().str0_255(newHost).u16(newPort));
export const decodeReconnect = (r: Reader) => ({ newHost: r.str0_255(), newPort: r.u16() });

// ------------------------------------------------------------------- channels

export interface OpenChannel {
  requestId: number;
  userIdentity: string;
  nominalHashRate: number;
  maxTarget: Uint8Array;
  /** Extended channels only. */
  minExtranonceSize?: number;
}
export const decodeOpenStandardMiningChannel = (r: Reader): OpenChannel => ({ requestId: r.u32(), userIdentity: r.str0_255(), nominalHashRate: r.f32(), maxTarget: r.u256() });
export const decodeOpenExtendedMiningChannel = (r: Reader): OpenChannel => ({ ...decodeOpenStandardMiningChannel(r), minExtranonceSize: r.u16() });
export function encodeOpenMiningChannel(m: OpenChannel): MessageOut {
  const w = new Writer().u32(m.requestId).str0_255(m.userIdentity).f32(m.nominalHashRate).u256(m.maxTarget);
  if (m.minExtranonceSize === undefined) return out(MsgType.OpenStandardMiningChannel, w);
  return out(MsgType.OpenExtendedMiningChannel, w.u16(m.minExtranonceSize));
}

export interface OpenChannelSuccess {
  requestId: number;
  channelId: number;
  target: Uint8Array;
  extranoncePrefix: Uint8Array;
  groupChannelId: number;
  /** Extended channels only. */
  extranonceSize?: number;
}
export function encodeOpenChannelSuccess(m: OpenChannelSuccess): MessageOut {
  const w = new Writer().u32(m.requestId).u32(m.channelId).u256(m.target);
  if (m.extranonceSize === undefined) return out(MsgType.OpenStandardMiningChannelSuccess, w.b0_32(m.extranoncePrefix).u32(m.groupChannelId));
  return out(MsgType.OpenExtendedMiningChannelSuccess, w.u16(m.extranonceSize).b0_32(m.extranoncePrefix).u32(m.groupChannelId));
}
export const decodeOpenStandardMiningChannelSuccess = (r: Reader): OpenChannelSuccess => ({
  requestId: r.u32(),
  channelId: r.u32(),
  target: r.u256(),
  extranoncePrefix: r.b0_32(),
  groupChannelId: r.u32(),
});
export const decodeOpenExtendedMiningChannelSuccess = (r: Reader): OpenChannelSuccess => {
  const requestId = r.u32();
  const channelId = r.u32();
  const target = r.u256();
  const extranonceSize = r.u16();
  return { requestId, channelId, target, extranonceSize, extranoncePrefix: r.b0_32(), groupChannelId: r.u32() };
};
export const encodeOpenMiningChannelError = (requestId: number, errorCode: string): MessageOut => out(MsgType.OpenMiningChannelError, new Writer().u32(requestId).str0_255(errorCode));
export const decodeOpenMiningChannelError = (r: Reader) => ({ requestId: r.u32(), errorCode: r.str0_255() });

export const decodeUpdateChannel = (r: Reader) => ({ channelId: r.u32(), nominalHashRate: r.f32(), maximumTarget: r.u256() });
export const encodeUpdateChannel = (channelId: number, nominalHashRate: number, maximumTarget: Uint8Array): MessageOut =>
  out(MsgType.UpdateChannel, new Writer().u32(channelId).f32(nominalHashRate).u256(maximumTarget));
export const encodeUpdateChannelError = (channelId: number, errorCode: string): MessageOut => out(MsgType.UpdateChannelError, new Writer().u32(channelId).str0_255(errorCode));
export const decodeChannelError = (r: Reader) => ({ channelId: r.u32(), errorCode: r.str0_255() });
export const encodeCloseChannel = (channelId: number, reasonCode: string): MessageOut => out(MsgType.CloseChannel, new Writer().u32(channelId).str0_255(reasonCode));
export const decodeCloseChannel = (r: Reader) => ({ channelId: r.u32(), reasonCode: r.str0_255() });
export const encodeSetTarget = (channelId: number, maximumTarget: Uint8Array): MessageOut => out(MsgType.SetTarget, new Writer(36).u32(channelId).u256(maximumTarget));
export const decodeSetTarget = (r: Reader) => ({ channelId: r.u32(), maximumTarget: r.u256() });
export const encodeSetExtranoncePrefix = (channelId: number, prefix: Uint8Array): MessageOut => out(MsgType.SetExtranoncePrefix, new Writer().u32(channelId).b0_32(prefix));
export const decodeSetExtranoncePrefix = (r: Reader) => ({ channelId: r.u32(), extranoncePrefix: r.b0_32() });
export const encodeSetGroupChannel = (groupChannelId: number, channelIds: readonly number[]): MessageOut => out(MsgType.SetGroupChannel, new Writer().u32(groupChannelId).seq0_64kU32(channelIds));

// ------------------------------------------------------------------- jobs

export interface NewMiningJob {
  channelId: number;
  jobId: number;
  /** undefined: a future job, activated by SetNewPrevHash. */
  minNtime: number | undefined;
  version: number;
  merkleRoot: Uint8Array;
}
export const encodeNewMiningJob = (m: NewMiningJob): MessageOut => out(MsgType.NewMiningJob, new Writer(50).u32(m.channelId).u32(m.jobId).optionU32(m.minNtime).u32(m.version).u256(m.merkleRoot));
export const decodeNewMiningJob = (r: Reader): NewMiningJob => ({ channelId: r.u32(), jobId: r.u32(), minNtime: r.optionU32(), version: r.u32(), merkleRoot: r.u256() });

export interface NewExtendedMiningJob {
  channelId: number;
  jobId: number;
  minNtime: number | undefined;
  version: number;
  versionRollingAllowed: boolean;
  merklePath: readonly Uint8Array[];
  coinbaseTxPrefix: Uint8Array;
  coinbaseTxSuffix: Uint8Array;
}
export const encodeNewExtendedMiningJob = (m: NewExtendedMiningJob): MessageOut =>
  out(
    MsgType.NewExtendedMiningJob,
    new Writer(64 + m.merklePath.length * 32 + m.coinbaseTxPrefix.length + m.coinbaseTxSuffix.length)
      .u32(m.channelId)
      .u32(m.jobId)
      .optionU32(m.minNtime)
      .u32(m.version)
      .bool(m.versionRollingAllowed)
      .seq0_255U256(m.merklePath)
      .b0_64k(m.coinbaseTxPrefix)
      .b0_64k(m.coinbaseTxSuffix),
  );
export const decodeNewExtendedMiningJob = (r: Reader): NewExtendedMiningJob => ({
  channelId: r.u32(),
  jobId: r.u32(),
  minNtime: r.optionU32(),
  version: r.u32(),
  versionRollingAllowed: r.bool(),
  merklePath: r.seq0_255U256(),
  coinbaseTxPrefix: r.b0_64k(),
  coinbaseTxSuffix: r.b0_64k(),
});

export interface SetNewPrevHash {
  channelId: number;
  jobId: number;
  prevHash: Uint8Array;
  minNtime: number;
  nbits: number;
}
export const encodeSetNewPrevHash = (m: SetNewPrevHash): MessageOut => out(MsgType.SetNewPrevHash, new Writer(48).u32(m.channelId).u32(m.jobId).u256(m.prevHash).u32(m.minNtime).u32(m.nbits));
export const decodeSetNewPrevHash = (r: Reader): SetNewPrevHash => ({ channelId: r.u32(), jobId: r.u32(), prevHash: r.u256(), minNtime: r.u32(), nbits: r.u32() });

// ------------------------------------------------------------------- shares

export interface SubmitShares {
  channelId: number;
  sequenceNumber: number;
  jobId: number;
  nonce: number;
  ntime: number;
  version: number;
  /** Extended channels only. */
  extranonce?: Uint8Array;
}
/** Decodes into `m` (one reused object per connection: a share allocates no message object). */
export function decodeSubmitSharesInto(r: Reader, extended: boolean, m: SubmitShares): void {
  m.channelId = r.u32();
  m.sequenceNumber = r.u32();
  m.jobId = r.u32();
  m.nonce = r.u32();
  m.ntime = r.u32();
  m.version = r.u32();
  m.extranonce = extended ? r.b0_32() : undefined;
}
export function encodeSubmitShares(m: SubmitShares): MessageOut {
  const w = new Writer(60).u32(m.channelId).u32(m.sequenceNumber).u32(m.jobId).u32(m.nonce).u32(m.ntime).u32(m.version);
  if (m.extranonce === undefined) return out(MsgType.SubmitSharesStandard, w);
  return out(MsgType.SubmitSharesExtended, w.b0_32(m.extranonce));
}
export const encodeSubmitSharesSuccess = (channelId: number, lastSequenceNumber: number, accepted: number, sharesSum: bigint): MessageOut =>
  out(MsgType.SubmitSharesSuccess, new Writer(20).u32(channelId).u32(lastSequenceNumber).u32(accepted).u64(sharesSum));
export const decodeSubmitSharesSuccess = (r: Reader) => ({ channelId: r.u32(), lastSequenceNumber: r.u32(), newSubmitsAcceptedCount: r.u32(), newSharesSum: r.u64() });
export const encodeSubmitSharesError = (channelId: number, sequenceNumber: number, errorCode: string): MessageOut =>
  out(MsgType.SubmitSharesError, new Writer().u32(channelId).u32(sequenceNumber).str0_255(errorCode));
export const decodeSubmitSharesError = (r: Reader) => ({ channelId: r.u32(), sequenceNumber: r.u32(), errorCode: r.str0_255() });
