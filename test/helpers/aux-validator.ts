/**
 * @module Tests only: the aux coinserver *simulator*'s auxpow check, written from
 * /work/shared/spec/auxpow-notes.md alone (it deliberately shares no code with core/aux): parse the
 * serialized auxpow (items 1–7), then apply validation rules 1–11 in the notes' order. Each failure
 * names its rule and Namecoin's debug.log text, so tests can assert *why* something was refused.
 */
import { ByteReader } from "../../shared/bitcoin/_cursor.ts";
import { bitsToTarget, bytesToBigIntLE, concatBytes, equalBytes, hexToBytes, readU32LE, reverseBytes, sha256d } from "../../shared/bitcoin/index.ts";
import { readTx, txid, type Tx } from "../../shared/bitcoin/tx.ts";

export interface ParsedAuxPow {
  readonly coinbase: Tx;
  readonly coinbaseBranch: Uint8Array[];
  readonly chainBranch: Uint8Array[];
  readonly chainIndex: number;
  readonly parentHeader: Uint8Array;
}

export function parseAuxPow(bytes: Uint8Array): ParsedAuxPow {
  const r = new ByteReader(bytes, "auxpow");
  const coinbase = readTx(r); // item 1 (legacy or segwit form)
  r.bytes(32); // item 2: read and ignored
  const coinbaseBranch = hashes(r); // item 3
  r.i32(); // item 4: read and ignored
  const chainBranch = hashes(r); // item 5
  const chainIndex = r.i32(); // item 6
  const parentHeader = r.bytes(80); // item 7
  if (r.remaining !== 0) throw new RangeError(`auxpow: ${r.remaining} trailing bytes`);
  return { coinbase, coinbaseBranch, chainBranch, chainIndex, parentHeader };
}

function hashes(r: ByteReader): Uint8Array[] {
  const n = r.varInt();
  if (n > 1000) throw new RangeError(`auxpow: branch of ${n} hashes`);
  return Array.from({ length: n }, () => r.bytes(32));
}

export interface AuxBlockFacts {
  /** The aux block's own nVersion (rule 1). */
  readonly version: number;
  /** Display hex, as createauxblock printed it. */
  readonly hash: string;
  /** Compact bits of the aux block (rule 3). */
  readonly bits: number;
  readonly chainId: number;
  /** Proof of work of the parent header; sha256d (rule 3: whatever the parent chain is). */
  readonly powHash?: (header: Uint8Array) => Uint8Array;
}

export type AuxPowVerdict = { readonly ok: true } | { readonly ok: false; readonly rule: number; readonly reason: string };

const MAGIC = Uint8Array.of(0xfa, 0xbe, 0x6d, 0x6d);
const fail = (rule: number, reason: string): AuxPowVerdict => ({ ok: false, rule, reason });

/** Rule 11's expected slot, 64-bit unsigned arithmetic. */
export function expectedIndex(nonce: number, chainId: number, h: number): number {
  const M = (1n << 64n) - 1n;
  const mod = (1n << BigInt(h)) - 1n;
  let rand = (BigInt(nonce) * 1103515245n + 12345n) & M;
  rand = (rand & mod) + BigInt(chainId);
  rand = (rand * 1103515245n + 12345n) & M;
  return Number(rand & mod);
}

function indexOf(hay: Uint8Array, needle: Uint8Array, from = 0): number {
  outer: for (let i = from; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

export function validateAuxPow(block: AuxBlockFacts, auxpowHex: string): AuxPowVerdict {
  let p: ParsedAuxPow;
  try {
    p = parseAuxPow(hexToBytes(auxpowHex));
  } catch (e) {
    return fail(0, `decode: ${(e as Error).message}`);
  }
  const parentVersion = readU32LE(p.parentHeader, 0);
  // 1. Our block carries chain ID and the auxpow flag.
  if (block.version >>> 16 !== block.chainId || (block.version & 0x100) === 0) return fail(1, "block does not have our chain ID / auxpow flag");
  // 2. The parent must not be an auxpow block itself.
  if (parentVersion & 0x100) return fail(2, "auxpow parent block has auxpow version");
  // 3. Parent PoW against the aux block's target.
  const pow = (block.powHash ?? sha256d)(p.parentHeader);
  if (bytesToBigIntLE(pow) > bitsToTarget(block.bits)) return fail(3, "AUX proof of work failed");
  // 4. Strict chain IDs: the parent must not have ours.
  if (parentVersion >>> 16 === block.chainId) return fail(4, "Aux POW parent has our chain ID");
  // 5.
  if (p.chainBranch.length > 30) return fail(5, "Aux POW chain merkle branch too long");
  // 6. Walk the chain branch from our hash; the reversed result is what the coinbase must hold.
  let h = reverseBytes(hexToBytes(block.hash));
  let idx = p.chainIndex;
  for (const s of p.chainBranch) {
    h = idx & 1 ? sha256d(concatBytes(s, h)) : sha256d(concatBytes(h, s));
    idx >>= 1;
  }
  const root = reverseBytes(h);
  // 7. Coinbase txid (non-witness) up the coinbase branch, always on the left.
  let m = txid(p.coinbase);
  for (const s of p.coinbaseBranch) m = sha256d(concatBytes(m, s));
  if (!equalBytes(m, p.parentHeader.subarray(36, 68))) return fail(7, "Aux POW merkle root incorrect");
  // 8.
  const input = p.coinbase.inputs[0];
  if (!input) return fail(8, "Aux POW coinbase has no inputs");
  const script = input.scriptSig;
  // 9. Magic once, root right after it; or no magic and the root within the first 20 bytes.
  const head = indexOf(script, MAGIC);
  const at = indexOf(script, root);
  if (at < 0) return fail(9, "Aux POW missing chain merkle root in parent coinbase");
  if (head >= 0) {
    if (indexOf(script, MAGIC, head + 1) >= 0) return fail(9, "Multiple merged mining headers in coinbase");
    if (at !== head + MAGIC.length) return fail(9, "Merged mining header is not just before chain merkle root");
  } else if (at > 20) return fail(9, "Aux POW chain merkle root must start in the first 20 bytes of the parent coinbase");
  // 10. Size and nonce after the root.
  const after = at + 32;
  if (script.length - after < 8) return fail(10, "Aux POW missing chain merkle tree size and nonce in parent coinbase");
  const size = readU32LE(script, after);
  const nonce = readU32LE(script, after + 4);
  if (size !== 2 ** p.chainBranch.length) return fail(10, "Aux POW merkle branch size does not match parent coinbase");
  // 11.
  if (p.chainIndex !== expectedIndex(nonce, block.chainId, p.chainBranch.length)) return fail(11, "Aux POW wrong index");
  return { ok: true };
}
