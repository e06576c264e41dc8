/**
 * @module Audit rates per algorithm: the config's `audit.<algo>` over defaults by PoW function,
 * chosen so that auditing costs the core little next to applying shares (bench:ingest) while an
 * edge inventing 1% of its shares is caught within the hour with ≥ 99.9% probability (README).
 */
import type { Config } from "../../shared/config/load.ts";
import type { AlgorithmInfo, PowFunction } from "../../shared/pow/index.ts";

export interface AuditRate {
  /** Audits an hour each edge should get (p = per_hour / the edge's accepted shares an hour). */
  readonly perHour: number;
  /** Least fraction of an edge's accepted shares audited, however many it sends. */
  readonly minFraction: number;
}

/**
 * Defaults by PoW function: fewer audits where one re-hash costs more (measured, one core: sha256d
 * ~8 µs, x11 ~25 µs, scrypt ~0.5 ms, scrypt-N ~28 ms at 2026 Vertcoin N). min_fraction bounds the
 * cost a record when an edge is very busy (the ingest applies a record in ~4.5 µs; bench:ingest).
 */
export const DEFAULT_AUDIT_RATES: Readonly<Record<PowFunction, AuditRate>> = {
  sha256d: { perHour: 7200, minFraction: 0.01 },
  x11: { perHour: 3600, minFraction: 0.005 },
  scrypt: { perHour: 1800, minFraction: 0.001 },
  scryptn: { perHour: 900, minFraction: 0.0001 },
};

/** Rates of an algorithm name that is not configured: the cheapest default (its shares cannot be hashed anyway). */
const UNKNOWN: AuditRate = DEFAULT_AUDIT_RATES.scryptn;

/** The rate of each algorithm name: `audit.<name>` keys over the default of its PoW function. */
export function auditRates(cfg: Pick<Config, "audit" | "algorithms">): (algo: string) => AuditRate {
  const out = new Map<string, AuditRate>();
  const algos: Readonly<Record<string, AlgorithmInfo>> = cfg.algorithms;
  for (const [name, info] of Object.entries(algos)) {
    const base = DEFAULT_AUDIT_RATES[info.pow];
    const own = Object.hasOwn(cfg.audit, name) ? cfg.audit[name] : undefined;
    out.set(name, { perHour: own?.per_hour ?? base.perHour, minFraction: own?.min_fraction ?? base.minFraction });
  }
  return (algo) => out.get(algo) ?? UNKNOWN;
}
