/**
 * @module Each share record checked on its own before it is planned (issue 19 §2): the core does
 * not take an edge's word for what it can check. A record that fails is dead-lettered with its
 * reason and the rest of its entry is credited; Redis key names are only ever built from names the
 * config has and addresses that pass the coin's check.
 *
 * Checked: the port is configured and the record names the port's jobmanager; with a job, the
 * currency and algo are the port's coins' and the aux currencies are configured ones; an accepted
 * share has a job; the difficulty is finite, positive and at most the port's maximum (so no sum
 * can reach Infinity); the time is within `[now - maxAge, now + MAX_AHEAD_MS]`, maxAge being the
 * seen-set lifetime (an older record could not be told from one applied before); the address is
 * valid for one of the port's coins, or is the port's donate key or one of its alias targets;
 * the worker fits SimpleCoin's `<address>.<worker>` field.
 */
import { difficultyRange, type DifficultySettings } from "../../shared/config/difficulty.ts";
import { addressValidator, coinNetwork } from "../../shared/config/addresses.ts";
import type { CoinConfig } from "../../shared/config/schema.ts";
import { MAX_AGENT_STAMP, MAX_DIFFICULTY, ShareResult, type AgentRecordV1, type ShareRecordV1 } from "../../shared/contract/index.ts";

/** What the check reads of a stratum port's config (a resolved config's port fits). */
export interface PortCheckSettings extends DifficultySettings {
  readonly jobmanager: string;
  readonly aliases: Readonly<Record<string, string>>;
  readonly donate_key: string;
  readonly valid_address_versions: readonly number[];
}

/** The parts of the config the check needs (a resolved `Config` fits). */
export interface RecordCheckSettings {
  readonly coins: Readonly<Record<string, { readonly currency: string; readonly algo: string; readonly network: CoinConfig["network"]; readonly merged: readonly string[] }>>;
  readonly aux: Readonly<Record<string, { readonly currency: string }>>;
  readonly switchers: Readonly<Record<string, { readonly jobmanagers: readonly string[] }>>;
  readonly stratum: Readonly<Record<string, PortCheckSettings>>;
}

/** How far ahead of the core's clock a share time may be (edge clocks drift; more is a broken edge). */
export const MAX_AHEAD_MS = 3_600_000;
/** SimpleCoin's worker: no `:` (slice entries), no whitespace or control characters, bounded. */
const WORKER = /^[\x21-\x39\x3b-\x7e]{0,64}$/;

interface PortRules {
  readonly jobmanager: string;
  readonly currencies: ReadonlySet<string>;
  readonly algos: ReadonlySet<string>;
  readonly aux: ReadonlySet<string>;
  readonly maxDifficulty: number;
  readonly payees: ReadonlySet<string>;
  readonly isValidAddress: (address: string) => boolean;
}

/** `check(record, nowMs, maxAgeMs)`: why the record cannot be credited, or undefined. */
export type RecordCheck = (r: ShareRecordV1, nowMs: number, maxAgeMs: number) => string | undefined;

/** `check(record)`: why a PPAgent record cannot be written, or undefined. */
export type AgentCheck = (r: AgentRecordV1) => string | undefined;


export function createRecordCheck(cfg: RecordCheckSettings): RecordCheck {
  return createChecks(cfg).share;
}

/**
 * Agent records name keys after their address, worker and stamp (`status_<address>_<worker>`,
 * `hashrate_<minute>`): the address must be valid for the record's port (any configured port for
 * edges that predate `port`), the worker a SimpleCoin worker, the stamp a time.
 */
export function createAgentCheck(cfg: RecordCheckSettings): AgentCheck {
  return createChecks(cfg).agent;
}

function createChecks(cfg: RecordCheckSettings): { share: RecordCheck; agent: AgentCheck } {
  const ports = new Map<string, PortRules>();
  for (const [key, s] of Object.entries(cfg.stratum)) ports.set(key, portRules(cfg, s));
  const addressOk = new Map<string, boolean>();
  const validAddress = (port: string, p: PortRules, address: string): boolean => {
    if (p.payees.has(address)) return true;
    const memo = `${port}\n${address}`;
    let ok = addressOk.get(memo);
    if (ok === undefined) {
      ok = p.isValidAddress(address);
      // Addresses repeat share after share; the map is bounded so a hostile edge cannot grow it.
      if (addressOk.size >= 100_000) addressOk.clear();
      addressOk.set(memo, ok);
    }
    return ok;
  };
  const agent: AgentCheck = (r) => {
    if (!(r.stamp >= 0 && r.stamp <= MAX_AGENT_STAMP)) return `stamp ${r.stamp} is not a time in seconds`;
    if (!WORKER.test(r.worker)) return `worker ${quote(r.worker)} is not a SimpleCoin worker name (printable, no ":", at most 64)`;
    if (r.port !== undefined) {
      const p = ports.get(r.port);
      if (!p) return `port ${quote(r.port)} is not configured`;
      return validAddress(r.port, p, r.address) ? undefined : `address ${quote(r.address)} is not valid for port ${r.port}'s coins`;
    }
    for (const [key, p] of ports) if (validAddress(key, p, r.address)) return undefined;
    return `address ${quote(r.address)} is not valid for any configured port`;
  };
  const share: RecordCheck = (r, now, maxAgeMs) => {
    const p = ports.get(r.port);
    if (!p) return `port ${quote(r.port)} is not configured`;
    if (r.jobmanager !== p.jobmanager) return `jobmanager ${quote(r.jobmanager)} is not port ${r.port}'s (${p.jobmanager})`;
    if (!(r.difficulty > 0 && r.difficulty <= p.maxDifficulty)) return `difficulty ${r.difficulty} is outside port ${r.port}'s (0, ${p.maxDifficulty}]`;
    if (!(r.time >= now - maxAgeMs && r.time <= now + MAX_AHEAD_MS)) return `time ${r.time} is outside [now - ${maxAgeMs} ms, now + ${MAX_AHEAD_MS} ms] (now ${now})`;
    if (r.jobId === "") {
      // No job: PowerPool's UNKNOWN currency (the jobmanager) and no algo; counted, never credited to a block.
      if (r.result === ShareResult.acc) return "an accepted share without a job";
      if (r.currency !== p.jobmanager && !p.currencies.has(r.currency)) return `currency ${quote(r.currency)} is not port ${r.port}'s`;
      if (r.algo !== "" && !p.algos.has(r.algo)) return `algo ${quote(r.algo)} is not port ${r.port}'s`;
      if (r.aux.length > 0) return "aux currencies without a job";
    } else {
      if (!p.currencies.has(r.currency)) return `currency ${quote(r.currency)} is not port ${r.port}'s`;
      if (!p.algos.has(r.algo)) return `algo ${quote(r.algo)} is not port ${r.port}'s`;
      const badAux = r.aux.find((a) => !p.aux.has(a));
      if (badAux !== undefined) return `aux currency ${quote(badAux)} is not configured for port ${r.port}`;
    }
    if (!WORKER.test(r.worker)) return `worker ${quote(r.worker)} is not a SimpleCoin worker name (printable, no ":", at most 64)`;
    if (!validAddress(r.port, p, r.address)) return `address ${quote(r.address)} is not valid for port ${r.port}'s coins`;
    return undefined;
  };
  return { share, agent };
}

function portRules(cfg: RecordCheckSettings, s: PortCheckSettings): PortRules {
  const coinKeys = cfg.coins[s.jobmanager] ? [s.jobmanager] : [...(cfg.switchers[s.jobmanager]?.jobmanagers ?? [])];
  const coins = coinKeys.flatMap((k) => cfg.coins[k] ?? []);
  return {
    jobmanager: s.jobmanager,
    currencies: new Set(coins.map((c) => c.currency)),
    algos: new Set(coins.map((c) => c.algo)),
    aux: new Set(coins.flatMap((c) => c.merged.flatMap((a) => cfg.aux[a]?.currency ?? []))),
    maxDifficulty: Math.min(difficultyRange(s).max, MAX_DIFFICULTY),
    payees: new Set([s.donate_key, ...Object.values(s.aliases)]),
    isValidAddress: addressValidator(
      coins.map((c) => coinNetwork(c.network)),
      s.valid_address_versions,
    ),
  };
}

function quote(s: string): string {
  return JSON.stringify(s.length > 64 ? `${s.slice(0, 64)}…` : s);
}
