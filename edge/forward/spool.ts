/**
 * @module An append-only spool file of length-prefixed frames: what the edge could not hand to
 * Redis, kept on local disk until Redis takes it.
 *
 *   frame = u32 LE payload length | u32 LE crc32(payload) | payload
 *
 * The file is replayed from its start and deleted only once every frame in it has been
 * acknowledged by Redis. A crash mid-replay therefore replays acknowledged frames again; that is
 * safe because every share record keeps its (edge, session, seq) id and the core counts each id
 * once. Opening an existing file counts its frames and cuts off a torn last frame (a crash during
 * a write), copying the cut bytes aside so nothing is silently discarded.
 *
 * fsync policy: `every` fsyncs after each frame (block candidates: rare and worth a block reward);
 * `interval` leaves it to `sync()`, which the forwarder calls about once a second (share batches:
 * a process crash loses nothing, since written bytes are in the OS page cache; a host crash or
 * power loss may lose up to the last second of spooled shares).
 */
import { closeSync, copyFileSync, existsSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import type { Logger } from "../../shared/log.ts";

const FRAME_HEADER = 8;
/** Larger lengths can only be a damaged header. */
const MAX_FRAME_BYTES = 64 * 1024 * 1024;

export interface SpoolFrame {
  readonly payload: Uint8Array;
  /** File offset just past this frame. */
  readonly end: number;
  readonly records: number;
}

export interface SpoolOptions {
  readonly fsync: "every" | "interval";
  /** Records in one payload, for the status's `spooled` count. */
  readonly countRecords: (payload: Uint8Array) => number;
  readonly log: Logger;
}

export class Spool {
  private fd: number | undefined;
  private size = 0;
  private cursor = 0;
  private frames = 0;
  private records = 0;
  private dirty = false;

  constructor(
    readonly path: string,
    private readonly opts: SpoolOptions,
  ) {}

  /** Frames written and not yet acknowledged. */
  get pendingFrames(): number {
    return this.frames;
  }

  get pendingRecords(): number {
    return this.records;
  }

  /** Opens (creating the directory) and scans an existing file; call once before use. */
  open(): void {
    mkdirSync(dirname(this.path), { recursive: true });
    if (!existsSync(this.path)) return;
    this.fd = openSync(this.path, "a+");
    const length = fstatSync(this.fd).size;
    let at = 0;
    for (;;) {
      const frame = this.readFrame(at, length);
      if (!frame) break;
      this.frames++;
      this.records += frame.records;
      at = frame.end;
    }
    if (at < length) {
      const aside = `${this.path}.damaged-${Date.now()}`;
      copyFileSync(this.path, aside);
      ftruncateSync(this.fd, at);
      this.opts.log.error(`spool ${this.path}: cut ${length - at} bytes of a torn or damaged frame at offset ${at} (whole file copied to ${aside})`);
    }
    this.size = at;
    if (this.frames > 0) this.opts.log.warn(`spool ${this.path}: ${this.frames} frames (${this.records} records) from an earlier run wait for Redis`);
  }

  append(payload: Uint8Array): void {
    if (this.fd === undefined) this.fd = openSync(this.path, "a+");
    const frame = new Uint8Array(FRAME_HEADER + payload.length);
    const view = new DataView(frame.buffer);
    view.setUint32(0, payload.length, true);
    view.setUint32(4, Bun.hash.crc32(payload), true);
    frame.set(payload, FRAME_HEADER);
    // One write per frame, so a crash tears at most the last frame.
    let off = 0;
    while (off < frame.length) off += writeSync(this.fd, frame, off, frame.length - off);
    this.size += frame.length;
    this.frames++;
    this.records += this.opts.countRecords(payload);
    if (this.opts.fsync === "every") fsyncSync(this.fd);
    else this.dirty = true;
  }

  /** Up to `max` unacknowledged frames from the replay position, oldest first; does not move it. */
  peek(max: number): SpoolFrame[] {
    const out: SpoolFrame[] = [];
    let at = this.cursor;
    while (out.length < max) {
      const frame = this.readFrame(at, this.size);
      if (!frame) break;
      out.push(frame);
      at = frame.end;
    }
    return out;
  }

  /** Marks a frame from `peek` (and all before it) as acknowledged by Redis. */
  ack(frame: SpoolFrame): void {
    this.cursor = frame.end;
    this.frames--;
    this.records -= frame.records;
  }

  /** True when every frame written has been acknowledged. */
  get drained(): boolean {
    return this.cursor >= this.size;
  }

  /** Deletes the file once everything in it is acknowledged. */
  clear(): void {
    if (!this.drained) throw new RangeError(`spool ${this.path}: expected every frame acknowledged before clearing, got ${this.frames} pending`);
    this.close();
    if (existsSync(this.path)) unlinkSync(this.path);
    this.size = this.cursor = this.frames = this.records = 0;
  }

  /**
   * Moves the file aside (it has a frame that no longer reads back: disk damage after `open`) and
   * starts empty, so the replay does not stall forever on it. Returns the path it was moved to.
   */
  quarantine(): string {
    this.close();
    const aside = `${this.path}.damaged-${Date.now()}`;
    if (existsSync(this.path)) renameSync(this.path, aside);
    this.opts.log.error(`spool ${this.path}: frame at offset ${this.cursor} does not read back; ${this.frames} frames (${this.records} records) moved to ${aside} for manual replay`);
    this.size = this.cursor = this.frames = this.records = 0;
    return aside;
  }

  sync(): void {
    if (this.dirty && this.fd !== undefined) fsyncSync(this.fd);
    this.dirty = false;
  }

  close(): void {
    if (this.fd === undefined) return;
    this.sync();
    closeSync(this.fd);
    this.fd = undefined;
  }

  private readFrame(at: number, limit: number): SpoolFrame | undefined {
    if (this.fd === undefined || at + FRAME_HEADER > limit) return undefined;
    const head = new Uint8Array(FRAME_HEADER);
    if (readSync(this.fd, head, 0, FRAME_HEADER, at) !== FRAME_HEADER) return undefined;
    const view = new DataView(head.buffer);
    const length = view.getUint32(0, true);
    if (length > MAX_FRAME_BYTES || at + FRAME_HEADER + length > limit) return undefined;
    const payload = new Uint8Array(length);
    if (readSync(this.fd, payload, 0, length, at + FRAME_HEADER) !== length) return undefined;
    if (Bun.hash.crc32(payload) !== view.getUint32(4, true)) return undefined;
    return { payload, end: at + FRAME_HEADER + length, records: this.opts.countRecords(payload) };
  }
}
