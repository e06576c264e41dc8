/**
 * @module Newline framing over TCP chunks with a line-length cap (spec §15 item 3: PowerPool had
 * none). A line may arrive split over any number of chunks; several lines may share one chunk.
 * Only a partial line is ever copied, into a buffer allocated when one first appears.
 */

const NEWLINE = 0x0a;
const decoder = new TextDecoder("utf-8", { fatal: false });

export type LineResult = "ok" | "overflow" | "stopped";

/** A framed line's text (UTF-8, invalid sequences replaced). */
export function decodeLine(bytes: Uint8Array, start: number, end: number): string {
  return decoder.decode(bytes.subarray(start, end));
}

export class LineFramer {
  private partial: Uint8Array | undefined;
  private partialLength = 0;

  /** `maxLineBytes`: the longest line (without its `\n`) accepted. */
  constructor(private readonly maxLineBytes: number) {}

  /**
   * Feeds one chunk, calling `onLine` for each complete line (without `\n`, surrounding whitespace
   * kept). `onLine` returns false to stop (the connection closed). Returns "overflow" as soon as a
   * line is known to exceed the cap, without reading further.
   */
  push(chunk: Uint8Array, onLine: (line: string) => boolean): LineResult {
    return this.pushLines(chunk, (bytes, start, end) => onLine(decodeLine(bytes, start, end)));
  }

  /**
   * As `push`, but each line is `bytes[start, end)`, valid only during the call (a view of the chunk
   * or of the partial-line buffer): no string is made, so a handler that reads the bytes itself
   * (the fast submit path) allocates nothing per line. `decodeLine` gives the text when needed.
   */
  pushLines(chunk: Uint8Array, onLine: (bytes: Uint8Array, start: number, end: number) => boolean): LineResult {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(NEWLINE, start);
      if (nl < 0) break;
      let ok: boolean;
      if (this.partialLength > 0) {
        if (this.partialLength + (nl - start) > this.maxLineBytes) return this.overflow();
        this.append(chunk, start, nl);
        const length = this.partialLength;
        this.partialLength = 0;
        start = nl + 1;
        ok = onLine(this.partial!, 0, length);
      } else {
        if (nl - start > this.maxLineBytes) return this.overflow();
        const from = start;
        start = nl + 1;
        ok = onLine(chunk, from, nl);
      }
      if (!ok) return "stopped";
    }
    if (start < chunk.length) {
      if (this.partialLength + (chunk.length - start) > this.maxLineBytes) return this.overflow();
      this.append(chunk, start, chunk.length);
    }
    if (this.partialLength === 0 && this.partial && this.partial.length > 1024) this.partial = undefined; // give back a big buffer once drained
    return "ok";
  }

  /** Bytes of an unfinished line held. */
  get pendingBytes(): number {
    return this.partialLength;
  }

  private append(chunk: Uint8Array, from: number, to: number): void {
    const need = this.partialLength + (to - from);
    if (!this.partial || this.partial.length < need) {
      const grown = new Uint8Array(Math.min(Math.max(need, (this.partial?.length ?? 128) * 2), this.maxLineBytes));
      if (this.partial) grown.set(this.partial.subarray(0, this.partialLength));
      this.partial = grown;
    }
    this.partial.set(chunk.subarray(from, to), this.partialLength);
    this.partialLength = need;
  }

  private overflow(): LineResult {
    this.partial = undefined;
    this.partialLength = 0;
    return "overflow";
  }
}
