/**
 * @module Checks the schema cannot express: references between components and combinations that
 * cannot work. Each returns problems rather than throwing, so one run reports every mistake.
 */
import { BUILTIN_ALGORITHMS } from "../pow/algorithms.ts";
import { closest, type ConfigProblem } from "./problems.ts";
import type { EdgePoolConfig } from "./schema.ts";

/** Address checks are injected so this module stays free of the Bitcoin code it would otherwise import. */
export interface AddressChecker {
  /** Known network names, for `coins.X.network`. */
  readonly networkNames: readonly string[];
  /** Returns an error text when `address` is not a valid payout address on `network`. */
  check(address: string, network: EdgePoolConfig["coins"][string]["network"]): string | undefined;
}

/** Names per keyed section; by default the config's own. A salvaged config passes the file's names. */
export type SectionNames = Record<"coins" | "aux" | "switchers" | "stratum" | "reporters", readonly string[]>;

/** Checks a core config or an edge one (whose coins may omit what only the core reads). */
export function checkConfig(cfg: EdgePoolConfig, addresses: AddressChecker, names?: SectionNames): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const ref = (path: string, kind: string, name: string, known: readonly string[]) => {
    if (known.includes(name)) return true;
    const hint = closest(name, known);
    out.push({
      path,
      expected: `the name of a configured ${kind}${hint ? ` (did you mean "${hint}"?)` : known.length ? ` (one of ${known.join(", ")})` : ` (none is configured)`}`,
      found: JSON.stringify(name),
    });
    return false;
  };

  const algoNames = [...new Set([...Object.keys(BUILTIN_ALGORITHMS), ...Object.keys(cfg.pool.algorithms)])];
  const powOf = (algo: string) => cfg.pool.algorithms[algo]?.pow ?? BUILTIN_ALGORITHMS[algo]?.pow;

  for (const [name, a] of Object.entries(cfg.pool.algorithms)) {
    if (a.pow === "scryptn" && !a.scryptn && !BUILTIN_ALGORITHMS[name]?.scryptN) {
      out.push({ path: `pool.algorithms.${name}.scryptn`, expected: "the N schedule (chain_start_time, min_nfactor, max_nfactor) for a scrypt-N algorithm" });
    }
    if (a.scryptn && a.scryptn.min_nfactor > a.scryptn.max_nfactor) {
      out.push({ path: `pool.algorithms.${name}.scryptn.min_nfactor`, expected: "a value no larger than max_nfactor", found: String(a.scryptn.min_nfactor) });
    }
  }

  for (const name of Object.keys(cfg.audit)) ref(`audit.${name}`, "algorithm", name, algoNames);

  const coinKeys = names?.coins ?? Object.keys(cfg.coins);
  const auxKeys = names?.aux ?? Object.keys(cfg.aux);
  const switcherKeys = names?.switchers ?? Object.keys(cfg.switchers);
  const jobmanagerKeys = [...coinKeys, ...switcherKeys];
  const reporterKeys = names?.reporters ?? Object.keys(cfg.reporters);
  const portKeys = names?.stratum ?? Object.keys(cfg.stratum);

  for (const key of coinKeys.filter((k) => switcherKeys.includes(k))) {
    out.push({ path: `switchers.${key}`, expected: "a name not already used by a coin (stratum ports name jobmanagers by key)", found: JSON.stringify(key) });
  }

  const currencies = new Map<string, string>();
  const claimCurrency = (path: string, cur: string) => {
    const prior = currencies.get(cur);
    if (prior) out.push({ path, expected: `a currency not already used by ${prior}`, found: JSON.stringify(cur) });
    else currencies.set(cur, path);
  };

  for (const [key, c] of Object.entries(cfg.coins)) {
    const base = `coins.${key}`;
    claimCurrency(`${base}.currency`, c.currency ?? key);
    ref(`${base}.algo`, "algorithm", c.algo, algoNames);
    if (typeof c.network === "string" && !addresses.networkNames.includes(c.network)) {
      ref(`${base}.network`, "network", c.network, addresses.networkNames);
    } else if (c.pool_address !== undefined) {
      const why = addresses.check(c.pool_address, c.network);
      if (why) out.push({ path: `${base}.pool_address`, expected: `a valid address for network ${typeof c.network === "string" ? c.network : "(custom)"} (${why})`, found: JSON.stringify(c.pool_address) });
    }
    if (c.poll === false && !cfg.pool.datagram.enabled) {
      out.push({ path: `${base}.poll`, expected: "true or null while pool.datagram is disabled (nothing else would tell the core about new blocks)", found: "false" });
    }
    if (c.block_method === "zmq" && !(c.coinservs ?? []).some((s) => s.zmq)) {
      out.push({ path: `${base}.block_method`, expected: "a coinserver with `zmq: tcp://host:port` (block_method zmq needs one)", found: "zmq" });
    }
    for (const [i, m] of c.merged.entries()) {
      if (!ref(`${base}.merged[${i}]`, "aux chain", m, auxKeys)) continue;
      const auxPow = powOf(cfg.aux[m]?.algo ?? "");
      const parentPow = powOf(c.algo);
      if (auxPow && parentPow && auxPow !== parentPow) {
        out.push({ path: `${base}.merged[${i}]`, expected: `an aux chain whose proof of work is ${parentPow} like this coin's (${m} checks ${auxPow})`, found: JSON.stringify(m) });
      }
    }
    checkCoinservers(`${base}.coinservs`, c.coinservs ?? [], out);
  }

  for (const [key, a] of Object.entries(cfg.aux)) {
    const base = `aux.${key}`;
    claimCurrency(`${base}.currency`, a.currency ?? key);
    ref(`${base}.algo`, "algorithm", a.algo, algoNames);
    if (a.payout.method === "createauxblock" && !a.payout.address) {
      out.push({ path: `${base}.payout.address`, expected: "a payout address (createauxblock needs one)" });
    }
    checkCoinservers(`${base}.coinservs`, a.coinservs ?? [], out);
  }

  for (const [key, s] of Object.entries(cfg.switchers)) {
    const algos = new Set<string>();
    for (const [i, jm] of s.jobmanagers.entries()) {
      const path = `switchers.${key}.jobmanagers[${i}]`;
      if (s.jobmanagers.indexOf(jm) < i) {
        out.push({ path, expected: "a coin not already listed in this switcher", found: JSON.stringify(jm) });
        continue;
      }
      // An aux chain has no jobs of its own: it is mined through its parents, never switched to.
      if (!coinKeys.includes(jm) && auxKeys.includes(jm)) {
        out.push({ path, expected: `the name of a configured coin (${jm} is an aux chain: merge-mined chains are mined through their parent coins)`, found: JSON.stringify(jm) });
        continue;
      }
      const pow = ref(path, "coin", jm, coinKeys) ? powOf(cfg.coins[jm]?.algo ?? "") : undefined;
      if (pow) algos.add(pow);
    }
    if (algos.size > 1) out.push({ path: `switchers.${key}.jobmanagers`, expected: "coins that share one proof-of-work algorithm", found: [...algos].join(" and ") });
  }

  for (const [key, r] of Object.entries(cfg.reporters)) {
    if (r.type !== "double") continue;
    for (const [i, child] of r.reporters.entries()) {
      if (child === key) out.push({ path: `reporters.${key}.reporters[${i}]`, expected: "another reporter (a double reporter cannot contain itself)", found: JSON.stringify(child) });
      else if (ref(`reporters.${key}.reporters[${i}]`, "reporter", child, reporterKeys) && cfg.reporters[child]?.type === "double") {
        out.push({ path: `reporters.${key}.reporters[${i}]`, expected: "a redis or celery reporter (double reporters do not nest)", found: JSON.stringify(child) });
      }
    }
  }

  const binds = new Map<string, string>();
  for (const [key, s] of Object.entries(cfg.stratum)) {
    const base = `stratum.${key}`;
    if (s.tls.mode !== "off") {
      if (s.tls.cert === null) out.push({ path: `${base}.tls.cert`, expected: `a PEM certificate chain file (tls.mode is ${s.tls.mode})` });
      if (s.tls.key === null) out.push({ path: `${base}.tls.key`, expected: `a PEM private key file (tls.mode is ${s.tls.mode})` });
    }
    const pp = s.proxy_protocol;
    if (pp.enabled && pp.required && pp.trusted.length === 0) {
      out.push({ path: `${base}.proxy_protocol.trusted`, expected: "at least one load balancer address when required is true (else every connection is refused)", found: "[]" });
    }
    if (s.jobmanager === undefined) {
      if (jobmanagerKeys.length !== 1) out.push({ path: `${base}.jobmanager`, expected: `the coin or switcher this port mines (required when there is not exactly one; configured: ${jobmanagerKeys.join(", ") || "none"})` });
    } else ref(`${base}.jobmanager`, "coin or switcher", s.jobmanager, jobmanagerKeys);
    if (s.reporter === undefined) {
      if (reporterKeys.length > 1) out.push({ path: `${base}.reporter`, expected: `the reporter for this port's shares (required when there are several: ${reporterKeys.join(", ")})` });
    } else ref(`${base}.reporter`, "reporter", s.reporter, reporterKeys);

    const v = s.vardiff;
    if (v.minimum_difficulty > v.maximum_difficulty) {
      out.push({ path: `${base}.vardiff.minimum_difficulty`, expected: "a value no larger than vardiff.maximum_difficulty", found: String(v.minimum_difficulty) });
    }
    if (v.tiers) {
      if (v.tiers.length === 0) out.push({ path: `${base}.vardiff.tiers`, expected: "at least one difficulty, or null to interpolate" });
      for (let i = 1; i < v.tiers.length; i++) {
        if ((v.tiers[i] ?? 0) <= (v.tiers[i - 1] ?? 0)) {
          out.push({ path: `${base}.vardiff.tiers[${i}]`, expected: `a strictly ascending list (this follows ${v.tiers[i - 1]})`, found: String(v.tiers[i]) });
          break;
        }
      }
    }
    if (s.idle_worker_disconnect_threshold < s.idle_worker_threshold) {
      out.push({ path: `${base}.idle_worker_disconnect_threshold`, expected: `at least idle_worker_threshold (${s.idle_worker_threshold})`, found: String(s.idle_worker_disconnect_threshold) });
    }
    const ports = [s.port, ...(s.agent.enabled ? [s.port + s.agent.port_diff] : [])];
    for (const p of ports) {
      const bind = `${s.address}:${p}`;
      const prior = binds.get(bind);
      if (prior) out.push({ path: `${base}.port`, expected: `a port not already used by ${prior}`, found: String(p) });
      else binds.set(bind, base);
    }
  }

  for (const [key, e] of Object.entries(cfg.edges)) {
    for (const [i, p] of (e.ports ?? []).entries()) ref(`edges.${key}.ports[${i}]`, "stratum port", p, portKeys);
  }

  const r = cfg.redis;
  const modes = [r.url, r.sentinel, r.cluster].filter((x) => x !== undefined).length;
  if (modes > 1) out.push({ path: "redis", expected: "only one of url, sentinel or cluster", found: `${modes} of them` });
  checkRedisSecurity(cfg, out);
  return out;
}

function checkCoinservers(path: string, servers: readonly { address: string; port: number }[], out: ConfigProblem[]): void {
  const seen = new Set<string>();
  for (const [i, s] of servers.entries()) {
    const id = `${s.address}:${s.port}`;
    if (seen.has(id)) out.push({ path: `${path}[${i}]`, expected: "a coinserver not listed twice", found: id });
    seen.add(id);
  }
}

/** Issue 20: TLS settings that cannot take effect, and edges' Redis users (one each, never shared). */
function checkRedisSecurity(cfg: EdgePoolConfig, out: ConfigProblem[]): void {
  const r = cfg.redis;
  if (r.tls && r.url?.startsWith("redis://")) out.push({ path: "redis.tls", expected: "a rediss:// url (redis.tls configures TLS, which redis:// does not use)", found: "redis://" });
  if (r.tls && (r.tls.cert_file === undefined) !== (r.tls.key_file === undefined)) {
    out.push({ path: `redis.tls.${r.tls.cert_file === undefined ? "cert_file" : "key_file"}`, expected: "the client certificate and its key together" });
  }
  const users = new Map<string, string>();
  for (const [key, e] of Object.entries(cfg.edges)) {
    if (!e.redis) continue;
    const prior = users.get(e.redis.username);
    if (prior) out.push({ path: `edges.${key}.redis.username`, expected: `a Redis user of this edge alone (edges.${prior} has it)`, found: JSON.stringify(e.redis.username) });
    else users.set(e.redis.username, key);
  }
}
