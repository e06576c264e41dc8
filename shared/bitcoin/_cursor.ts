/**
 * @module ByteReader / ByteWriter: the field coders that tx.ts, block.ts and header.ts declare their
 * layouts with (scure's U32LE / VarBytes style). Internal to shared/bitcoin; not exported by index.ts.
 */
import { readI32LE, readU32LE, readU64LE, writeU32LE, writeU64LE } from "./bytes.ts";
import { readVarInt, varIntSize, writeVarInt } from "./varint.ts";

export class ByteReader {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    readonly where: string,
    start = 0,
  ) {
    this.pos = start;
  }

  private need(n: number): void {
    if (this.pos + n > this.buf.length)
      throw new RangeError(`${this.where}: expected ${n} more bytes at offset ${this.pos}, got ${this.buf.length - this.pos}`);
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  peek(ahead = 0): number | undefined {
    return this.buf[this.pos + ahead];
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  u32(): number {
    this.need(4);
    const v = readU32LE(this.buf, this.pos);
    this.pos += 4;
    return v;
  }

  i32(): number {
    this.need(4);
    const v = readI32LE(this.buf, this.pos);
    this.pos += 4;
    return v;
  }

  u64(): bigint {
    this.need(8);
    const v = readU64LE(this.buf, this.pos);
    this.pos += 8;
    return v;
  }

  varInt(): number {
    const [v, next] = readVarInt(this.buf, this.pos);
    this.pos = next;
    return v;
  }

  /** `n` bytes as a copy (so parsed structures never alias the input buffer). */
  bytes(n: number): Uint8Array {
    this.need(n);
    const out = this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  varBytes(): Uint8Array {
    return this.bytes(this.varInt());
  }

  /** A count prefix that cannot exceed what is left (each item needs at least `minItemBytes`). */
  count(minItemBytes: number, what: string): number {
    const n = this.varInt();
    if (n * minItemBytes > this.remaining)
      throw new RangeError(`${this.where}: expected ${what} count <= ${Math.floor(this.remaining / minItemBytes)}, got ${n}`);
    return n;
  }

  end(): void {
    if (this.pos !== this.buf.length)
      throw new RangeError(`${this.where}: expected end of data at ${this.pos}, got ${this.buf.length - this.pos} trailing bytes`);
  }
}

export class ByteWriter {
  private buf: Uint8Array;
  private pos = 0;

  constructor(initial = 256) {
    this.buf = new Uint8Array(initial);
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  u8(v: number): this {
    this.room(1);
    this.buf[this.pos++] = v;
    return this;
  }

  u32(v: number): this {
    this.room(4);
    writeU32LE(this.buf, this.pos, v);
    this.pos += 4;
    return this;
  }

  u64(v: bigint): this {
    this.room(8);
    writeU64LE(this.buf, this.pos, v);
    this.pos += 8;
    return this;
  }

  varInt(v: number): this {
    this.room(varIntSize(v));
    this.pos = writeVarInt(this.buf, this.pos, v);
    return this;
  }

  bytes(b: Uint8Array): this {
    this.room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  varBytes(b: Uint8Array): this {
    return this.varInt(b.length).bytes(b);
  }

  get length(): number {
    return this.pos;
  }

  /** The written bytes (a copy sized exactly). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}
