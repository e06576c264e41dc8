/**
 * @module Entries that cannot be used (malformed, unroutable, refused by the apply script) move to
 * a dead-letter stream with the reason and are acknowledged in the same MULTI, so a poison entry
 * never blocks its stream and is never lost: an operator can inspect it and XADD it back.
 */
import type Redis from "ioredis";
import { MESSAGE_FIELD } from "../../shared/contract/index.ts";
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
  const tx = redis.multi();
  if (!entry.deleted) {
    const message = Buffer.from(entry.message ?? new Uint8Array());
    tx.xadd(t.deadLetter, "MAXLEN", "~", DEAD_LETTER_MAXLEN, "*", MESSAGE_FIELD, message, "source", t.stream, "id", entry.id, "reason", reason, "consumer", t.consumer, "time", String(Date.now()));
  }
  tx.xack(t.stream, t.group, entry.id);
  const results = await tx.exec();
  const failed = results?.find(([err]) => err);
  if (!results || failed) throw new Error(`deadLetter ${entry.id}: expected the MULTI to succeed, got ${failed?.[0]?.message ?? "an aborted transaction"}`);
}
