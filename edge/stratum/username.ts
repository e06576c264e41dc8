/**
 * @module Authorize username → (payout address, worker), PowerPool spec §2.5.
 *
 * `ADDRESS.worker`: split at the first dot; the address is trimmed and checked for the coin's
 * network (and `valid_address_versions`); the worker keeps `[A-Za-z0-9[]_]`, every other run of
 * characters (non-ASCII included) becomes one `-`, cut to 16. An invalid address falls back to an
 * alias (its alphanumerics, lower-cased) or the donate key. Authorization never fails.
 */
import { parseAddress } from "../../shared/bitcoin/address.ts";
import type { NetworkName, NetworkSpec } from "../../shared/bitcoin/networks.ts";

export interface UsernameRules {
  /** True when the string is a payout address miners may use on this port. */
  isValidAddress(address: string): boolean;
  /** Lower-case alphanumeric alias → payout address. */
  readonly aliases: Readonly<Record<string, string>>;
  readonly donateKey: string;
}

export interface Credit {
  readonly address: string;
  readonly worker: string;
  /** How the address was found. */
  readonly via: "address" | "alias" | "donate";
}

const WORKER_DISALLOWED = /[^A-Za-z0-9[\]_]+/g;
const NON_ALNUM = /[^A-Za-z0-9]+/g;
const MAX_WORKER = 16;

export function parseUsername(username: string, rules: UsernameRules): Credit {
  const dot = username.indexOf(".");
  const rawAddress = (dot < 0 ? username : username.slice(0, dot)).trim();
  const worker = dot < 0 ? "" : username.slice(dot + 1).replace(WORKER_DISALLOWED, "-").slice(0, MAX_WORKER);
  if (rawAddress !== "" && rules.isValidAddress(rawAddress)) return { address: rawAddress, worker, via: "address" };
  const alias = rawAddress.replace(NON_ALNUM, "").toLowerCase();
  const aliased = Object.hasOwn(rules.aliases, alias) ? rules.aliases[alias] : undefined;
  if (aliased !== undefined) return { address: aliased, worker, via: "alias" };
  return { address: rules.donateKey, worker, via: "donate" };
}

/**
 * An address check for one or more networks (a switching port accepts an address of any of its
 * coins). Never throws: miner input.
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
