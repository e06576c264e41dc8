/**
 * @module The PPAgent server paired with one stratum port (spec §13): its sessions, connection
 * ids (a counter of its own, from 1), `agent_connects` / `agent_disconnects`, the live count the
 * port's status reports as `agentClients`, and the idle timeout (`agent.timeout`), enforced by
 * the port timer (`sweep`). Its TCP listener is edge/listener's, started by edge/server.ts.
 */
import type { ResolvedStratum } from "../../shared/config/load.ts";
import type { Logger } from "../../shared/log.ts";
import type { LineHandler, Transport } from "../stratum/transport.ts";
import type { UsernameRules } from "../stratum/username.ts";
import { AgentSession, type AgentContext, type AgentSink } from "./session.ts";

/** The paired stratum port, as the agent server sees it. */
export interface PairedPort {
  readonly key: string;
  readonly cfg: ResolvedStratum;
  readonly usernameRules: UsernameRules;
  isWorkerConnected(address: string, worker: string): boolean;
}

export interface AgentServerOptions {
  readonly port: PairedPort;
  readonly edge: string;
  readonly sink: AgentSink;
  readonly log: Logger;
}

export interface AgentCounters {
  agent_connects: number;
  agent_disconnects: number;
}

export class AgentServer implements AgentContext {
  readonly edge: string;
  readonly port: string;
  readonly usernameRules: UsernameRules;
  readonly acceptedTypes: ReadonlySet<string>;
  readonly sink: AgentSink;
  readonly log: Logger;
  readonly sessions = new Set<AgentSession>();
  readonly counters: AgentCounters = { agent_connects: 0, agent_disconnects: 0 };
  private readonly timeoutMs: number;
  private nextId = 1;

  constructor(private readonly o: AgentServerOptions) {
    this.edge = o.edge;
    this.port = o.port.key;
    this.usernameRules = o.port.usernameRules;
    this.acceptedTypes = new Set(o.port.cfg.agent.accepted_types);
    this.sink = o.sink;
    this.log = o.log;
    this.timeoutMs = o.port.cfg.agent.timeout * 1000;
  }

  /** Live agent connections (the status's `agentClients`, PowerPool's `agent_client_count`). */
  get clients(): number {
    return this.sessions.size;
  }

  isWorkerConnected(address: string, worker: string): boolean {
    return this.o.port.isWorkerConnected(address, worker);
  }

  /** A new connection (the listener's `accept`). */
  accept(transport: Transport, now: number): LineHandler {
    this.counters.agent_connects++;
    const s = new AgentSession(this.nextId++, this, transport, now);
    this.sessions.add(s);
    return s;
  }

  onClosed(s: AgentSession, reason: string): void {
    if (!this.sessions.delete(s)) return;
    this.counters.agent_disconnects++;
    if (this.log.enabled("debug")) this.log.debug(`agent ${s.id} from ${s.transport.ip} disconnected: ${reason}`);
  }

  /** Closes agents silent for `agent.timeout` seconds. */
  sweep(now: number): void {
    for (const s of this.sessions) {
      if (!s.transport.closed && now - s.lastLineAt >= this.timeoutMs) s.transport.close(`no line for ${this.o.port.cfg.agent.timeout}s`);
    }
  }

  /** Closes every agent connection. */
  stop(): void {
    for (const s of [...this.sessions]) s.transport.close("server stopping");
  }
}
