/**
 * @module The 80-byte block header.
 *
 *   version      i32 LE   (stratum: 8-digit BE hex, maybe with BIP310 rolled bits)
 *   prevHash     32       internal order (GBT previousblockhash reversed; stratum prevhash word-swapped)
 *   merkleRoot   32       internal order, as sha256d produces it
 *   time         u32 LE   (stratum ntime: 8-digit BE hex)
 *   bits         u32 LE   (GBT/stratum nbits: 8-digit BE hex)
 *   nonce        u32 LE   (stratum nonce: 8-digit BE hex)
 * The conversions between those hex forms and these fields live in bytes.ts.
 */
import { assertBytes, readI32LE, readU32LE, writeU32LE } from "./bytes.ts";
import { sha256d } from "./hash.ts";

export const HEADER_BYTES = 80;

export interface BlockHeader {
  readonly version: number;
  /** Internal byte order. */
  readonly prevHash: Uint8Array;
  /** Internal byte order. */
  readonly merkleRoot: Uint8Array;
  readonly time: number;
  readonly bits: number;
  readonly nonce: number;
}

/**
 * Write a header into `out` (80 bytes, caller-owned) without allocating; returns `out`.
 * Hot path: the edge calls this per share with the job's prevHash and the share's merkle root.
 */
export function writeHeaderInto(
  out: Uint8Array,
  version: number,
  prevHash: Uint8Array,
  merkleRoot: Uint8Array,
  time: number,
  bits: number,
  nonce: number,
): Uint8Array {
  if (out.length !== HEADER_BYTES || prevHash.length !== 32 || merkleRoot.length !== 32)
    throw new RangeError(
      `writeHeaderInto: expected out 80, prevHash 32, merkleRoot 32 bytes, got ${out.length}, ${prevHash.length}, ${merkleRoot.length}`,
    );
  writeU32LE(out, 0, version);
  out.set(prevHash, 4);
  out.set(merkleRoot, 36);
  writeU32LE(out, 68, time);
  writeU32LE(out, 72, bits);
  writeU32LE(out, 76, nonce);
  return out;
}

/** Header fields → 80 new bytes. */
export function serializeHeader(h: BlockHeader): Uint8Array {
  assertBytes(h.prevHash, "serializeHeader: prevHash", 32);
  assertBytes(h.merkleRoot, "serializeHeader: merkleRoot", 32);
  return writeHeaderInto(new Uint8Array(HEADER_BYTES), h.version, h.prevHash, h.merkleRoot, h.time, h.bits, h.nonce);
}

/** 80 bytes (or the first 80 of a block) → header fields. */
export function parseHeader(bytes: Uint8Array): BlockHeader {
  assertBytes(bytes, "parseHeader");
  if (bytes.length < HEADER_BYTES) throw new RangeError(`parseHeader: expected >= 80 bytes, got ${bytes.length}`);
  return {
    version: readI32LE(bytes, 0),
    prevHash: bytes.slice(4, 36),
    merkleRoot: bytes.slice(36, 68),
    time: readU32LE(bytes, 68),
    bits: readU32LE(bytes, 72),
    nonce: readU32LE(bytes, 76),
  };
}

/** Block hash: sha256d of the 80 header bytes, internal order (display with bytesToRpcHex). */
export function blockHash(header: Uint8Array | BlockHeader): Uint8Array {
  const raw = header instanceof Uint8Array ? header : serializeHeader(header);
  assertBytes(raw, "blockHash", HEADER_BYTES);
  return sha256d(raw);
}
