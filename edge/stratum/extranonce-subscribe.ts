/**
 * @module mining.extranonce.subscribe: always `true`. The client then gets mining.set_extranonce
 * whenever its extranonce1 changes (PowerPool acknowledged but never sent it); clients that did not
 * subscribe are disconnected instead, to come back with a fresh one.
 */
import { okReply } from "./replies.ts";
import type { Session } from "./session.ts";

export function extranonceSubscribe(s: Session, id: string, _params: readonly unknown[], _now: number): void {
  s.extranonceSubscribed = true;
  s.send(okReply(id));
}
