/**
 * @module PPAgent replies (spec §13): compact JSON with no `id`, one line each. The messages are
 * PowerPool's, misspelling included ("Unkown command"): agents may match on them.
 */

export const AgentError = {
  OTHER: 20,
  NOT_SUBSCRIBED: 25,
  UNKNOWN_COMMAND: 30,
  WORKER_NOT_CONNECTED: 31,
  ALREADY_ASSOCIATED: 32,
  NO_HELLO: 33,
  WORKER_NOT_AUTHED: 34,
  TYPE_NOT_ACCEPTED: 35,
  INVALID_FORMAT: 36,
} as const;

export type AgentErrorCode = (typeof AgentError)[keyof typeof AgentError];

const MESSAGES: Readonly<Record<AgentErrorCode, string>> = {
  20: "Other/Unknown",
  25: "Not subscribed",
  30: "Unkown command",
  31: "Worker not connected",
  32: "Already associated",
  33: "No hello exchanged",
  34: "Worker not authed",
  35: "Type not accepted",
  36: "Invalid format for method",
};

export const AGENT_OK = '{"result":true,"error":null}\n';

const errorLines = new Map<AgentErrorCode, string>(
  (Object.keys(MESSAGES) as unknown as AgentErrorCode[]).map((k) => {
    const code = Number(k) as AgentErrorCode;
    return [code, `{"result":null,"error":[${code},${JSON.stringify(MESSAGES[code])},null]}\n`];
  }),
);

export function agentErrorLine(code: AgentErrorCode): string {
  return errorLines.get(code)!;
}
