/**
 * @module The duplicate-share keys of the current jobs, saved by a draining edge and read back by
 * its next start, so that a miner resuming its extranonce1 across the restart (mining.subscribe
 * with its session id) cannot have the shares the previous process accepted credited again.
 *
 *   file = u32 LE header length | header JSON | zero padding to 4 bytes | each table's keys (u32 LE)
 *   header = { v: 1, edgeId, jobs: [{ jobmanager, id, extranonceBytes, keys }] }   (keys: u32 count)
 *
 * The file is read once and deleted: it describes one moment, and an edge that crashes later
 * must not resume from it. Anything unreadable is ignored (resume is then refused, see
 * edge/forward/extranonce1.ts), never fatal.
 */
import { existsSync, readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";

export interface DuplicateTable {
  readonly jobmanager: string;
  /** The core's job id (JobV1.id): the edge's own job ids are a per-process counter. */
  readonly id: string;
  readonly extranonceBytes: number;
  readonly keys: Uint32Array;
}

export interface SavedDuplicates {
  /** The edge id (extranonce1 prefix) the keys were accepted under. */
  readonly edgeId: number;
  readonly tables: DuplicateTable[];
}

export function writeDuplicates(path: string, saved: SavedDuplicates): void {
  const header = new TextEncoder().encode(JSON.stringify({ v: 1, edgeId: saved.edgeId, jobs: saved.tables.map((t) => ({ jobmanager: t.jobmanager, id: t.id, extranonceBytes: t.extranonceBytes, keys: t.keys.length })) }));
  const keysAt = (4 + header.length + 3) & ~3;
  const out = new Uint8Array(keysAt + saved.tables.reduce((n, t) => n + t.keys.length * 4, 0));
  new DataView(out.buffer).setUint32(0, header.length, true);
  out.set(header, 4);
  const view = new DataView(out.buffer);
  let at = keysAt;
  for (const t of saved.tables) for (const k of t.keys) (view.setUint32(at, k, true), (at += 4));
  // Written aside and renamed: a crash mid-write leaves no half file to be trusted.
  writeFileSync(`${path}.tmp`, out);
  renameSync(`${path}.tmp`, path);
}

/** Reads and deletes the file; undefined when there is none or it does not read back. */
export function takeDuplicates(path: string): SavedDuplicates | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const bytes = readFileSync(path);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const length = view.getUint32(0, true);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + length))) as { v: number; edgeId: number; jobs: { jobmanager: string; id: string; extranonceBytes: number; keys: number }[] };
    if (header.v !== 1 || !Number.isInteger(header.edgeId) || !Array.isArray(header.jobs)) return undefined;
    let at = (4 + length + 3) & ~3;
    const tables: DuplicateTable[] = [];
    for (const j of header.jobs) {
      if (at + j.keys * 4 > bytes.length) return undefined;
      const keys = new Uint32Array(j.keys);
      for (let i = 0; i < j.keys; i++, at += 4) keys[i] = view.getUint32(at, true);
      tables.push({ jobmanager: String(j.jobmanager), id: String(j.id), extranonceBytes: Number(j.extranonceBytes), keys });
    }
    return { edgeId: header.edgeId, tables };
  } catch {
    return undefined;
  } finally {
    unlinkSync(path);
  }
}
