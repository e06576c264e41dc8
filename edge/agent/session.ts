/**
 * @module One PPAgent connection (spec §13): `hello`, `worker.authenticate`, `stats.submit`.
 * Lines arrive already framed and parsed by edge/listener (line cap, rate budget, bans); a line
 * that is not a request (bad JSON, no `method`) reaches `malformed` and is answered error 20.
 *
 * Departures from PowerPool, on purpose:
 *  - an unknown method is answered error 30 ("Unkown command", PowerPool's spelling) instead of
 *    silence, so no agent waits on a reply that never comes;
 *  - a missing `method` is error 20 without PowerPool's internal exception and 1 s pause;
 *  - params of the wrong type (a non-string username, a non-numeric stamp) are error 36, where
 *    PowerPool raised; so is data with a number out of range or not finite (data-check.ts).
 */
import type { AgentRecordV1 } from "../../shared/contract/index.ts";
import type { Logger } from "../../shared/log.ts";
import type { LineHandler, Transport } from "../stratum/transport.ts";
import { parseUsername, type UsernameRules } from "../stratum/username.ts";
import { agentDataProblem } from "./data-check.ts";
import { AGENT_OK, AgentError, agentErrorLine, type AgentErrorCode } from "./replies.ts";

/** Where agent records go (the forwarder). Throws on a record the contract refuses; false when dropped. */
export interface AgentSink {
  agent(rec: AgentRecordV1): boolean;
}

/** What a session needs of its agent server and the paired stratum port. */
export interface AgentContext {
  readonly edge: string;
  /** The paired stratum port's key. */
  readonly port: string;
  readonly usernameRules: UsernameRules;
  readonly acceptedTypes: ReadonlySet<string>;
  readonly sink: AgentSink;
  readonly log: Logger;
  /** True while at least one stratum connection on the paired port is authorized as (address, worker). */
  isWorkerConnected(address: string, worker: string): boolean;
  onClosed(s: AgentSession, reason: string): void;
}

export const DEFAULT_AGENT_VERSION = "0.1";
/** Usernames one agent connection may authenticate (a rig box reports a few; this bounds abuse). */
export const MAX_AGENT_WORKERS = 1024;

type AgentType = AgentRecordV1["type"];

export class AgentSession implements LineHandler {
  /** Set by `hello`. */
  version: string | undefined;
  /** Username as the agent sent it → the (address, worker) it converts to. */
  readonly workers = new Map<string, { readonly address: string; readonly worker: string }>();
  lastLineAt: number;

  constructor(
    readonly id: number,
    readonly ctx: AgentContext,
    readonly transport: Transport,
    now: number,
  ) {
    this.lastLineAt = now;
  }

  request(_id: string, method: string, params: readonly unknown[], now: number): void {
    this.lastLineAt = now;
    switch (method) {
      case "hello":
        return this.hello(params);
      case "worker.authenticate":
        return this.authenticate(params);
      case "stats.submit":
        return this.submit(params);
      default:
        if (this.ctx.log.enabled("debug")) this.ctx.log.debug(`agent ${this.id}: unknown method ${JSON.stringify(method.slice(0, 20))}`);
        return this.error(AgentError.UNKNOWN_COMMAND);
    }
  }

  malformed(_id: string, now: number): void {
    this.lastLineAt = now;
    this.error(AgentError.OTHER);
  }

  closed(reason: string): void {
    this.ctx.onClosed(this, reason);
  }

  private hello(params: readonly unknown[]): void {
    if (this.version !== undefined) return this.error(AgentError.ALREADY_ASSOCIATED);
    const v = params[0];
    this.version = typeof v === "string" || typeof v === "number" ? String(v).slice(0, 32) : DEFAULT_AGENT_VERSION;
    // No reply on success (spec §13).
  }

  private authenticate(params: readonly unknown[]): void {
    if (this.version === undefined) return this.error(AgentError.NO_HELLO);
    const username = params[0];
    if (typeof username !== "string" || username.length > 256) return this.error(AgentError.INVALID_FORMAT);
    const credit = parseUsername(username, this.ctx.usernameRules);
    if (!this.ctx.isWorkerConnected(credit.address, credit.worker)) return this.error(AgentError.WORKER_NOT_CONNECTED);
    if (!this.workers.has(username) && this.workers.size >= MAX_AGENT_WORKERS) return this.error(AgentError.OTHER);
    this.workers.set(username, { address: credit.address, worker: credit.worker });
    this.transport.markAuthorized();
    this.transport.send(AGENT_OK);
  }

  private submit(params: readonly unknown[]): void {
    if (this.version === undefined) return this.error(AgentError.NO_HELLO);
    const username = params[0];
    const who = typeof username === "string" ? this.workers.get(username) : undefined;
    if (!who) return this.error(AgentError.WORKER_NOT_AUTHED);
    if (params.length !== 4) return this.error(AgentError.INVALID_FORMAT);
    const [, type, data, stamp] = params;
    if (typeof type !== "string" || !this.ctx.acceptedTypes.has(type)) return this.error(AgentError.TYPE_NOT_ACCEPTED);
    const problem = agentDataProblem(type, data, stamp);
    if (problem !== undefined || typeof stamp !== "number") {
      if (this.ctx.log.enabled("debug")) this.ctx.log.debug(`agent ${this.id}: stats.submit refused: ${problem}`);
      return this.error(AgentError.INVALID_FORMAT);
    }
    const rec: AgentRecordV1 = { v: 1, edge: this.ctx.edge, port: this.ctx.port, address: who.address, worker: who.worker, type: type as AgentType, data, stamp };
    try {
      // false: dropped while Redis is away (counted by the sink); the agent has nothing better to do than carry on.
      this.ctx.sink.agent(rec);
    } catch (e) {
      this.ctx.log.warn(`agent ${this.id}: ${type} record of ${who.address}.${who.worker} refused: ${e instanceof Error ? e.message : String(e)}`);
      return this.error(AgentError.OTHER);
    }
    this.transport.send(AGENT_OK);
  }

  private error(code: AgentErrorCode): void {
    this.transport.send(agentErrorLine(code));
  }
}
