/**
 * @module Address ↔ output script for P2PKH, P2SH (Base58Check) and P2WPKH, P2WSH, P2TR and future
 * witness versions (Bech32/Bech32m), per network.
 *
 * Two entry points for two callers:
 * - `parseAddress` never throws: it returns `{ ok: false, error }`, for miner usernames (edge).
 * - `decodeAddress` / `addressToScript` throw a RangeError naming the problem, for config (`pool_address`).
 */
import { base58CheckDecode, base58CheckEncode } from "./base58.ts";
import { bech32Decode, decodeSegwitAddress, encodeSegwitAddress } from "./bech32.ts";
import { assertBytes, concatBytes, describe } from "./bytes.ts";
import { resolveNetwork, type Network, type NetworkName, type NetworkSpec } from "./networks.ts";
import { OP_0, OP_1, OP_16, p2pkhScript, p2shScript, witnessScript } from "./script.ts";

export type AddressType = "p2pkh" | "p2sh" | "p2wpkh" | "p2wsh" | "p2tr" | "witness";

export interface DecodedAddress {
  readonly type: AddressType;
  /** Base58 version byte (p2pkh/p2sh) or witness version (segwit types). */
  readonly version: number;
  /** hash160 for p2pkh/p2sh, the witness program otherwise. */
  readonly hash: Uint8Array;
  /** The output script (scriptPubKey) paying to this address. */
  readonly script: Uint8Array;
}

export type AddressResult = { readonly ok: true; readonly address: DecodedAddress } | { readonly ok: false; readonly error: string };

export interface ParseAddressOptions {
  /**
   * Only accept base58 addresses with one of these version bytes (PowerPool's `valid_address_versions`).
   * Segwit addresses are unaffected. Default: every version of the network.
   */
  readonly base58Versions?: readonly number[];
}

type NetworkArg = Network | NetworkName | NetworkSpec;

/** Validate and decode an address for `network` without throwing (miner input). */
export function parseAddress(address: string, network: NetworkArg, opts: ParseAddressOptions = {}): AddressResult {
  try {
    return { ok: true, address: decodeAddress(address, network, opts) };
  } catch (e) {
    if (e instanceof RangeError || e instanceof TypeError) return { ok: false, error: e.message };
    throw e;
  }
}

/** Decode an address for `network`, or throw a RangeError saying what is wrong. */
export function decodeAddress(address: string, network: NetworkArg, opts: ParseAddressOptions = {}): DecodedAddress {
  const net = resolveNetwork(network);
  const where = `decodeAddress(${net.name})`;
  if (typeof address !== "string" || address.length === 0) throw new TypeError(`${where}: expected address string, got ${describe(address)}`);
  const sep = address.lastIndexOf("1");
  // BIP173 HRPs are compared lowercase (a whole-uppercase address is valid).
  if (sep > 0 && address.slice(0, sep).toLowerCase() === net.bech32) return decodeSegwit(address, where);
  const otherHrp = bech32Hrp(address);
  if (otherHrp !== null) throw new RangeError(`${where}: wrong HRP: expected "${net.bech32}", got "${otherHrp}"`);
  return decodeBase58(address, net, where, opts);
}

/** The HRP if `text` is a checksum-valid Bech32/Bech32m string, else null. */
function bech32Hrp(text: string): string | null {
  try {
    return bech32Decode(text).hrp;
  } catch {
    return null;
  }
}

function decodeSegwit(address: string, where: string): DecodedAddress {
  let dec;
  try {
    dec = decodeSegwitAddress(address);
  } catch (e) {
    throw new RangeError(`${where}: ${(e as Error).message}`);
  }
  const { version, program } = dec;
  const type: AddressType =
    version === 0 ? (program.length === 20 ? "p2wpkh" : "p2wsh") : version === 1 && program.length === 32 ? "p2tr" : "witness";
  return { type, version, hash: program, script: witnessScript(version, program) };
}

function decodeBase58(address: string, net: Network, where: string, opts: ParseAddressOptions): DecodedAddress {
  let payload: Uint8Array;
  try {
    payload = base58CheckDecode(address);
  } catch (e) {
    const msg = (e as Error).message.replace(/^base58\w*: /, "");
    throw new RangeError(`${where}: not a "${net.bech32}" segwit address and not base58check: ${msg}`);
  }
  if (payload.length !== 21) throw new RangeError(`${where}: expected 21-byte base58 payload (version + hash160), got ${payload.length}`);
  const version = payload[0]!;
  const hash = payload.slice(1);
  const allowed = opts.base58Versions;
  if (allowed && !allowed.includes(version))
    throw new RangeError(`${where}: unknown version for network ${net.name}: expected one of ${hexList(allowed)}, got 0x${hex2(version)}`);
  if (net.pubKeyHash.includes(version)) return { type: "p2pkh", version, hash, script: p2pkhScript(hash) };
  if (net.scriptHash.includes(version)) return { type: "p2sh", version, hash, script: p2shScript(hash) };
  throw new RangeError(
    `${where}: unknown version for network ${net.name}: expected one of ${hexList([...net.pubKeyHash, ...net.scriptHash])}, got 0x${hex2(version)}`,
  );
}

function hex2(v: number): string {
  return v.toString(16).padStart(2, "0");
}

function hexList(vs: readonly number[]): string {
  return vs.map((v) => `0x${hex2(v)}`).join(", ");
}

/** The output script paying to `address` on `network`; throws RangeError for an invalid address. */
export function addressToScript(address: string, network: NetworkArg): Uint8Array {
  return decodeAddress(address, network).script;
}

/** Inverse of `addressToScript` for the standard templates (canonical version bytes); throws for other scripts. */
export function scriptToAddress(script: Uint8Array, network: NetworkArg): string {
  assertBytes(script, "scriptToAddress");
  const net = resolveNetwork(network);
  const n = script.length;
  if (n === 25 && script[0] === 0x76 && script[1] === 0xa9 && script[2] === 20 && script[23] === 0x88 && script[24] === 0xac)
    return base58CheckEncode(concatBytes(Uint8Array.of(net.pubKeyHash[0]!), script.subarray(3, 23)));
  if (n === 23 && script[0] === 0xa9 && script[1] === 20 && script[22] === 0x87)
    return base58CheckEncode(concatBytes(Uint8Array.of(net.scriptHash[0]!), script.subarray(2, 22)));
  const op = script[0]!;
  if (n >= 4 && n <= 42 && (op === OP_0 || (op >= OP_1 && op <= OP_16)) && script[1] === n - 2)
    return encodeSegwitAddress(net.bech32, op === OP_0 ? 0 : op - OP_1 + 1, script.subarray(2));
  throw new RangeError(`scriptToAddress: expected a P2PKH, P2SH or witness output script, got ${n} bytes starting 0x${hex2(op ?? 0)}`);
}
