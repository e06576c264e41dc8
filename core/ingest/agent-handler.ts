/**
 * @module PPAgent entries → `hashrate_*`, `temp_*`, `status_*` keys (spec §8.2 (d)). The writes of
 * all entries of a read and their XACK go in one MULTI; the writes are overwrites, so an entry
 * delivered twice leaves the same keys.
 */
import type Redis from "ioredis";
import { agentRecordCodec, ContractError } from "../../shared/contract/index.ts";
import type { Logger } from "../../shared/log.ts";
import { planAgentWrites, type AgentCheck, type RedisCommand } from "../accounting/index.ts";
import type { SecondCounter } from "../stats/index.ts";
import { fencedTx } from "../leader/fence.ts";
import { deadLetter, type DeadLetterTarget } from "./dead-letter.ts";
import type { RawEntry } from "./stream-reply.ts";

export interface AgentHandlerOptions {
  readonly redis: Redis;
  readonly target: DeadLetterTarget;
  readonly log: Logger;
  readonly counters?: { readonly applied: SecondCounter; readonly deadLettered: SecondCounter };
  /** Why a record cannot be written (core/accounting/record-check.ts), or undefined. */
  readonly check: AgentCheck;
}

export function createAgentHandler(o: AgentHandlerOptions): (entries: RawEntry[]) => Promise<void> {
  const decoder = new TextDecoder();
  return async (entries) => {
    const commands: RedisCommand[] = [];
    const ids: string[] = [];
    for (const entry of entries) {
      let reason: string | undefined;
      if (entry.deleted) reason = "trimmed before it was read";
      else if (!entry.message) reason = `expected a field "m", got none`;
      else {
        try {
          const rec = agentRecordCodec.decode(decoder.decode(entry.message));
          const refused = o.check(rec);
          const plan = refused === undefined ? planAgentWrites(rec, Date.now()) : ({ kind: "invalid", reason: refused } as const);
          if (plan.kind === "write") commands.push(...plan.commands);
          else if (plan.kind === "unsupported") o.log.warn(`Recieved unsupported ppagent type ${JSON.stringify(plan.type)} from ${rec.address}.${rec.worker}`);
          else reason = plan.reason;
        } catch (e) {
          reason = e instanceof ContractError ? e.message : `agent record: ${e instanceof Error ? e.message : String(e)}`;
        }
      }
      if (reason === undefined) {
        ids.push(entry.id);
        continue;
      }
      o.log.error(`agent entry ${entry.id} dead-lettered to ${o.target.deadLetter}: ${reason}`);
      await deadLetter(o.redis, o.target, entry, reason);
      o.counters?.deadLettered.incr(1);
    }
    if (ids.length === 0) return;
    const tx = fencedTx(o.redis);
    for (const [command, ...args] of commands) tx.call(command, ...args);
    tx.call("XACK", o.target.stream, o.target.group, ...ids);
    const results = await tx.exec();
    const ack = results?.[results.length - 1];
    if (!results || !ack || ack[0]) throw new Error(`agent writes: expected the MULTI to commit, got ${ack?.[0]?.message ?? "an aborted transaction"}`);
    // MULTI does not roll back: a write Redis refused (a key of another type) is logged, the rest stand.
    for (const [i, [err]] of results.entries()) if (err) o.log.error(`agent write ${commands[i]?.[0]} ${commands[i]?.[1]} failed`, { error: err.message });
    o.counters?.applied.incr(ids.length);
  };
}
