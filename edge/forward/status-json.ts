/**
 * @module The heartbeat's status record as JSON, the same text `edgeStatusCodec.encode` writes, but
 * with the client lists stringified a slice per event-loop turn. At 10 k clients the record is
 * ~2.5 MB and one JSON.stringify of it held the edge's only thread for tens of milliseconds every
 * beat: a job arriving then waited that long before its fan-out began. Slices of CHUNK clients keep
 * each turn short; the status objects are a snapshot, so what miners do meanwhile does not matter.
 */
import { edgeStatusCodec, type EdgeStatusV1 } from "../../shared/contract/index.ts";

/** Clients stringified per event-loop turn (~0.1–0.5 ms each). */
const CHUNK = 500;
/** Stands in for a port's client list in the envelope's text, which holds no miner-supplied text (so nothing else can spell it there). */
const marker = (i: number) => `\u0000clients${i}`;

export async function encodeStatusYielding(status: EdgeStatusV1, yieldTurn: () => Promise<void> = () => new Promise((r) => setImmediate(r))): Promise<string> {
  const lists: string[] = [];
  let i = 0;
  const ports = status.ports.map((p) => (p.clientList === undefined ? p : { ...p, clientList: marker(i++) as unknown as typeof p.clientList }));
  // The envelope goes through the codec (its version check), the lists stand in as markers.
  const outer = edgeStatusCodec.encode({ ...status, ports });
  for (const p of status.ports) {
    const list = p.clientList;
    if (list === undefined) continue;
    const parts: string[] = [];
    for (let at = 0; at < list.length; at += CHUNK) {
      if (at > 0) await yieldTurn();
      parts.push(JSON.stringify(list.slice(at, at + CHUNK)).slice(1, -1));
    }
    lists.push(`[${parts.join(",")}]`);
  }
  // Spliced into the envelope's text only (it holds no miner-supplied text), never into a list already in.
  const pieces: string[] = [];
  let from = 0;
  for (let k = 0; k < lists.length; k++) {
    const token = JSON.stringify(marker(k));
    const at = outer.indexOf(token, from);
    if (at < 0) throw new Error(`encodeStatusYielding: marker ${k} not found`);
    pieces.push(outer.slice(from, at), lists[k]!);
    from = at + token.length;
  }
  pieces.push(outer.slice(from));
  return pieces.join("");
}
