/**
 * @module The exact wire shapes of what the edge sends (PowerPool spec §2.2), as strings ending in
 * `\n`. Request ids travel as their JSON text (`idJson`), computed once per request, so a reply is
 * a few concatenations and no JSON.stringify of an object.
 */
import { ERROR_REPLY_PREFIX, type StratumErrorCode } from "./errors.ts";

/**
 * A request's `id` as JSON text for the reply. Absent → `1` (spec §2.1); an explicit null stays
 * null; anything else echoes as sent.
 */
export function idJson(id: unknown): string {
  if (id === undefined) return "1";
  if (typeof id === "number") return Number.isFinite(id) ? String(id) : "null";
  return JSON.stringify(id) ?? "null";
}

/** `{"error":null,"id":<id>,"result":true}` */
export function okReply(id: string): string {
  return `{"error":null,"id":${id},"result":true}\n`;
}

/** `{"error":[<code>,"<text>",null],"id":<id>,"result":null}` */
export function errorReply(id: string, code: StratumErrorCode): string {
  return `${ERROR_REPLY_PREFIX[code]}${id},"result":null}\n`;
}

/**
 * `{"error":[<code>,"<text>",null],"id":<id>,"result":null}` with a text of our own, for refusals
 * PowerPool never made (its table's texts stay byte-for-byte for the cases it had).
 */
export function errorReplyText(id: string, code: StratumErrorCode, text: string): string {
  return `{"error":[${code},${JSON.stringify(text)},null],"id":${id},"result":null}\n`;
}

/** A success reply whose result is already JSON text (configure's object). */
export function resultReply(id: string, resultJson: string): string {
  return `{"error":null,"id":${id},"result":${resultJson}}\n`;
}

/**
 * The subscribe reply in PowerPool's non-compact form. The value paired with `mining.notify` is the
 * session id a miner sends back on reconnect to resume its extranonce1.
 */
export function subscribeReply(id: string, extranonce1Hex: string, extranonce2Size: number): string {
  return `{"id": ${id}, "result": [[["mining.set_difficulty", "${extranonce1Hex}"], ["mining.notify", "${extranonce1Hex}"]], "${extranonce1Hex}", ${extranonce2Size}], "error": null}\n`;
}

/**
 * `client.reconnect` without params: reconnect to the same host and port (cgminer, bfgminer,
 * pooler's cpuminer and ASIC firmwares take it so), which behind DNS or a load balancer reaches
 * another edge, or this one once it is back.
 */
export const RECONNECT_LINE = '{"params":[],"id":null,"method":"client.reconnect"}\n';

/** A difficulty as a JSON number (fractions allowed; cpuminer and ASIC firmwares parse both forms). */
export function difficultyJson(difficulty: number): string {
  return JSON.stringify(difficulty);
}

/** `{"params":[<difficulty>],"id":null,"method":"mining.set_difficulty"}` */
export function setDifficultyLine(difficulty: number): string {
  return `{"params":[${difficultyJson(difficulty)}],"id":null,"method":"mining.set_difficulty"}\n`;
}

/** `{"params":["<en1>",<en2size>],"id":null,"method":"mining.set_extranonce"}` */
export function setExtranonceLine(extranonce1Hex: string, extranonce2Size: number): string {
  return `{"params":["${extranonce1Hex}",${extranonce2Size}],"id":null,"method":"mining.set_extranonce"}\n`;
}
