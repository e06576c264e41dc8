/** @module The config's address checks, backed by the Bitcoin primitives. */
import { parseAddress } from "../bitcoin/address.ts";
import { NETWORKS, type NetworkName, type NetworkSpec } from "../bitcoin/networks.ts";
import type { AddressChecker } from "./checks.ts";
import type { CoinConfig } from "./schema.ts";

/** HRP for a custom network without segwit: no real address carries it, so bech32 input is refused. */
const NO_SEGWIT_HRP = "no-segwit";

/** A coin's `network` as the primitives take it (config spells custom tables in snake_case). */
export function coinNetwork(network: CoinConfig["network"]): NetworkName | NetworkSpec {
  // Names are checked against NETWORKS before any address is (checks.ts).
  if (typeof network === "string") return network as NetworkName;
  return { name: "custom", bech32: network.bech32 ?? NO_SEGWIT_HRP, pubKeyHash: network.pubkeyhash, scriptHash: network.scripthash };
}

export const addressChecker: AddressChecker = {
  networkNames: Object.keys(NETWORKS),
  check(address, network) {
    try {
      const r = parseAddress(address, coinNetwork(network));
      return r.ok ? undefined : r.error;
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    }
  },
};

/**
 * An address check for one or more networks (a switching port accepts an address of any of its
 * coins), used by edges on miners' usernames and by the core on share records. Never throws:
 * miner input.
 */
export function addressValidator(networks: readonly (NetworkName | NetworkSpec)[], validVersions: readonly number[]): (address: string) => boolean {
  const opts = validVersions.length > 0 ? { base58Versions: validVersions } : {};
  return (address) => {
    // Addresses are ASCII; anything else (or absurd length) is not worth decoding.
    if (address.length > 128 || !/^[\x21-\x7e]+$/.test(address)) return false;
    for (const network of networks) {
      try {
        if (parseAddress(address, network, opts).ok) return true;
      } catch {
        // A primitive that throws on odd input must not reach the socket.
      }
    }
    return false;
  };
}
