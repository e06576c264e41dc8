/**
 * @module Method name → handler. Names arrive lower-cased (methods are case-insensitive, spec
 * §2.1). Unknown methods get error 20 and count as junk; a handler that throws still answers
 * (error 20) instead of leaving the miner waiting (PowerPool's §15 item 18).
 *
 * `dispatchLine` comes first for every line: a plain mining.submit (nearly every line a miner
 * sends) is answered from the received bytes without JSON.parse (submit.ts `submitLine`); any
 * other line is left to the JSON path and `dispatch`.
 */
import { authorize } from "./authorize.ts";
import { configure } from "./configure.ts";
import { StratumError } from "./errors.ts";
import { extranonceSubscribe } from "./extranonce-subscribe.ts";
import { getTransactions } from "./get-transactions.ts";
import { errorReply } from "./replies.ts";
import type { Session } from "./session.ts";
import { submit, submitLine } from "./submit.ts";
import { subscribe } from "./subscribe.ts";
import { suggestDifficulty } from "./suggest-difficulty.ts";

export type MethodHandler = (s: Session, id: string, params: readonly unknown[], now: number) => void;

const METHODS: ReadonlyMap<string, MethodHandler> = new Map([
  ["mining.subscribe", subscribe],
  ["mining.authorize", authorize],
  ["mining.submit", submit],
  ["mining.configure", configure],
  ["mining.suggest_difficulty", suggestDifficulty],
  ["mining.extranonce.subscribe", extranonceSubscribe],
  ["mining.get_transactions", getTransactions],
]);

export function dispatch(s: Session, id: string, method: string, params: readonly unknown[], now: number): void {
  const handler = METHODS.get(method);
  if (!handler) {
    s.ctx.counters.unk_err++;
    s.send(errorReply(id, StratumError.OTHER));
    s.transport.strike(`unknown method ${JSON.stringify(method.slice(0, 40))}`, now);
    return;
  }
  try {
    handler(s, id, params, now);
  } catch (e) {
    s.ctx.log.error(`stratum: ${method} failed`, { error: e, ip: s.transport.ip });
    s.send(errorReply(id, StratumError.OTHER));
  }
}

/**
 * A line handled from its bytes (valid during the call only), or false to have the caller parse it
 * as JSON and `dispatch` it. Only plain mining.submit lines are handled here.
 */
export function dispatchLine(s: Session, bytes: Uint8Array, start: number, end: number, now: number): boolean {
  return submitLine(s, bytes, start, end, now);
}
