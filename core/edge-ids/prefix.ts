/**
 * @module The edge id an extranonce1 carries (edge/forward/extranonce1.ts puts it first, big-endian:
 * 1 byte for 4- and 5-byte extranonce1, 2 bytes from 6), so the share audit can check a record's
 * extranonce1 against the id the core granted its edge (EdgeIdAllocator.grantedId / wasGranted).
 */
import { edgeIdSpace } from "./allocator.ts";

/** The edge id in `extranonce1`; throws when its size is not 4..8 bytes. */
export function edgeIdOfExtranonce1(extranonce1: Uint8Array): number {
  return edgeIdSpace(extranonce1.length) === 256 ? extranonce1[0]! : (extranonce1[0]! << 8) | extranonce1[1]!;
}
