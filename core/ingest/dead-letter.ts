/**
 * @module Entries that cannot be used (malformed, unroutable, refused by the apply script) move to
 * a dead-letter stream with the reason and are acknowledged in the same MULTI, so a poison entry
 * never blocks its stream and is never lost: an operator can inspect it and XADD it back.
 */
import type Redis from "ioredis";
import { MESSAGE_FIELD } from "../../shared/contract/index.ts";
import { fencedTx } from "../leader/fence.ts";
import type { RawEntry } from "./stream-reply.ts";

/** Dead letters kept (approximately); older ones are trimmed. */
export const DEAD_LETTER_MAXLEN = 100_000;

export interface DeadLetterTarget {
  readonly stream: string;
  readonly group: string;
  readonly deadLetter: string;
  readonly consumer: string;
}

export async function deadLetter(redis: Redis, t: DeadLetterTarget, entry: RawEntry, reason: string): Promise<void> {
  const tx = fencedTx(redis);
  if (!entry.deleted) {
    const message = Buffer.from(entry.message ?? new Uint8Array());
    tx.call("XADD", t.deadLetter, "MAXLEN", "~", DEAD_LETTER_MAXLEN, "*", MESSAGE_FIELD, message, "source", t.stream, "id", entry.id, "reason", reason, "consumer", t.consumer, "time", String(Date.now()));
  }
  tx.call("XACK", t.stream, t.group, entry.id);
  const results = await tx.exec();
  const failed = results?.find(([err]) => err);
  if (!results || failed) throw new Error(`deadLetter ${entry.id}: expected the MULTI to succeed, got ${failed?.[0]?.message ?? "an aborted transaction"}`);
}

/**
 * Some records of an entry whose other records are being credited. The dead letter carries the
 * whole entry as it was, the refused seqs (`refused`, comma-separated) and one reason per line; the
 * entry itself is acknowledged by the apply script with the rest. Replaying it once the cause is
 * fixed is safe: the credited records are in the seen-set and are skipped. Redelivered before the
 * apply, the records are dead-lettered again: a dead letter may repeat, a record is never lost.
 */
export async function deadLetterRecords(redis: Redis, t: DeadLetterTarget, entry: RawEntry, seqs: readonly number[], reasons: readonly string[]): Promise<void> {
  const message = Buffer.from(entry.message ?? new Uint8Array());
  const results = await fencedTx(redis).call("XADD", t.deadLetter, "MAXLEN", "~", DEAD_LETTER_MAXLEN, "*", MESSAGE_FIELD, message, "source", t.stream, "id", entry.id, "reason", reasons.join("\n"), "consumer", t.consumer, "time", String(Date.now()), "refused", seqs.join(",")).exec();
  const failed = results?.find(([err]) => err);
  if (!results || failed) throw failed?.[0] ?? new Error(`deadLetterRecords ${entry.id}: expected the write to succeed, got an aborted transaction`);
}
