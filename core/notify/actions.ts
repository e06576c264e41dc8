/**
 * @module The allow-list: the only things a datagram can do. PowerPool looked the method up by name
 * on the component and ran it (spec §11, §15 item 1); here every accepted method means "refresh this
 * chain now", and only for keys in the config.
 */

/** Method names PowerPool's docs and scripts send for a main chain (`LTC getblocktemplate signal=1 __spawn=1`). */
export const COIN_METHODS: ReadonlySet<string> = new Set(["getblocktemplate", "refresh", "_check_new_jobs"]);
/** For an aux chain (`DOGE _check_new_jobs signal=1 _single_exec=True __spawn=1`). */
export const AUX_METHODS: ReadonlySet<string> = new Set(["_check_new_jobs", "refresh", "getauxblock"]);

/** Something that refreshes one chain: a coin's TipWatcher, or an aux chain's work poller. */
export interface Refreshable {
  notify(): void;
}

export interface NotifyTarget {
  readonly kind: "coin" | "aux";
  readonly target: Refreshable;
}

/** Targets by config key. Throws on a key that is both a coin and an aux chain (a config bug). */
export function buildNotifyTargets(coins: Readonly<Record<string, Refreshable>>, aux: Readonly<Record<string, Refreshable>> = {}): Map<string, NotifyTarget> {
  const out = new Map<string, NotifyTarget>();
  for (const [key, target] of Object.entries(coins)) out.set(key, { kind: "coin", target });
  for (const [key, target] of Object.entries(aux)) {
    if (out.has(key)) throw new RangeError(`buildNotifyTargets: expected distinct coin and aux keys, got ${key} in both`);
    out.set(key, { kind: "aux", target });
  }
  return out;
}

export function allowedMethods(kind: NotifyTarget["kind"]): ReadonlySet<string> {
  return kind === "coin" ? COIN_METHODS : AUX_METHODS;
}
