/**
 * @module The edge name a share batch claims, read from its header alone (shared/contract/share-batch.ts
 * layout: u8 magic | u8 version | u16 count | str edge | …). The gate checks identity on every entry;
 * decoding every record for that would double the accounting's decode work when nothing is audited.
 * The records are still checked in full downstream (the accounting dead-letters malformed ones).
 */
import { ContractError } from "../../shared/contract/index.ts";

const MAGIC = 0x53;
const decoder = new TextDecoder("utf-8", { fatal: true });

/** The batch's `edge`; throws ContractError when the header is not a share batch's. */
export function batchEdge(bytes: Uint8Array): string {
  if (bytes.length < 5) throw new ContractError("share batch", `truncated header (length ${bytes.length})`);
  if (bytes[0] !== MAGIC) throw new ContractError("share batch", `expected magic 0x53, got 0x${(bytes[0] ?? 0).toString(16)}`);
  if (bytes[1] !== 1 && bytes[1] !== 2) throw new ContractError("share batch", `expected version 1 or 2, got ${bytes[1]}`);
  const len = bytes[4] ?? 0;
  if (5 + len > bytes.length) throw new ContractError("share batch", `truncated at byte 4 reading edge (length ${bytes.length})`);
  try {
    return decoder.decode(bytes.subarray(5, 5 + len));
  } catch {
    throw new ContractError("share batch", "edge at byte 4 is not UTF-8");
  }
}
