import { afterEach, describe, expect, test } from "bun:test";
import { appendFileSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { captureLog } from "../../test/helpers/log-capture.ts";
import { Spool } from "./spool.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function newSpool(dir?: string) {
  const d = dir ?? mkdtempSync(join(tmpdir(), "pp-spool-"));
  if (!dir) dirs.push(d);
  const capture = captureLog();
  const spool = new Spool(join(d, "sub", "x.spool"), { fsync: "every", countRecords: (p) => p[0] ?? 0, log: capture.log });
  spool.open();
  return { spool, dir: d, ...capture };
}

describe("Spool", () => {
  test("frames come back in order; the file goes only when every frame is acknowledged", () => {
    const { spool } = newSpool();
    spool.append(Uint8Array.of(2, 10));
    spool.append(Uint8Array.of(3, 20, 21));
    expect([spool.pendingFrames, spool.pendingRecords]).toEqual([2, 5]);
    const frames = spool.peek(10);
    expect(frames.map((f) => [...f.payload])).toEqual([[2, 10], [3, 20, 21]]);
    expect(() => spool.clear()).toThrow(/expected every frame acknowledged/);
    spool.ack(frames[0]!);
    expect(spool.peek(10).map((f) => [...f.payload])).toEqual([[3, 20, 21]]);
    spool.ack(frames[1]!);
    expect(spool.drained).toBe(true);
    spool.clear();
    expect(existsSync(spool.path)).toBe(false);
    spool.append(Uint8Array.of(1));
    expect(spool.peek(10)).toHaveLength(1);
  });

  test("reopening keeps every whole frame and cuts a torn last one, copying the file aside", () => {
    const first = newSpool();
    first.spool.append(Uint8Array.of(1, 1));
    first.spool.append(Uint8Array.of(1, 2));
    first.spool.close();
    appendFileSync(first.spool.path, Uint8Array.of(9, 0, 0, 0, 1, 2)); // a frame header cut short by a crash
    const again = newSpool(first.dir);
    expect(again.spool.peek(10).map((f) => [...f.payload])).toEqual([[1, 1], [1, 2]]);
    expect(again.count(/cut 6 bytes of a torn or damaged frame at offset 20/)).toBe(1);
    expect(again.count(/2 frames \(2 records\) from an earlier run/)).toBe(1);
    expect(readdirSync(join(first.dir, "sub")).filter((f) => f.includes(".damaged-"))).toHaveLength(1);
    again.spool.append(Uint8Array.of(1, 3));
    expect(again.spool.peek(10).map((f) => f.payload[1])).toEqual([1, 2, 3]);
  });
});
