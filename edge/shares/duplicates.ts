/**
 * @module The accepted shares of one job, for the duplicate check (error 22), without a string or
 * an object per share: keys are a few 32-bit words in one typed-array arena, found through an
 * open-addressing table of (fingerprint, entry) pairs that doubles when half full.
 *
 * A key is extranonce1 ‖ extranonce2 (the job fixes both sizes, so zero-padding the last word is
 * unambiguous), then version (rolled bits included), ntime and nonce. Exact, not probabilistic:
 * a fingerprint match is confirmed word by word against the stored key, so two different shares
 * can never be called duplicates. Size: 20 bytes of key plus 16–32 bytes of table per share for
 * 4 + 4 byte extranonces (arrays grow by doubling), and no GC object per share: the Set of
 * string keys it replaces held ~100 bytes and two heap cells per share, all marked by every GC.
 */

const EMPTY = 0;
const MIN_SLOTS = 64;

export class ShareKeys {
  /** Words per key: the extranonce bytes rounded up to words, plus version, ntime, nonce. */
  private readonly words: number;
  /** Per slot: entry number + 1 (0 = empty). */
  private entries = new Uint32Array(MIN_SLOTS);
  /** Per slot: the key's fingerprint, checked before the key itself. */
  private prints = new Uint32Array(MIN_SLOTS);
  /** Entry e's key at [e × words, (e + 1) × words). */
  private keys: Uint32Array;
  private count = 0;
  /** The key `find` last looked up, for `insert`. */
  private readonly key: Uint32Array;
  private print = 0;

  constructor(readonly extranonceBytes: number) {
    this.words = ((extranonceBytes + 3) >>> 2) + 3;
    this.key = new Uint32Array(this.words);
    this.keys = new Uint32Array(this.words * (MIN_SLOTS >>> 1));
  }

  get size(): number {
    return this.count;
  }

  /** The stored keys, `words()` u32 each, in insertion order (a draining edge saves them, see checker.ts). */
  exportKeys(): Uint32Array {
    return this.keys.slice(0, this.count * this.words);
  }

  /** Words per key for `extranonceBytes`. */
  static wordsFor(extranonceBytes: number): number {
    return ((extranonceBytes + 3) >>> 2) + 3;
  }

  /** A table holding `keys` (from `exportKeys` of a table of the same extranonce size). */
  static restore(extranonceBytes: number, keys: Uint32Array): ShareKeys {
    const t = new ShareKeys(extranonceBytes);
    for (let off = 0; off + t.words <= keys.length; off += t.words) {
      t.key.set(keys.subarray(off, off + t.words));
      const h = t.fingerprint(t.key) >>> 0;
      t.print = h;
      const mask = t.entries.length - 1;
      let at = h & mask;
      let dup = false;
      for (let e = t.entries[at]!; e !== EMPTY; at = (at + 1) & mask, e = t.entries[at]!) {
        if (t.prints[at] === h && t.sameKey(e - 1)) {
          dup = true;
          break;
        }
      }
      if (!dup) t.insert(-1 - at);
    }
    return t;
  }

  /**
   * Looks a share up: its extranonces are `slot[0, extranonceBytes)`. Returns a slot index ≥ 0 when
   * the share is already here, else a negative number that `insert` takes to add it.
   */
  find(slot: Uint8Array, version: number, ntime: number, nonce: number): number {
    const k = this.key;
    const n = this.extranonceBytes;
    const whole = n >>> 2;
    let w = 0;
    for (; w < whole; w++) {
      const i = w << 2;
      k[w] = (slot[i]! | (slot[i + 1]! << 8) | (slot[i + 2]! << 16) | (slot[i + 3]! << 24)) >>> 0;
    }
    if ((n & 3) !== 0) {
      let v = 0;
      for (let i = w << 2, s = 0; i < n; i++, s += 8) v |= slot[i]! << s;
      k[w++] = v >>> 0;
    }
    k[w] = version >>> 0;
    k[w + 1] = ntime >>> 0;
    k[w + 2] = nonce >>> 0;
    const h = this.fingerprint(k) >>> 0;
    this.print = h;
    const mask = this.entries.length - 1;
    for (let at = h & mask; ; at = (at + 1) & mask) {
      const e = this.entries[at]!;
      if (e === EMPTY) return -1 - at;
      if (this.prints[at] === h && this.sameKey(e - 1)) return at;
    }
  }

  /** Adds the share `find` just looked up and did not find (`at` is what it returned). */
  insert(at: number): void {
    if (at >= 0) throw new RangeError(`ShareKeys.insert: expected the negative result of find, got ${at}`);
    if (this.count + 1 > this.entries.length >>> 1) {
      this.grow();
      at = this.emptySlotFor(this.print);
    } else {
      at = -1 - at;
    }
    const e = this.count++;
    if ((e + 1) * this.words > this.keys.length) {
      const bigger = new Uint32Array(this.keys.length * 2);
      bigger.set(this.keys);
      this.keys = bigger;
    }
    this.keys.set(this.key, e * this.words);
    this.entries[at] = e + 1;
    this.prints[at] = this.print;
  }

  /** A key's 32-bit fingerprint (tests override it to force collisions). */
  protected fingerprint(k: Uint32Array): number {
    // FNV-style mixing with murmur3's finalizer: good spread for counters (nonce, extranonce2).
    let h = 0x811c9dc5;
    for (let i = 0; i < k.length; i++) h = Math.imul(h ^ k[i]!, 0x01000193);
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    return h ^ (h >>> 16);
  }

  private sameKey(e: number): boolean {
    const k = this.key;
    const keys = this.keys;
    const base = e * this.words;
    for (let i = 0; i < this.words; i++) if (keys[base + i] !== k[i]) return false;
    return true;
  }

  private emptySlotFor(print: number): number {
    const mask = this.entries.length - 1;
    let at = print & mask;
    while (this.entries[at] !== EMPTY) at = (at + 1) & mask;
    return at;
  }

  /** Doubles the table; keys stay where they are in the arena. */
  private grow(): void {
    const oldEntries = this.entries;
    const oldPrints = this.prints;
    this.entries = new Uint32Array(oldEntries.length * 2);
    this.prints = new Uint32Array(oldEntries.length * 2);
    for (let i = 0; i < oldEntries.length; i++) {
      const e = oldEntries[i]!;
      if (e === EMPTY) continue;
      const at = this.emptySlotFor(oldPrints[i]!);
      this.entries[at] = e;
      this.prints[at] = oldPrints[i]!;
    }
  }
}
