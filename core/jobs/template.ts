/**
 * @module getblocktemplate (BIP22/23, BIP9 `rules`, BIP141, Litecoin's MWEB) as the job builder
 * uses it: the request, a checked view of the answer, and the fingerprint the dirty check compares.
 *
 * Fields kept (spec §5.3, with §15 item 23 fixed): `version`, `previousblockhash`, `height`, `bits`,
 * `curtime`, `mintime`, `coinbasevalue`, `rules` (segwit is active on "!segwit"), every
 * transaction's `data` / `txid` / `hash` (wtxid) / `fee`, `default_witness_commitment`, and
 * `mweb` (Litecoin: the serialized MWEB block that the submitted block must carry, see mweb.ts).
 */
import { describe } from "./describe.ts";

export interface TemplateTx {
  /** Raw transaction hex, exactly as it goes into the block (with witness; the HogEx last on MWEB chains). */
  readonly data: string;
  /** Display-order txid: the merkle tree leaf. Never sha256d(data), which is the wtxid for segwit txs. */
  readonly txid: string;
  /** Display-order wtxid (BIP141), for the witness commitment; equals txid when the tx has no witness. */
  readonly hash: string;
  /** Satoshis. */
  readonly fee: bigint;
}

export interface BlockTemplate {
  readonly version: number;
  /** Display-order hex. */
  readonly previousblockhash: string;
  readonly height: number;
  /** 8 lowercase hex digits, compact target. */
  readonly bits: string;
  readonly curtime: number;
  readonly mintime: number;
  /** Satoshis: subsidy plus fees. */
  readonly coinbasevalue: bigint;
  readonly rules: readonly string[];
  readonly transactions: readonly TemplateTx[];
  /** Script hex (6a24aa21a9ed ‖ 32 bytes), present when the node computed one. */
  readonly defaultWitnessCommitment: string | null;
  /** Litecoin MWEB block hex (mw::Block serialization), present once MWEB is active. */
  readonly mweb: string | null;
}

/** The request: `rules` from the coin's config ("segwit", plus "mweb" for Litecoin-family coinservers). */
export function templateRequest(rules: readonly string[]): [{ rules: string[]; capabilities: string[] }] {
  return [{ rules: [...rules], capabilities: ["coinbasevalue"] }];
}

const HASH = /^[0-9a-fA-F]{64}$/;
const HEX = /^(?:[0-9a-fA-F]{2})*$/;

/** Checks a getblocktemplate answer; throws TypeError "getblocktemplate.<field>: expected …, got …". */
export function parseTemplate(raw: unknown): BlockTemplate {
  const w = "getblocktemplate";
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new TypeError(`${w}: expected an object, got ${describe(raw)}`);
  const t = raw as Record<string, unknown>;
  const int = (k: string, min: number, max: number): number => {
    const v = t[k];
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) throw new TypeError(`${w}.${k}: expected an integer in [${min}, ${max}], got ${describe(v)}`);
    return v;
  };
  const version = int("version", -0x80000000, 0xffffffff);
  const height = int("height", 0, 0x7fffffff);
  const curtime = int("curtime", 0, 0xffffffff);
  const mintime = t.mintime === undefined ? curtime : int("mintime", 0, 0xffffffff);
  const previousblockhash = t.previousblockhash;
  if (typeof previousblockhash !== "string" || !HASH.test(previousblockhash))
    throw new TypeError(`${w}.previousblockhash: expected 64 hex digits, got ${describe(previousblockhash)}`);
  const bits = t.bits;
  if (typeof bits !== "string" || !/^[0-9a-fA-F]{8}$/.test(bits)) throw new TypeError(`${w}.bits: expected 8 hex digits, got ${describe(bits)}`);
  const rules = t.rules === undefined ? [] : t.rules;
  if (!Array.isArray(rules) || !rules.every((r) => typeof r === "string")) throw new TypeError(`${w}.rules: expected a list of strings, got ${describe(rules)}`);
  const txs = t.transactions;
  if (!Array.isArray(txs)) throw new TypeError(`${w}.transactions: expected a list, got ${describe(txs)}`);
  const dwc = t.default_witness_commitment;
  if (dwc !== undefined && (typeof dwc !== "string" || !HEX.test(dwc)))
    throw new TypeError(`${w}.default_witness_commitment: expected script hex, got ${describe(dwc)}`);
  const mweb = t.mweb;
  if (mweb !== undefined && (typeof mweb !== "string" || mweb.length === 0 || !HEX.test(mweb)))
    throw new TypeError(`${w}.mweb: expected MWEB block hex, got ${describe(mweb)}`);
  return {
    version,
    previousblockhash: previousblockhash.toLowerCase(),
    height,
    bits: bits.toLowerCase(),
    curtime,
    mintime,
    coinbasevalue: satoshis(t.coinbasevalue, `${w}.coinbasevalue`),
    rules: rules as string[],
    transactions: txs.map((x, i) => parseTx(x, `${w}.transactions[${i}]`)),
    defaultWitnessCommitment: dwc === undefined ? null : dwc.toLowerCase(),
    mweb: mweb === undefined ? null : mweb.toLowerCase(),
  };
}

function parseTx(raw: unknown, where: string): TemplateTx {
  if (typeof raw !== "object" || raw === null) throw new TypeError(`${where}: expected an object, got ${describe(raw)}`);
  const x = raw as Record<string, unknown>;
  if (typeof x.data !== "string" || x.data.length === 0 || !HEX.test(x.data)) throw new TypeError(`${where}.data: expected transaction hex, got ${describe(x.data)}`);
  if (typeof x.txid !== "string" || !HASH.test(x.txid)) throw new TypeError(`${where}.txid: expected 64 hex digits, got ${describe(x.txid)}`);
  // Pre-segwit nodes send no `hash`: without a witness the wtxid is the txid.
  const hash = x.hash === undefined ? x.txid : x.hash;
  if (typeof hash !== "string" || !HASH.test(hash)) throw new TypeError(`${where}.hash: expected 64 hex digits, got ${describe(hash)}`);
  return { data: x.data.toLowerCase(), txid: x.txid.toLowerCase(), hash: hash.toLowerCase(), fee: satoshis(x.fee ?? 0, `${where}.fee`) };
}

function satoshis(v: unknown, where: string): bigint {
  if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === "bigint" && v >= 0n) return v;
  throw new TypeError(`${where}: expected a whole number of satoshis >= 0, got ${describe(v)}`);
}

/**
 * What makes two templates produce different work: everything the block commits to except the
 * clock. PowerPool compared whole templates plus its own `update_time`, so every refresh looked
 * dirty (spec §5.3 step 5, §15 item 9); `curtime` alone changing is no reason for a new job.
 */
export function templateFingerprint(t: BlockTemplate): string {
  return [
    t.previousblockhash,
    t.height,
    t.version,
    t.bits,
    t.coinbasevalue,
    t.rules.join(","),
    t.defaultWitnessCommitment ?? "",
    t.transactions.map((x) => x.hash).join(""),
    t.mweb === null ? "" : Bun.hash(t.mweb).toString(16),
  ].join("|");
}

/** Σ fees of the template's transactions (PowerPool's `fee_total`). */
export function templateFees(t: BlockTemplate): bigint {
  let sum = 0n;
  for (const x of t.transactions) sum += x.fee;
  return sum;
}
