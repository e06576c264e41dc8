/**
 * @module Outgoing bytes for one connection. `socket.write()` takes what the kernel buffer has room
 * for and returns that count (Bun does not buffer); the rest is queued here and written on
 * `drain`. Queued chunks are references, not copies: a broadcast's shared notify line may sit in
 * many queues at once. A connection allocates its queue only when a write comes up short and
 * drops it once drained, so an idle client holds none. A client that stops reading is dropped once
 * it has been blocked longer than `blocked_write_timeout` or has more than MAX_QUEUED_BYTES
 * waiting (style.md §5 item 9).
 */

/** What the queue writes to: a Bun socket, or a test double. */
export interface ByteSink {
  write(data: string | Uint8Array, byteOffset?: number, byteLength?: number): number;
}

/** More than this waiting for one client means it is not reading; notify lines are ~1 KiB. */
export const MAX_QUEUED_BYTES = 512 * 1024;

const encoder = new TextEncoder();

/**
 * Writes `data` to a sink that has nothing queued. Returns null when all of it went, the bytes left
 * over when the kernel buffer is full (to queue), or undefined when the socket is closed.
 */
export function writeNow(sink: ByteSink, data: string | Uint8Array): Uint8Array | null | undefined {
  const n = sink.write(data);
  if (n < 0) return undefined;
  if (typeof data === "string") {
    // write() counted UTF-8 bytes; a line is nearly always ASCII, where that equals its length.
    if (n === data.length && isAscii(data)) return null;
    const bytes = encoder.encode(data);
    return n >= bytes.length ? null : bytes.subarray(n);
  }
  return n >= data.length ? null : data.subarray(n);
}

/** What could not be written yet, in order. A connection holds one only while it is blocked. */
export class WriteQueue {
  private readonly chunks: Uint8Array[] = [];
  /** Bytes of chunks[0] already written. */
  private offset = 0;
  private bytes = 0;
  /** When the queue last went from empty to non-empty, ms; 0 while empty. */
  blockedSince = 0;

  constructor(
    private readonly sink: ByteSink,
    private readonly maxQueuedBytes = MAX_QUEUED_BYTES,
  ) {}

  get queuedBytes(): number {
    return this.bytes;
  }

  /** Nothing waiting: the connection may drop the queue and write directly again. */
  get empty(): boolean {
    return this.chunks.length === 0;
  }

  /** Writes or queues `data`. False when the client must be dropped (socket closed or queue over its cap). */
  send(data: string | Uint8Array, now: number): boolean {
    if (this.chunks.length > 0) return this.enqueue(typeof data === "string" ? encoder.encode(data) : data, now);
    const rest = writeNow(this.sink, data);
    return rest === undefined ? false : rest === null ? true : this.enqueue(rest, now);
  }

  /** Writes what the socket takes now (its `drain` event). False when the socket is closed. */
  flush(): boolean {
    while (this.chunks.length > 0) {
      const chunk = this.chunks[0]!;
      const left = chunk.length - this.offset;
      const n = this.sink.write(chunk, this.offset, left);
      if (n < 0) return false;
      this.bytes -= n;
      if (n < left) {
        this.offset += n;
        return true;
      }
      this.chunks.shift();
      this.offset = 0;
    }
    this.blockedSince = 0;
    return true;
  }

  /** True when the client has been blocked longer than `timeoutMs`. */
  blockedTooLong(now: number, timeoutMs: number): boolean {
    return this.blockedSince !== 0 && now - this.blockedSince > timeoutMs;
  }

  /** Queues bytes the socket did not take (after `writeNow`). False when over the cap. */
  enqueue(bytes: Uint8Array, now: number): boolean {
    if (bytes.length === 0) return true;
    if (this.chunks.length === 0) this.blockedSince = now;
    this.chunks.push(bytes);
    this.bytes += bytes.length;
    return this.bytes <= this.maxQueuedBytes;
  }
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}
