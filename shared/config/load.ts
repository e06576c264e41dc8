/**
 * @module Reads the YAML file, validates it and resolves what later code should not re-derive:
 * currencies, algorithms, jobmanager/reporter bindings, vardiff tiers and port offsets.
 */
import { parseDocument } from "yaml";
import type { z } from "zod";
import { BUILTIN_ALGORITHMS, type AlgorithmInfo } from "../pow/algorithms.ts";
import { checkConfig, type AddressChecker, type SectionNames } from "./checks.ts";
import { ConfigError, problemsFromIssues, type ConfigProblem } from "./problems.ts";
import { configSchema, edgeConfigSchema, edgeEntrySchemas, entrySchemas, sectionSchemas, type AuxConfig, type CoinConfig, type EdgePoolConfig, type PoolConfig, type StratumConfig } from "./schema.ts";
import { coreOnlyKeysIn, edgeView, type EdgeView } from "./edge-view.ts";

export interface ResolvedCoin extends CoinConfig {
  readonly key: string;
  /** The coin's setting, else its algorithm's default. */
  readonly pow_block_hash: boolean;
  readonly currency: string;
  readonly algorithm: AlgorithmInfo;
  /** The coin's diff1 if set, else its algorithm's. */
  readonly diff1: bigint;
  readonly hashesPerShare: number;
  /** Whether getblockcount polling runs (PowerPool: `poll`, or unset and no push notifications). */
  readonly polling: boolean;
}

export interface ResolvedAux extends AuxConfig {
  readonly key: string;
  readonly currency: string;
  readonly algorithm: AlgorithmInfo;
}

export interface ResolvedStratum extends StratumConfig {
  readonly key: string;
  readonly jobmanager: string;
  readonly reporter: string | undefined;
  /** Vardiff tiers, ascending: the configured list, or min…max by doubling; empty when vardiff is off and none given. */
  readonly tiers: readonly number[];
  /** `port + server_number`. */
  readonly listenPort: number;
  /** `port + agent.port_diff + server_number`, or null when the agent server is off. */
  readonly agentPort: number | null;
}

export interface Config extends Omit<PoolConfig, "coins" | "aux" | "stratum" | "defaults"> {
  readonly file: string;
  readonly algorithms: Readonly<Record<string, AlgorithmInfo>>;
  readonly coins: Readonly<Record<string, ResolvedCoin>>;
  readonly aux: Readonly<Record<string, ResolvedAux>>;
  readonly stratum: Readonly<Record<string, ResolvedStratum>>;
  /** `procname_<server_number>`, the statsd prefix and `{server_name}`. */
  readonly procname: string;
  readonly monitorPort: number;
  readonly datagramPort: number;
}

export interface LoadOptions {
  readonly addresses: AddressChecker;
  /** Added to `pool.server_number` (PowerPool's `-s`). */
  readonly serverNumberOffset?: number;
}

export async function loadConfigFile(file: string, opts: LoadOptions): Promise<Config> {
  return parseConfig(await readConfigText(file), file, opts);
}

/**
 * An edge's config (`bun run edge`): the edge view of the file, which may omit everything only the
 * core reads (coinservers, reporters, monitor, datagrams). A full pool config is accepted too; what
 * it holds that the edge must not is listed in `coreOnlyKeys` (the edge warns) and is not kept.
 */
export async function loadEdgeConfigFile(file: string, opts: LoadOptions): Promise<EdgeView> {
  return parseEdgeConfig(await readConfigText(file), file, opts);
}

async function readConfigText(file: string): Promise<string> {
  const f = Bun.file(file);
  if (!(await f.exists())) throw new ConfigError(file, [{ path: "", expected: "a readable YAML file", found: "no such file" }]);
  return f.text();
}

export function parseConfig(text: string, file: string, opts: LoadOptions): Config {
  return resolve(validate(text, file, opts, "core"), file, opts.serverNumberOffset ?? 0);
}

export function parseEdgeConfig(text: string, file: string, opts: LoadOptions): EdgeView {
  const parsed = validate(text, file, opts, "edge");
  // resolve() only copies coinservs and pool_address, which the edge view then drops.
  return edgeView(resolve(parsed as PoolConfig, file, opts.serverNumberOffset ?? 0), coreOnlyKeysIn(parsed));
}

/** The file's YAML with `defaults:` merged in: what the schema validates (edge-config strips it). */
export function readYaml(text: string, file: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => ({ path: "", expected: "valid YAML", found: `${e.code} at line ${e.linePos?.[0]?.line ?? "?"}: ${e.message.split("\n")[0]}` })),
    );
  }
  return applyDefaults(doc.toJS({ maxAliasCount: 100 }) ?? {});
}

function validate(text: string, file: string, opts: LoadOptions, role: "core"): PoolConfig;
function validate(text: string, file: string, opts: LoadOptions, role: "edge"): EdgePoolConfig;
function validate(text: string, file: string, opts: LoadOptions, role: "core" | "edge"): EdgePoolConfig {
  const merged = readYaml(text, file);
  const schema = role === "core" ? configSchema : edgeConfigSchema;
  const parsed = schema.safeParse(merged, { reportInput: true });
  if (!parsed.success) {
    // Shape mistakes first, then the reference mistakes among the entries that did parse, so one
    // run lists everything.
    const problems = problemsFromIssues(parsed.error.issues, (p) => keysAt(schema, p));
    const salvaged = salvage(merged, role === "core" ? entrySchemas : edgeEntrySchemas);
    if (salvaged) problems.push(...checkConfig(salvaged.config, opts.addresses, salvaged.names));
    throw new ConfigError(file, problems);
  }
  const problems: ConfigProblem[] = checkConfig(parsed.data, opts.addresses);
  if (problems.length > 0) throw new ConfigError(file, problems);
  return parsed.data;
}

/** The entries of a broken file that parse on their own, with every entry's name (valid or not). */
function salvage(raw: unknown, schemas: typeof entrySchemas | typeof edgeEntrySchemas): { config: EdgePoolConfig; names: SectionNames } | undefined {
  if (!isPlain(raw)) return undefined;
  const out: Record<string, unknown> = {};
  for (const [section, schema] of Object.entries(sectionSchemas)) {
    const r = (schema as z.ZodType).safeParse(raw[section]);
    out[section] = r.success ? r.data : (schema as z.ZodType).parse(undefined);
  }
  const names = {} as Record<keyof typeof entrySchemas, string[]>;
  for (const [section, schema] of Object.entries(schemas) as [keyof typeof entrySchemas, z.ZodType][]) {
    const entries = isPlain(raw[section]) ? raw[section] : {};
    names[section] = Object.keys(entries);
    const ok: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(entries)) {
      const r = schema.safeParse(value);
      if (r.success) ok[key] = r.data;
    }
    out[section] = ok;
  }
  return { config: out as EdgePoolConfig, names };
}

/** PowerPool-style `defaults:` — per-kind values deep-merged under every entry of that kind. */
function applyDefaults(raw: unknown): unknown {
  if (!isPlain(raw) || !isPlain(raw.defaults)) return raw;
  const out: Record<string, unknown> = { ...raw };
  for (const kind of ["coins", "aux", "stratum"] as const) {
    const base = raw.defaults[kind];
    const entries = raw[kind];
    if (!isPlain(base) || !isPlain(entries)) continue;
    out[kind] = Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, isPlain(v) ? deepMerge(base, v) : v]));
  }
  return out;
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isPlain(b) && isPlain(v) ? deepMerge(b, v) : v;
  }
  return out;
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function resolve(cfg: PoolConfig, file: string, serverOffset: number): Config {
  const serverNumber = cfg.pool.server_number + serverOffset;
  const algorithms: Record<string, AlgorithmInfo> = { ...BUILTIN_ALGORITHMS };
  for (const [name, a] of Object.entries(cfg.pool.algorithms)) {
    const base = BUILTIN_ALGORITHMS[name] ?? Object.values(BUILTIN_ALGORITHMS).find((b) => b.pow === a.pow);
    const s = a.scryptn;
    algorithms[name] = {
      name,
      pow: a.pow,
      diff1: a.diff1 ?? base?.diff1 ?? 0n,
      hashesPerShare: a.hashes_per_share ?? base?.hashesPerShare ?? 1,
      ...(s ? { scryptN: { chainStartTime: s.chain_start_time, minNfactor: s.min_nfactor, maxNfactor: s.max_nfactor } } : base?.scryptN ? { scryptN: base.scryptN } : {}),
    };
  }
  const algo = (name: string): AlgorithmInfo => {
    const a = algorithms[name];
    if (!a) throw new RangeError(`config: algorithm ${name} passed validation but is unknown`);
    return a;
  };

  const coins: Record<string, ResolvedCoin> = {};
  for (const [key, c] of Object.entries(cfg.coins)) {
    const algorithm = algo(c.algo);
    coins[key] = {
      ...c,
      key,
      currency: c.currency ?? key,
      algorithm,
      diff1: c.diff1 ?? algorithm.diff1,
      hashesPerShare: c.hashes_per_share ?? algorithm.hashesPerShare,
      pow_block_hash: c.pow_block_hash ?? algorithm.powBlockHash ?? false,
      polling: c.poll ?? true,
    };
  }
  const aux: Record<string, ResolvedAux> = {};
  for (const [key, a] of Object.entries(cfg.aux)) aux[key] = { ...a, key, currency: a.currency ?? key, algorithm: algo(a.algo) };

  const jobmanagers = [...Object.keys(cfg.coins), ...Object.keys(cfg.switchers)];
  const reporters = Object.keys(cfg.reporters);
  const stratum: Record<string, ResolvedStratum> = {};
  for (const [key, s] of Object.entries(cfg.stratum)) {
    stratum[key] = {
      ...s,
      key,
      jobmanager: s.jobmanager ?? jobmanagers[0] ?? "",
      reporter: s.reporter ?? (reporters.length === 1 ? reporters[0] : undefined),
      tiers: s.vardiff.tiers ?? (s.vardiff.enabled ? interpolateTiers(s.vardiff.minimum_difficulty, s.vardiff.maximum_difficulty) : []),
      listenPort: s.port + serverNumber,
      agentPort: s.agent.enabled ? s.port + s.agent.port_diff + serverNumber : null,
    };
  }

  const { defaults: _defaults, ...rest } = cfg;
  return {
    ...rest,
    pool: { ...cfg.pool, server_number: serverNumber },
    file,
    algorithms,
    coins,
    aux,
    stratum,
    procname: `${cfg.pool.procname}_${serverNumber}`,
    monitorPort: cfg.monitor.port + serverNumber,
    datagramPort: cfg.pool.datagram.port + serverNumber,
  };
}

/**
 * min, 2·min, 4·min … while below max, then max itself. Unlike PowerPool (spec §4.1) the list never
 * overshoots max and stays ascending.
 */
export function interpolateTiers(min: number, max: number): number[] {
  const tiers = [min];
  for (let t = min * 2; t < max; t *= 2) tiers.push(t);
  if (tiers[tiers.length - 1] !== max) tiers.push(max);
  return tiers;
}

type Def = Record<string, unknown> & { type: string };
const defOf = (n: unknown): Def => (n as { _zod: { def: Def } })._zod.def;

/** Strips default/optional/nullable/transform wrappers down to the schema that has the shape. */
function unwrap(n: unknown): unknown {
  for (;;) {
    const def = defOf(n);
    if (def.type === "default" || def.type === "prefault" || def.type === "optional" || def.type === "nullable") n = def.innerType;
    else if (def.type === "pipe") n = def.in;
    else return n;
  }
}

/** Keys allowed at a path of the schema, for "did you mean" hints. */
function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let node: unknown = schema;
  for (const part of path) {
    const def = defOf(unwrap(node));
    if (def.type === "object") node = (def.shape as Record<string, unknown>)[String(part)];
    else if (def.type === "record") node = def.valueType;
    else if (def.type === "array") node = def.element;
    else return [];
    if (node === undefined) return [];
  }
  const def = defOf(unwrap(node));
  if (def.type === "object") return Object.keys(def.shape as object);
  if (def.type === "union") return [...new Set((def.options as z.ZodType[]).flatMap((o) => keysAt(o, [])))];
  return [];
}

/** Every key name anywhere in the schema (for checking that config.example.yml documents them all). */
export function allSchemaKeys(schema: z.ZodType, out = new Set<string>()): Set<string> {
  const def = defOf(unwrap(schema));
  const children: unknown[] =
    def.type === "object" ? Object.values(def.shape as object) : def.type === "record" ? [def.valueType] : def.type === "array" ? [def.element] : def.type === "union" ? (def.options as unknown[]) : [];
  if (def.type === "object") for (const k of Object.keys(def.shape as object)) out.add(k);
  for (const c of children) allSchemaKeys(c as z.ZodType, out);
  return out;
}
