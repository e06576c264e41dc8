/**
 * @module SV2 framing over the Noise transport (sv2-spec §3.2, §4.6).
 *
 * A frame is a 6-byte header (extension_type U16, msg_type U8, msg_length U24) and a payload. On
 * the wire the header is encrypted alone (6 + 16 = 22 bytes) and the payload in blocks of at most
 * 65519 plaintext bytes, each with its own MAC; msg_length is the plaintext length. Every frame
 * uses two nonces or more of its direction's CipherState.
 *
 * `FrameDecoder` takes TCP chunks in any split and calls back one decrypted frame at a time. It
 * checks the length in the decrypted header against its cap before it waits for or allocates the
 * payload, and keeps no buffer between frames unless a frame is split across chunks. Any failure
 * (tag mismatch, oversized frame) ends the decoder for good: the connection must close.
 */
import { MAC_SIZE, type CipherState } from "./noise.ts";

export const HEADER_SIZE = 6;
export const ENCRYPTED_HEADER_SIZE = HEADER_SIZE + MAC_SIZE;
export const MAX_CT_BLOCK = 65535;
export const MAX_PT_BLOCK = MAX_CT_BLOCK - MAC_SIZE;
/** The channel_msg bit of extension_type (§3.2.1). */
export const CHANNEL_MSG_BIT = 0x8000;
/** Largest message payload the edge accepts from a miner: its largest, SetupConnection, is ~1.3 KB. */
export const DEFAULT_MAX_INBOUND_PAYLOAD = 16 * 1024;

/** §4.6: ciphertext length of a plaintext payload of `pt` bytes (0 → nothing at all is sent). */
export function ciphertextLength(pt: number): number {
  const rest = pt % MAX_PT_BLOCK;
  return Math.floor(pt / MAX_PT_BLOCK) * MAX_CT_BLOCK + (rest > 0 ? rest + MAC_SIZE : 0);
}

export interface Frame {
  /** Without the channel_msg bit. */
  readonly extensionType: number;
  readonly channelMsg: boolean;
  readonly msgType: number;
  /** Decrypted payload; owned by the receiver. */
  readonly payload: Uint8Array;
}

export class FrameError extends Error {
  override readonly name = "FrameError";
}

/** A plaintext frame header. */
export function writeHeader(out: Uint8Array, at: number, extensionType: number, msgType: number, length: number): void {
  if (length > 0xffffff) throw new RangeError(`SV2 frame: payload of ${length} bytes exceeds U24`);
  out[at] = extensionType;
  out[at + 1] = extensionType >>> 8;
  out[at + 2] = msgType;
  out[at + 3] = length;
  out[at + 4] = length >>> 8;
  out[at + 5] = length >>> 16;
}

const header = new Uint8Array(HEADER_SIZE);
const EMPTY = new Uint8Array(0);

/** Encrypts one frame with `send` (§4.6 "Encrypting stratum message"). */
export function encryptFrame(send: CipherState, extensionType: number, msgType: number, payload: Uint8Array): Uint8Array {
  writeHeader(header, 0, extensionType, msgType, payload.length);
  const out = new Uint8Array(ENCRYPTED_HEADER_SIZE + ciphertextLength(payload.length));
  out.set(send.encryptWithAd(EMPTY, header), 0);
  let at = ENCRYPTED_HEADER_SIZE;
  for (let p = 0; p < payload.length; p += MAX_PT_BLOCK) {
    const block = send.encryptWithAd(EMPTY, payload.subarray(p, Math.min(payload.length, p + MAX_PT_BLOCK)));
    out.set(block, at);
    at += block.length;
  }
  return out;
}

export class FrameDecoder {
  /** Bytes of an incomplete unit (the encrypted header, or the payload once its length is known). */
  private pending: Uint8Array | undefined;
  private pendingLength = 0;
  /** The decrypted header of the frame whose payload is awaited, or undefined while awaiting a header. */
  private ext = 0;
  private type = 0;
  private payloadLength = -1;
  private failed = false;

  constructor(
    private readonly recv: CipherState,
    private readonly maxPayload = DEFAULT_MAX_INBOUND_PAYLOAD,
  ) {}

  /** Bytes held for an incomplete frame (for memory accounting and tests). */
  get bufferedBytes(): number {
    return this.pendingLength;
  }

  /**
   * Decodes what `chunk` completes, calling `onFrame` per frame; stops early when it returns false.
   * Throws FrameError/NoiseError on the first bad frame, and for every call after.
   */
  push(chunk: Uint8Array, onFrame: (f: Frame) => boolean): void {
    if (this.failed) throw new FrameError("decoder already failed");
    try {
      this.pushInner(chunk, onFrame);
    } catch (e) {
      this.failed = true;
      this.pending = undefined;
      this.pendingLength = 0;
      throw e;
    }
  }

  private need(): number {
    return this.payloadLength < 0 ? ENCRYPTED_HEADER_SIZE : ciphertextLength(this.payloadLength);
  }

  private pushInner(chunk: Uint8Array, onFrame: (f: Frame) => boolean): void {
    let at = 0;
    while (at < chunk.length || (this.payloadLength === 0 && this.pendingLength === 0)) {
      const need = this.need();
      let unit: Uint8Array;
      if (this.pendingLength === 0 && chunk.length - at >= need) {
        unit = chunk.subarray(at, at + need);
        at += need;
      } else {
        if (!this.pending || this.pending.length < need) {
          const next = new Uint8Array(need);
          if (this.pending) next.set(this.pending.subarray(0, this.pendingLength));
          this.pending = next;
        }
        const take = Math.min(need - this.pendingLength, chunk.length - at);
        this.pending.set(chunk.subarray(at, at + take), this.pendingLength);
        this.pendingLength += take;
        at += take;
        if (this.pendingLength < need) return;
        unit = this.pending.subarray(0, need);
        this.pending = undefined;
        this.pendingLength = 0;
      }
      if (this.payloadLength < 0) {
        const h = this.recv.decryptWithAd(EMPTY, unit);
        this.ext = h[0]! | (h[1]! << 8);
        this.type = h[2]!;
        const len = h[3]! | (h[4]! << 8) | (h[5]! << 16);
        // Checked on the decrypted header, before anything of the payload is awaited or allocated.
        if (len > this.maxPayload) throw new FrameError(`frame of ${len} bytes exceeds the ${this.maxPayload}-byte cap`);
        this.payloadLength = len;
        continue;
      }
      const payload = this.decryptPayload(unit, this.payloadLength);
      const ext = this.ext;
      this.payloadLength = -1;
      if (!onFrame({ extensionType: ext & ~CHANNEL_MSG_BIT, channelMsg: (ext & CHANNEL_MSG_BIT) !== 0, msgType: this.type, payload })) return;
    }
  }

  private decryptPayload(ct: Uint8Array, length: number): Uint8Array {
    if (length === 0) return EMPTY;
    if (ct.length <= MAX_CT_BLOCK) return this.recv.decryptWithAd(EMPTY, ct);
    const out = new Uint8Array(length);
    let o = 0;
    for (let p = 0; p < ct.length; p += MAX_CT_BLOCK) {
      const block = this.recv.decryptWithAd(EMPTY, ct.subarray(p, Math.min(ct.length, p + MAX_CT_BLOCK)));
      out.set(block, o);
      o += block.length;
    }
    return out;
  }
}

