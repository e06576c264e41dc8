/**
 * @module The SV2 data types (sv2-spec §3.1) as a reader and a writer over bytes: U8 U16 U24 U32
 * U64 U256 F32 BOOL, STR0_255, B0_32, B0_255, B0_64K, B0_16M, OPTION[U32], SEQ0_255[U256],
 * SEQ0_64K[U32]. Little-endian throughout.
 *
 * The reader checks every length against what is left BEFORE it makes a view or an array, and
 * never copies: byte fields are views into the (decrypted) payload, valid while it is. A bad
 * length throws `Sv2DecodeError`, which the connection turns into a close, never a crash.
 */

export class Sv2DecodeError extends Error {
  override readonly name = "Sv2DecodeError";
}

const utf8 = new TextDecoder("utf-8", { fatal: false });
const utf8Enc = new TextEncoder();

export class Reader {
  private pos: number;
  constructor(
    private readonly buf: Uint8Array,
    start = 0,
    private readonly end = buf.length,
  ) {
    this.pos = start;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number, what: string): number {
    if (n > this.end - this.pos) throw new Sv2DecodeError(`${what}: expected ${n} more bytes, got ${this.end - this.pos}`);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  u8(): number {
    return this.buf[this.need(1, "U8")]!;
  }
  bool(): boolean {
    // Only the least significant bit means anything (§3.1).
    return (this.u8() & 1) === 1;
  }
  u16(): number {
    const i = this.need(2, "U16");
    return this.buf[i]! | (this.buf[i + 1]! << 8);
  }
  u24(): number {
    const i = this.need(3, "U24");
    return this.buf[i]! | (this.buf[i + 1]! << 8) | (this.buf[i + 2]! << 16);
  }
  u32(): number {
    const i = this.need(4, "U32");
    return (this.buf[i]! | (this.buf[i + 1]! << 8) | (this.buf[i + 2]! << 16) | (this.buf[i + 3]! << 24)) >>> 0;
  }
  u64(): bigint {
    const lo = BigInt(this.u32());
    return lo | (BigInt(this.u32()) << 32n);
  }
  f32(): number {
    const i = this.need(4, "F32");
    return new DataView(this.buf.buffer, this.buf.byteOffset + i, 4).getFloat32(0, true);
  }
  /** 32 bytes, as a view. */
  u256(): Uint8Array {
    const i = this.need(32, "U256");
    return this.buf.subarray(i, i + 32);
  }
  bytes(n: number, what = "BYTES"): Uint8Array {
    const i = this.need(n, what);
    return this.buf.subarray(i, i + n);
  }
  /** B0_32 / B0_255: a U8 length (capped at `max`), then the bytes. */
  b0_255(max = 255, what = "B0_255"): Uint8Array {
    const n = this.u8();
    if (n > max) throw new Sv2DecodeError(`${what}: expected at most ${max} bytes, got a length of ${n}`);
    return this.bytes(n, what);
  }
  b0_32(): Uint8Array {
    return this.b0_255(32, "B0_32");
  }
  b0_64k(): Uint8Array {
    return this.bytes(this.u16(), "B0_64K");
  }
  b0_16m(): Uint8Array {
    return this.bytes(this.u24(), "B0_16M");
  }
  str0_255(): string {
    return utf8.decode(this.b0_255(255, "STR0_255"));
  }
  /** OPTION[U32]: SEQ0_1, so a length byte of 0 or 1. */
  optionU32(): number | undefined {
    const n = this.u8();
    if (n > 1) throw new Sv2DecodeError(`OPTION: expected a length of 0 or 1, got ${n}`);
    return n === 0 ? undefined : this.u32();
  }
  /** SEQ0_255[U256]: the length is checked against what is left before any array is made. */
  seq0_255U256(): Uint8Array[] {
    const n = this.u8();
    if (n * 32 > this.remaining) throw new Sv2DecodeError(`SEQ0_255[U256]: ${n} items need ${n * 32} bytes, got ${this.remaining}`);
    const out: Uint8Array[] = [];
    for (let k = 0; k < n; k++) out.push(this.u256());
    return out;
  }
  seq0_64kU32(): number[] {
    const n = this.u16();
    if (n * 4 > this.remaining) throw new Sv2DecodeError(`SEQ0_64K[U32]: ${n} items need ${n * 4} bytes, got ${this.remaining}`);
    const out: number[] = [];
    for (let k = 0; k < n; k++) out.push(this.u32());
    return out;
  }
  /** Messages may carry TLV extension fields after their own (§3.4.3); callers that negotiated none ignore them. */
  rest(): Uint8Array {
    return this.bytes(this.remaining, "rest");
  }
}

/** A growable writer for outbound messages (a few per job or share; the buffer is reused by the caller when it can). */
export class Writer {
  private buf: Uint8Array;
  private pos = 0;
  constructor(size = 128) {
    this.buf = new Uint8Array(size);
  }

  get length(): number {
    return this.pos;
  }

  private room(n: number): number {
    if (this.pos + n > this.buf.length) {
      const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
      next.set(this.buf.subarray(0, this.pos));
      this.buf = next;
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }

  u8(v: number): this {
    const i = this.room(1);
    this.buf[i] = v;
    return this;
  }
  bool(v: boolean): this {
    return this.u8(v ? 1 : 0);
  }
  u16(v: number): this {
    const i = this.room(2);
    this.buf[i] = v;
    this.buf[i + 1] = v >>> 8;
    return this;
  }
  u24(v: number): this {
    const i = this.room(3);
    this.buf[i] = v;
    this.buf[i + 1] = v >>> 8;
    this.buf[i + 2] = v >>> 16;
    return this;
  }
  u32(v: number): this {
    const i = this.room(4);
    this.buf[i] = v;
    this.buf[i + 1] = v >>> 8;
    this.buf[i + 2] = v >>> 16;
    this.buf[i + 3] = v >>> 24;
    return this;
  }
  u64(v: bigint): this {
    this.u32(Number(v & 0xffffffffn));
    return this.u32(Number((v >> 32n) & 0xffffffffn));
  }
  f32(v: number): this {
    const i = this.room(4);
    new DataView(this.buf.buffer, this.buf.byteOffset + i, 4).setFloat32(0, v, true);
    return this;
  }
  u256(v: Uint8Array): this {
    if (v.length !== 32) throw new RangeError(`U256: expected 32 bytes, got ${v.length}`);
    return this.bytes(v);
  }
  bytes(v: Uint8Array): this {
    const at = this.room(v.length); // before reading this.buf: room() may replace it
    this.buf.set(v, at);
    return this;
  }
  b0_255(v: Uint8Array, max = 255): this {
    if (v.length > max) throw new RangeError(`B0_${max}: expected at most ${max} bytes, got ${v.length}`);
    return this.u8(v.length).bytes(v);
  }
  b0_32(v: Uint8Array): this {
    return this.b0_255(v, 32);
  }
  b0_64k(v: Uint8Array): this {
    if (v.length > 0xffff) throw new RangeError(`B0_64K: expected at most 65535 bytes, got ${v.length}`);
    return this.u16(v.length).bytes(v);
  }
  /** STR0_255; a longer string is cut at 255 bytes (error codes and reasons are ours and short). */
  str0_255(s: string): this {
    const b = utf8Enc.encode(s);
    return this.b0_255(b.length > 255 ? b.subarray(0, 255) : b);
  }
  optionU32(v: number | undefined): this {
    return v === undefined ? this.u8(0) : this.u8(1).u32(v);
  }
  seq0_255U256(items: readonly Uint8Array[]): this {
    if (items.length > 255) throw new RangeError(`SEQ0_255: expected at most 255 items, got ${items.length}`);
    this.u8(items.length);
    for (const it of items) this.u256(it);
    return this;
  }
  seq0_64kU32(items: readonly number[]): this {
    if (items.length > 0xffff) throw new RangeError(`SEQ0_64K: expected at most 65535 items, got ${items.length}`);
    this.u16(items.length);
    for (const it of items) this.u32(it);
    return this;
  }
  /** A copy of what was written. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
  /** What was written, as a view valid until the next write or reset. */
  view(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
  reset(): this {
    this.pos = 0;
    return this;
  }
}
