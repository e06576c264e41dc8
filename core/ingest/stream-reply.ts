/**
 * @module Stream replies read as raw bytes (share batches are binary): XREADGROUP and XAUTOCLAIM
 * replies from `callBuffer`, checked shape by shape instead of trusted.
 */
import { MESSAGE_FIELD } from "../../shared/contract/index.ts";

export interface RawEntry {
  readonly id: string;
  /** The `m` field; undefined when the entry has no such field or no longer exists. */
  readonly message: Uint8Array | undefined;
  /** Still pending but trimmed from the stream: nothing left to read. */
  readonly deleted: boolean;
  /**
   * The `edge` field: on the core's verified streams, the identity the gate (core/gate/) checked;
   * absent on the edges' own streams.
   */
  readonly edge?: string;
}

const FIELD = Buffer.from(MESSAGE_FIELD);
const EDGE_FIELD = Buffer.from("edge");

/** `[[id, [field, value, …] | null], …]` */
export function parseEntries(list: unknown, where: string): RawEntry[] {
  if (!Array.isArray(list)) throw new TypeError(`${where}: expected a list of entries, got ${typeof list}`);
  return list.map((item: unknown) => {
    if (!Array.isArray(item) || !Buffer.isBuffer(item[0])) throw new TypeError(`${where}: expected [id, fields], got ${JSON.stringify(item)}`);
    const id = item[0].toString();
    const fields: unknown = item[1];
    if (!Array.isArray(fields)) return { id, message: undefined, deleted: true };
    let message: Uint8Array | undefined;
    let edge: string | undefined;
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const name: unknown = fields[i];
      const value: unknown = fields[i + 1];
      if (!Buffer.isBuffer(name) || !Buffer.isBuffer(value)) continue;
      if (message === undefined && name.equals(FIELD)) message = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
      else if (edge === undefined && name.equals(EDGE_FIELD)) edge = value.toString();
    }
    return edge === undefined ? { id, message, deleted: false } : { id, message, deleted: false, edge };
  });
}

/** XREADGROUP with one stream: `null` or `[[stream, entries]]`. */
export function parseReadGroup(reply: unknown): RawEntry[] {
  if (reply === null) return [];
  if (!Array.isArray(reply) || !Array.isArray(reply[0])) throw new TypeError(`XREADGROUP: expected [[stream, entries]], got ${typeof reply}`);
  return parseEntries(reply[0][1], "XREADGROUP");
}

/** XAUTOCLAIM: `[next cursor, entries, deleted ids?]` (the third part since Redis 7). */
export function parseAutoClaim(reply: unknown): { next: string; entries: RawEntry[] } {
  if (!Array.isArray(reply) || !Buffer.isBuffer(reply[0])) throw new TypeError(`XAUTOCLAIM: expected [cursor, entries, …], got ${typeof reply}`);
  return { next: reply[0].toString(), entries: parseEntries(reply[1], "XAUTOCLAIM") };
}
