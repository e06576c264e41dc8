/**
 * @module Litecoin's MWEB extension block in a submitted block (LIP-0002/0003, Litecoin Core 0.21.2+).
 *
 * Verified against litecoin-project/litecoin:
 * - src/rpc/mining.cpp getblocktemplate: the client must send rules "segwit" and "mweb"; the
 *   template's `transactions` are every block transaction but the coinbase, so the HogEx
 *   (integrating) transaction is the last one; `mweb` is HexStr(mweb_block.m_block->Serialized()),
 *   i.e. the bare mw::Block.
 * - src/primitives/block.h CBlock serialization: header ‖ vtx ‖ (only if vtx has ≥ 2 entries and
 *   the last is the HogEx) MWEB::Block, whose serialization (src/mweb/mweb_models.h) is
 *   WrapOptionalPtr(m_block): src/serialize.h OptionalPtr writes a uint8 1 then the object when
 *   present, a 0 when not.
 * So the block is header ‖ varint(n) ‖ coinbase ‖ template txs (HogEx last) ‖ 01 ‖ mweb. Without
 * the 01 the node reads no MWEB block and rejects the block (`mweb-missing`).
 *
 * No Litecoin node is available here: the tests check this layout with a constructed template
 * (a simulation), not against litecoind.
 */

/** The OptionalPtr "present" byte in front of the mw::Block. */
export const MWEB_PRESENT_HEX = "01";

/** The bytes that follow the last transaction of a block built from a template with `mweb`. */
export function mwebBlockSuffixHex(mwebHex: string | null): string {
  return mwebHex === null ? "" : MWEB_PRESENT_HEX + mwebHex;
}

/**
 * A template with `mweb` must have at least the HogEx among its transactions, or the node would
 * not read the MWEB block at all (CBlock reads it only when vtx has ≥ 2 entries).
 */
export function checkMwebTemplate(mwebHex: string | null, txCount: number): void {
  if (mwebHex !== null && txCount < 1)
    throw new TypeError(`getblocktemplate.mweb: expected the HogEx as the last of the transactions, got ${txCount} transactions`);
}
