import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { takeDuplicates, writeDuplicates } from "./duplicate-file.ts";
import { ShareKeys } from "./duplicates.ts";

const dir = mkdtempSync(join(tmpdir(), "pp-dups-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Adds `n` distinct shares to a table; returns their (slot, nonce) pairs. */
function fill(keys: ShareKeys, n: number): [Uint8Array, number][] {
  const out: [Uint8Array, number][] = [];
  for (let i = 0; i < n; i++) {
    const slot = Uint8Array.from({ length: keys.extranonceBytes }, (_, j) => (i * 31 + j * 7) & 0xff);
    const at = keys.find(slot, 0x20000000, 0x5c3a8f10, i);
    keys.insert(at);
    out.push([slot, i]);
  }
  return out;
}

test("saved keys read back into tables that find every share, and nothing else, once; the file is consumed", () => {
  const a = new ShareKeys(8);
  const b = new ShareKeys(5);
  const sharesA = fill(a, 1000);
  const sharesB = fill(b, 3);
  const path = join(dir, "duplicates.bin");
  writeDuplicates(path, { edgeId: 7, tables: [{ jobmanager: "BTC", id: "00aa0001", extranonceBytes: 8, keys: a.exportKeys() }, { jobmanager: "LTC", id: "00bb0002", extranonceBytes: 5, keys: b.exportKeys() }] });
  const saved = takeDuplicates(path)!;
  expect(existsSync(path)).toBe(false);
  expect(takeDuplicates(path)).toBeUndefined();
  expect(saved.edgeId).toBe(7);
  expect(saved.tables.map((t) => [t.jobmanager, t.id, t.extranonceBytes])).toEqual([["BTC", "00aa0001", 8], ["LTC", "00bb0002", 5]]);
  const ra = ShareKeys.restore(8, saved.tables[0]!.keys);
  const rb = ShareKeys.restore(5, saved.tables[1]!.keys);
  expect([ra.size, rb.size]).toEqual([1000, 3]);
  for (const [slot, nonce] of sharesA) expect(ra.find(slot, 0x20000000, 0x5c3a8f10, nonce)).toBeGreaterThanOrEqual(0);
  for (const [slot, nonce] of sharesB) expect(rb.find(slot, 0x20000000, 0x5c3a8f10, nonce)).toBeGreaterThanOrEqual(0);
  expect(ra.find(sharesA[0]![0], 0x20000000, 0x5c3a8f10, 5000)).toBeLessThan(0);
});

test("a damaged file is ignored (and removed), never fatal", () => {
  const path = join(dir, "bad.bin");
  writeFileSync(path, Uint8Array.of(200, 0, 0, 0, 1, 2, 3));
  expect(takeDuplicates(path)).toBeUndefined();
  expect(existsSync(path)).toBe(false);
  writeFileSync(path, new TextEncoder().encode("\u0010\u0000\u0000\u0000{\"v\":1,\"edgeId\":1}"));
  expect(takeDuplicates(path)).toBeUndefined();
});
