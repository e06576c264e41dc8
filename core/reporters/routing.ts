/**
 * @module Which shares and blocks reach which reporter, from the config: a celery reporter reports
 * the ports whose `reporter` is it or a double containing it; a found block goes to the reporters
 * of the ports whose job manager produces its currency (the coin, its merged aux chains, or a
 * switcher's coins). PowerPool sent a block to the reporter of the port it was found on; a block
 * here is recorded by the core, which knows its currency, not its port.
 */
import type { ReporterConfig } from "../../shared/config/schema.ts";

/** The part of `Config` the reporters read (a full `Config` fits). */
export interface ReportersSettings {
  readonly procname: string;
  readonly redis: { readonly prefix: string };
  readonly reporters: Readonly<Record<string, ReporterConfig>>;
  readonly stratum: Readonly<Record<string, { readonly reporter: string | undefined; readonly jobmanager: string }>>;
  readonly coins: Readonly<Record<string, { readonly currency: string; readonly merged: readonly string[] }>>;
  readonly aux: Readonly<Record<string, { readonly currency: string }>>;
  readonly switchers: Readonly<Record<string, { readonly jobmanagers: readonly string[] }>>;
}

/** The reporter keys a port's shares reach: its reporter, or a double's children. */
export function leafReporters(cfg: Pick<ReportersSettings, "reporters">, reporterKey: string | undefined): string[] {
  if (reporterKey === undefined) return [];
  const r = cfg.reporters[reporterKey];
  if (!r) return [];
  return r.type === "double" ? [...r.reporters] : [reporterKey];
}

/** Stratum port keys whose shares reach `leafKey`. */
export function portsOf(cfg: Pick<ReportersSettings, "reporters" | "stratum">, leafKey: string): Set<string> {
  const out = new Set<string>();
  for (const [port, s] of Object.entries(cfg.stratum)) if (leafReporters(cfg, s.reporter).includes(leafKey)) out.add(port);
  return out;
}

/** Currency → the reporter keys (as the ports name them) that record its blocks. */
export function blockRoutes(cfg: ReportersSettings): Map<string, string[]> {
  const out = new Map<string, Set<string>>();
  const add = (currency: string, reporter: string) => {
    let set = out.get(currency);
    if (!set) out.set(currency, (set = new Set()));
    set.add(reporter);
  };
  for (const s of Object.values(cfg.stratum)) {
    if (s.reporter === undefined) continue;
    const coins = cfg.switchers[s.jobmanager]?.jobmanagers ?? [s.jobmanager];
    for (const coinKey of coins) {
      const coin = cfg.coins[coinKey];
      if (!coin) continue;
      add(coin.currency, s.reporter);
      for (const auxKey of coin.merged) {
        const aux = cfg.aux[auxKey];
        if (aux) add(aux.currency, s.reporter);
      }
    }
  }
  return new Map([...out].map(([c, set]) => [c, [...set]]));
}
