/**
 * @module Authorize username → (payout address, worker), PowerPool spec §2.5.
 *
 * `ADDRESS.worker`: split at the first dot; the address is trimmed and checked for the coin's
 * network (and `valid_address_versions`); the worker keeps `[A-Za-z0-9[]_]`, every other run of
 * characters (non-ASCII included) becomes one `-`, cut to 16. An invalid address falls back to an
 * alias (its alphanumerics, lower-cased) or the donate key. Authorization never fails.
 */

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

/** Shared with the core, which checks every share record's address the same way. */
export { addressValidator } from "../../shared/config/addresses.ts";
