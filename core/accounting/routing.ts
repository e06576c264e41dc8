/**
 * @module Which redis reporter(s) a share is written for: the port's reporter from the config
 * (`stratum.<port>.reporter`), a double reporter's redis children; celery reporters read the share
 * stream through their own consumer groups (core/reporters). Pool aggregates
 * (`pool_report_configs`) are compiled here once, at start-up, for both kinds.
 */
import type { ConfigProblem } from "../../shared/config/problems.ts";
import type { ReporterConfig } from "../../shared/config/schema.ts";
import { pyStr } from "./py-format.ts";
import type { PortCheckSettings, RecordCheckSettings } from "./record-check.ts";
import { compileFormat } from "./report-format.ts";

/** The part of `Config` accounting reads (a full `Config` fits). */
export interface AccountingSettings extends RecordCheckSettings {
  /** `{server_name}` of the worker format strings. */
  readonly procname: string;
  readonly reporters: Readonly<Record<string, ReporterConfig>>;
  readonly stratum: Readonly<Record<string, PortCheckSettings & { readonly reporter: string | undefined }>>;
  /** The clock share times are checked against; default Date.now (tests pin it to their records' times). */
  readonly now?: () => number;
}

export interface PoolReport {
  readonly user: string;
  readonly reportMerge: boolean;
  /** The worker string for a share of `algo` credited to `currency`. */
  worker(algo: string, currency: string): string;
}

export interface ReporterTarget {
  readonly key: string;
  /** `<N>` of `chain_<N>_shares` / `chain_<N>_slice`. */
  readonly chain: number;
  readonly poolReports: readonly PoolReport[];
}

export interface Routing {
  /** The reporters of a port's shares; undefined for a port the config does not have. */
  forPort(port: string): readonly ReporterTarget[] | undefined;
  /** Bad pool_report_configs (skipped) and other start-up findings, one per mistake. */
  readonly problems: readonly ConfigProblem[];
}

const BUILTIN_NAMES = ["algo", "currency", "server_name"] as const;

/**
 * A reporter's pool aggregates, compiled once. A bad `worker_format_string` or a reserved `attrs`
 * name is reported in `problems` (with its key path) and that pool report is skipped.
 */
export function compilePoolReports(key: string, r: { readonly attrs: Readonly<Record<string, string | number>>; readonly pool_report_configs: readonly { readonly user: string; readonly worker_format_string: string; readonly report_merge: boolean }[] }, procname: string, problems: ConfigProblem[]): PoolReport[] {
  const attrs: Record<string, string> = {};
  for (const [name, value] of Object.entries(r.attrs)) {
    if ((BUILTIN_NAMES as readonly string[]).includes(name)) {
      problems.push({ path: `reporters.${key}.attrs.${name}`, expected: `a name other than ${BUILTIN_NAMES.join(", ")} (built-in placeholders win)`, found: JSON.stringify(name) });
    } else attrs[name] = pyStr(value);
  }
  const allowed = new Set<string>([...BUILTIN_NAMES, ...Object.keys(attrs)]);
  const poolReports: PoolReport[] = [];
  r.pool_report_configs.forEach((pc, i) => {
    const compiled = compileFormat(pc.worker_format_string, allowed);
    if (!compiled.ok) {
      problems.push({ path: `reporters.${key}.pool_report_configs[${i}].worker_format_string`, expected: `a valid format (${compiled.reason}); this pool report is skipped`, found: JSON.stringify(pc.worker_format_string) });
      return;
    }
    poolReports.push({
      user: pc.user,
      reportMerge: pc.report_merge,
      worker: (algo, currency) => compiled.render({ ...attrs, algo, currency, server_name: procname }),
    });
  });
  return poolReports;
}

export function buildRouting(cfg: AccountingSettings): Routing {
  const problems: ConfigProblem[] = [];
  const targets = new Map<string, ReporterTarget>();
  for (const [key, r] of Object.entries(cfg.reporters)) {
    if (r.type !== "redis") continue;
    targets.set(key, { key, chain: r.chain, poolReports: compilePoolReports(key, r, cfg.procname, problems) });
  }

  const resolve = (reporterKey: string | undefined): ReporterTarget[] => {
    if (reporterKey === undefined) return [];
    const r = cfg.reporters[reporterKey];
    if (r?.type === "double") return r.reporters.flatMap((child) => (targets.has(child) ? [targets.get(child) as ReporterTarget] : []));
    const t = targets.get(reporterKey);
    return t ? [t] : [];
  };
  const byPort = new Map<string, ReporterTarget[]>();
  for (const [port, s] of Object.entries(cfg.stratum)) {
    const list = resolve(s.reporter);
    byPort.set(port, list);
    if (new Set(list.map((t) => t.chain)).size < list.length) {
      problems.push({ path: `stratum.${port}.reporter`, expected: "redis reporters with distinct chains (two on one chain count every share twice in that chain)", found: JSON.stringify(s.reporter) });
    }
  }
  return {
    problems,
    // Unknown ports have no reporter: the per-record check (record-check.ts) refuses their records first.
    forPort: (port) => byPort.get(port),
  };
}
