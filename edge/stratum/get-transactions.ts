/** @module mining.get_transactions: always error 20, as PowerPool (the edge never holds template transactions). */
import { StratumError } from "./errors.ts";
import { errorReply } from "./replies.ts";
import type { Session } from "./session.ts";

export function getTransactions(s: Session, id: string, _params: readonly unknown[], _now: number): void {
  s.send(errorReply(id, StratumError.OTHER));
}
