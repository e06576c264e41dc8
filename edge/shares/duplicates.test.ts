import { describe, expect, test } from "bun:test";
import { ShareKeys } from "./duplicates.ts";

/** Seeded xorshift32 so a failure can be replayed. */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

/** Looks a share up and adds it when new; true when it was a duplicate. */
function seen(keys: ShareKeys, slot: Uint8Array, version: number, ntime: number, nonce: number): boolean {
  const at = keys.find(slot, version, ntime, nonce);
  if (at >= 0) return true;
  keys.insert(at);
  return false;
}

describe("ShareKeys (the duplicate set of one job)", () => {
  for (const bytes of [4, 5, 7, 8, 19, 32]) {
    test(`agrees with a Set of string keys through growth (${bytes} extranonce bytes)`, () => {
      const next = rng(bytes);
      const keys = new ShareKeys(bytes);
      const model = new Set<string>();
      // Few distinct values per field, so repeats and near-misses (one field different) are common.
      const pool = Array.from({ length: 8 }, () => Uint8Array.from({ length: bytes }, () => next() & 0xff));
      for (let i = 0; i < 20_000; i++) {
        const slot = pool[next() % pool.length]!;
        const version = 0x20000000 | ((next() % 4) << 13);
        const ntime = 0x5c3a8f10 + (next() % 4);
        const nonce = next() % 700;
        const key = `${Buffer.from(slot).toString("hex")}/${version}/${ntime}/${nonce}`;
        const dup = model.has(key);
        model.add(key);
        expect(seen(keys, slot, version, ntime, nonce)).toBe(dup);
      }
      expect(keys.size).toBe(model.size);
    });
  }

  test("only the extranonce bytes count, not what follows them in the slot", () => {
    const keys = new ShareKeys(5);
    expect(seen(keys, Uint8Array.of(1, 2, 3, 4, 5, 99, 99), 1, 2, 3)).toBe(false);
    expect(seen(keys, Uint8Array.of(1, 2, 3, 4, 5, 0, 0), 1, 2, 3)).toBe(true);
    expect(seen(keys, Uint8Array.of(1, 2, 3, 4, 6), 1, 2, 3)).toBe(false);
  });

  test("keys differing in any one field are different shares; 32-bit values keep their high bit", () => {
    const keys = new ShareKeys(8);
    const slot = Uint8Array.of(0xff, 0, 0, 0x80, 1, 2, 3, 4);
    expect(seen(keys, slot, 0xe0000000, 0xffffffff, 0x80000000)).toBe(false);
    expect(seen(keys, slot, 0xe0000000, 0xffffffff, 0x80000000)).toBe(true);
    expect(seen(keys, slot, 0xe0000000, 0xffffffff, 0x80000001)).toBe(false);
    expect(seen(keys, slot, 0xe0000000, 0xfffffffe, 0x80000000)).toBe(false);
    expect(seen(keys, slot, 0xe0002000, 0xffffffff, 0x80000000)).toBe(false);
    expect(seen(keys, Uint8Array.of(0xff, 0, 0, 0x80, 1, 2, 3, 5), 0xe0000000, 0xffffffff, 0x80000000)).toBe(false);
  });

  test("exact when every fingerprint collides: a match is confirmed against the stored key", () => {
    class Colliding extends ShareKeys {
      protected override fingerprint(): number {
        return 7;
      }
    }
    const keys = new Colliding(4);
    const model = new Set<string>();
    const next = rng(99);
    for (let i = 0; i < 600; i++) {
      const slot = Uint8Array.of(next() & 3, 0, 0, 0);
      const nonce = next() % 50;
      const key = `${slot[0]}/${nonce}`;
      expect(seen(keys, slot, 1, 2, nonce)).toBe(model.has(key));
      model.add(key);
    }
    expect(keys.size).toBe(model.size);
  });

  test("insert takes only what find returned for a new share", () => {
    const keys = new ShareKeys(4);
    const slot = Uint8Array.of(1, 2, 3, 4);
    keys.insert(keys.find(slot, 1, 2, 3));
    expect(() => keys.insert(keys.find(slot, 1, 2, 3))).toThrow(RangeError);
  });
});
