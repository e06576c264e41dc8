/** @module edge/agent: the PPAgent server paired with a stratum port (spec §13). Public surface, by name. */
export { AgentServer, type AgentCounters, type AgentServerOptions, type PairedPort } from "./server.ts";
export { AgentSession, DEFAULT_AGENT_VERSION, MAX_AGENT_WORKERS, type AgentContext, type AgentSink } from "./session.ts";
export { AGENT_OK, AgentError, agentErrorLine, type AgentErrorCode } from "./replies.ts";
