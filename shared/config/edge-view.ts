/**
 * @module What an edge may hold of the pool's config (issue 20 §1), in one place: the edge view a
 * running edge keeps (`edgeView`), and the config file `bun run edge-config` writes for an edge
 * (`edgeConfigDocument`). The rule: an edge keeps what its code reads — its stratum ports, the
 * coins they mine (algorithm, address network, version bits, share figures), `logging`, the share
 * and extranonce sizes of `pool`, and a Redis connection under its own ACL user. It never holds
 * coinserver entries or credentials, reporters (a Celery broker URL), the monitor, block-notify
 * datagram settings and secret, statsd, switchers' tuning, coinbase/template settings, other
 * edges' entries or the core's Redis password.
 *
 * Whitelists, not blacklists, for every section that holds another process's settings, so a key
 * added later stays off edges until someone decides an edge needs it.
 */
import type { Config, ResolvedAux, ResolvedCoin } from "./load.ts";
import { ConfigError, type ConfigProblem } from "./problems.ts";
import type { EdgeConfig, EdgePoolConfig } from "./schema.ts";

/** Keys of `pool` an edge reads (extranonce sizes, hashing table, shutdown timeout, process name). */
export const EDGE_POOL_KEYS = ["procname", "server_number", "term_timeout", "extranonce_serv_size", "extranonce_size", "algorithms"] as const;
/** Keys of a coin an edge reads: which hash to check, usernames' address network, version bits, hashrate figures. */
export const EDGE_COIN_KEYS = ["currency", "algo", "network", "merged", "diff1", "hashes_per_share", "pow_block_hash", "version_mask"] as const;
/** Keys of an aux chain an edge reads: its algorithm (hashers to load). */
export const EDGE_AUX_KEYS = ["currency", "algo"] as const;
/** Keys of a switcher an edge reads: the coins a switching port may hand out work for. */
export const EDGE_SWITCHER_KEYS = ["jobmanagers"] as const;

export type EdgeCoinView = Pick<ResolvedCoin, "key" | "algorithm" | "diff1" | "hashesPerShare" | (typeof EDGE_COIN_KEYS)[number]>;
export type EdgeAuxView = Pick<ResolvedAux, "key" | "algorithm" | (typeof EDGE_AUX_KEYS)[number]>;

/** The config as an edge holds it. A core `Config` is one too (tests start edges from a pool config). */
export interface EdgeView {
  readonly file: string;
  readonly pool: Pick<Config["pool"], (typeof EDGE_POOL_KEYS)[number]>;
  readonly logging: Config["logging"];
  readonly redis: Config["redis"];
  readonly algorithms: Config["algorithms"];
  readonly coins: Readonly<Record<string, EdgeCoinView>>;
  readonly aux: Readonly<Record<string, EdgeAuxView>>;
  readonly switchers: Readonly<Record<string, Pick<Config["switchers"][string], (typeof EDGE_SWITCHER_KEYS)[number]>>>;
  readonly stratum: Config["stratum"];
  readonly edges: Readonly<Record<string, Omit<EdgeConfig, "redis">>>;
  readonly procname: string;
  /** Core-only settings the file held (the edge warns: its config should come from `bun run edge-config`). */
  readonly coreOnlyKeys?: readonly string[];
}

const pick = <T extends object, K extends string>(o: T, keys: readonly K[]): Pick<T, K & keyof T> =>
  Object.fromEntries(keys.filter((k) => k in o).map((k) => [k, (o as Record<string, unknown>)[k]])) as Pick<T, K & keyof T>;

const omit = <T extends object>(o: T, keys: readonly string[]): T => Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k))) as T;

const mapValues = <V, W>(r: Readonly<Record<string, V>>, f: (v: V) => W): Record<string, W> => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, f(v)]));

/** The edge view of a loaded config: only what an edge reads stays in memory. */
export function edgeView(cfg: Config, coreOnlyKeys: readonly string[] = []): EdgeView {
  return {
    file: cfg.file,
    pool: pick(cfg.pool, EDGE_POOL_KEYS),
    logging: cfg.logging,
    redis: cfg.redis,
    algorithms: cfg.algorithms,
    coins: mapValues(cfg.coins, (c) => pick(c, ["key", "algorithm", "diff1", "hashesPerShare", ...EDGE_COIN_KEYS])),
    aux: mapValues(cfg.aux, (a) => pick(a, ["key", "algorithm", ...EDGE_AUX_KEYS])),
    switchers: mapValues(cfg.switchers, (s) => pick(s, EDGE_SWITCHER_KEYS)),
    stratum: cfg.stratum,
    edges: mapValues(cfg.edges, (e) => omit(e, ["redis"])),
    procname: cfg.procname,
    coreOnlyKeys,
  };
}

/** Paths of core-only secrets in a config an edge was given (coinservers, broker URLs, datagram secret, edges' Redis users). */
export function coreOnlyKeysIn(cfg: EdgePoolConfig): string[] {
  const out: string[] = [];
  for (const [k, c] of Object.entries(cfg.coins)) if (c.coinservs) out.push(`coins.${k}.coinservs`);
  for (const [k, a] of Object.entries(cfg.aux)) if (a.coinservs) out.push(`aux.${k}.coinservs`);
  for (const [k, r] of Object.entries(cfg.reporters)) if (r.type === "celery") out.push(`reporters.${k}.broker`);
  if (cfg.pool.datagram.secret !== undefined) out.push("pool.datagram.secret");
  for (const [k, e] of Object.entries(cfg.edges)) if (e.redis) out.push(`edges.${k}.redis`);
  return out;
}

type Raw = Record<string, unknown>;
const obj = (v: unknown): Raw => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Raw) : {});

/**
 * The config file of edge `edge`, from the pool's validated config `cfg` and its YAML `raw` (with
 * `defaults:` merged in): raw values, so the file reads like the operator's own, cut to the rule
 * above and to what this edge's ports mine. Its Redis connection carries `edges.<edge>.redis`
 * instead of the core's credentials; without that, a pool whose Redis needs a password is refused.
 */
export function edgeConfigDocument(raw: Raw, cfg: Config, edge: string): Raw {
  const e = cfg.edges[edge];
  if (!e) throw new ConfigError(cfg.file, [{ path: `edges.${edge}`, expected: `a configured edge (one of ${Object.keys(cfg.edges).join(", ") || "none"})` }]);
  const ports = e.ports ?? Object.keys(cfg.stratum);
  const jobmanagers = [...new Set(ports.map((p) => cfg.stratum[p]?.jobmanager ?? ""))];
  const coinKeys = [...new Set(jobmanagers.flatMap((jm) => cfg.switchers[jm]?.jobmanagers ?? [jm]))].filter((k) => cfg.coins[k]);
  const auxKeys = [...new Set(coinKeys.flatMap((k) => cfg.coins[k]?.merged ?? []))];
  const rawSection = (name: string) => obj(raw[name]);

  const doc: Raw = {
    pool: pick(rawSection("pool"), EDGE_POOL_KEYS),
    logging: rawSection("logging"),
    redis: edgeRedis(rawSection("redis"), e.redis, edge, cfg.file),
    coins: Object.fromEntries(coinKeys.map((k) => [k, pick(obj(rawSection("coins")[k]), EDGE_COIN_KEYS)])),
    aux: Object.fromEntries(auxKeys.map((k) => [k, pick(obj(rawSection("aux")[k]), EDGE_AUX_KEYS)])),
    switchers: Object.fromEntries(jobmanagers.filter((jm) => cfg.switchers[jm]).map((jm) => [jm, pick(obj(rawSection("switchers")[jm]), EDGE_SWITCHER_KEYS)])),
    // The edge's own ports whole (nothing in them is another process's), with the jobmanager
    // spelled out (it may have been implied by the pool's one coin) and no reporter (core-only).
    stratum: Object.fromEntries(ports.map((p) => [p, { ...omit(obj(rawSection("stratum")[p]), ["reporter"]), jobmanager: cfg.stratum[p]?.jobmanager }])),
    edges: { [edge]: omit(obj(rawSection("edges")[edge]), ["redis"]) },
  };
  for (const k of ["aux", "switchers"]) if (Object.keys(obj(doc[k])).length === 0) delete doc[k];
  return doc;
}

/** The pool's Redis section with the edge's own user in place of the core's credentials. */
function edgeRedis(redis: Raw, user: EdgeConfig["redis"], edge: string, file: string): Raw {
  const out = structuredClone(redis);
  const problems: ConfigProblem[] = [];
  const need = (where: string) =>
    problems.push({ path: `edges.${edge}.redis`, expected: `this edge's own Redis user (username, password): the pool's ${where} carries the core's password, which an edge must not hold` });
  if (typeof out.url === "string") {
    const url = new URL(out.url);
    if (user) {
      url.username = encodeURIComponent(user.username);
      url.password = encodeURIComponent(user.password);
    } else if (url.password !== "") need("redis.url");
    out.url = url.toString();
  }
  const sentinel = obj(out.sentinel);
  if (out.sentinel !== undefined) {
    if (user) Object.assign(sentinel, { username: user.username, password: user.password });
    else if (sentinel.password !== undefined) need("redis.sentinel.password");
    // Sentinels with users: the edge's own there too (redis-acl --for sentinel), never the core's.
    if (user && sentinel.sentinel_password !== undefined) Object.assign(sentinel, { sentinel_username: user.username, sentinel_password: user.password });
    else if (sentinel.sentinel_password !== undefined) need("redis.sentinel.sentinel_password");
  }
  const cluster = obj(out.cluster);
  if (out.cluster !== undefined && (user || cluster.password !== undefined)) {
    problems.push({ path: "redis.cluster", expected: "a single server or Sentinel: per-edge Redis users are not supported with Cluster yet" });
  }
  if (problems.length > 0) throw new ConfigError(file, problems);
  return out;
}
