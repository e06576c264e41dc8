/**
 * @module Payout-address checks remembered per port. Decoding and checksumming an address costs a
 * few microseconds and several KiB of short-lived allocations; farms authorize thousands of rigs
 * with one address, and a reconnect storm repeats every check at once. Both answers are kept (an
 * invalid address stays invalid), the oldest dropped first once `size` are known.
 */

export const ADDRESS_CHECKS_KEPT = 4096;

export function rememberAddressChecks(check: (address: string) => boolean, size = ADDRESS_CHECKS_KEPT): (address: string) => boolean {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`rememberAddressChecks: expected a positive size, got ${size}`);
  const known = new Map<string, boolean>();
  return (address) => {
    let ok = known.get(address);
    if (ok === undefined) {
      ok = check(address);
      if (known.size >= size) known.delete(known.keys().next().value!);
      known.set(address, ok);
    }
    return ok;
  };
}
