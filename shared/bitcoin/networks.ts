/**
 * @module Address prefixes per network: the bech32 HRP and the base58 version bytes.
 *
 * Sources: Bitcoin Core src/kernel/chainparams.cpp (main 0x00/0x05 "bc"; test 0x6f/0xc4 "tb";
 * regtest 0x6f/0xc4 "bcrt"); bcoin 1.0.2 regtest (0x3c "R…", 0x26 "G…", "rb"; shared/spec/bcoin-regtest.md,
 * Gotcha 1); Litecoin Core src/chainparams.cpp (main PUBKEY 48 "L…", SCRIPT 5 "3…" and SCRIPT2 50 "M…",
 * "ltc"; testnet 111/196/58 "tltc"; regtest the same versions, "rltc").
 * A coin whose P2SH has two versions (Litecoin's old 5 and new 50) lists both; the first is canonical
 * (used when encoding).
 */
import { assertInt, describe } from "./bytes.ts";

export interface Network {
  /** Name used in config and error messages. */
  readonly name: string;
  /** Bech32/Bech32m human-readable part for segwit addresses (lowercase). */
  readonly bech32: string;
  /** Base58Check version bytes of P2PKH addresses; [0] is canonical. */
  readonly pubKeyHash: readonly number[];
  /** Base58Check version bytes of P2SH addresses; [0] is canonical. */
  readonly scriptHash: readonly number[];
}

/** A network as config may give it: one version byte or several for each kind. */
export interface NetworkSpec {
  readonly name?: string;
  readonly bech32: string;
  readonly pubKeyHash: number | readonly number[];
  readonly scriptHash: number | readonly number[];
}

export const NETWORKS = {
  bitcoin: { name: "bitcoin", bech32: "bc", pubKeyHash: [0x00], scriptHash: [0x05] },
  "bitcoin-testnet": { name: "bitcoin-testnet", bech32: "tb", pubKeyHash: [0x6f], scriptHash: [0xc4] },
  "bitcoin-regtest": { name: "bitcoin-regtest", bech32: "bcrt", pubKeyHash: [0x6f], scriptHash: [0xc4] },
  "bcoin-regtest": { name: "bcoin-regtest", bech32: "rb", pubKeyHash: [0x3c], scriptHash: [0x26] },
  litecoin: { name: "litecoin", bech32: "ltc", pubKeyHash: [0x30], scriptHash: [0x32, 0x05] },
  "litecoin-testnet": { name: "litecoin-testnet", bech32: "tltc", pubKeyHash: [0x6f], scriptHash: [0x3a, 0xc4] },
  "litecoin-regtest": { name: "litecoin-regtest", bech32: "rltc", pubKeyHash: [0x6f], scriptHash: [0x3a, 0xc4] },
} as const satisfies Record<string, Network>;

export type NetworkName = keyof typeof NETWORKS;

/** A network by table name, or a custom one from config (validated and normalised). */
export function resolveNetwork(network: NetworkName | string | NetworkSpec | Network): Network {
  if (typeof network === "string") {
    const found = (NETWORKS as Record<string, Network>)[network];
    if (!found) throw new RangeError(`resolveNetwork: expected one of ${Object.keys(NETWORKS).join(", ")}, got "${network}"`);
    return found;
  }
  if (typeof network !== "object" || network === null) throw new TypeError(`resolveNetwork: expected name or object, got ${describe(network)}`);
  const name = network.name ?? "custom";
  const where = `resolveNetwork(${name})`;
  if (typeof network.bech32 !== "string" || !/^[\x21-\x7e]{1,83}$/.test(network.bech32) || network.bech32 !== network.bech32.toLowerCase())
    throw new RangeError(`${where}: expected bech32 HRP of 1-83 lowercase printable characters, got ${describe(network.bech32)}`);
  const pubKeyHash = versionList(network.pubKeyHash, `${where}: pubKeyHash`);
  const scriptHash = versionList(network.scriptHash, `${where}: scriptHash`);
  const clash = pubKeyHash.find((v) => scriptHash.includes(v));
  if (clash !== undefined) throw new RangeError(`${where}: expected distinct P2PKH and P2SH versions, got 0x${clash.toString(16)} in both`);
  return { name, bech32: network.bech32, pubKeyHash, scriptHash };
}

function versionList(v: number | readonly number[], where: string): number[] {
  const list = typeof v === "number" ? [v] : Array.isArray(v) ? [...(v as readonly number[])] : null;
  if (!list || list.length === 0) throw new TypeError(`${where}: expected a version byte or a non-empty list, got ${describe(v)}`);
  list.forEach((x, i) => assertInt(x, `${where}[${i}]`, 0, 255));
  return list;
}
