/**
 * @module The core's gate (issue 20 §3–§4): the leader reads every edge's own share and agent
 * streams (found by SCAN, at start and every few seconds) and the v1 shared streams, in group
 * `gateGroup`, and passes on to the verified streams — which the accounting, stats and reporters
 * read — only entries whose edge name is the one Redis bound the stream to and whose shares pass
 * the audit (core/gate/entries.ts). A failed audit quarantines the edge: its streams are not read
 * (the entries stay, held) until the operator's release or discard (core/gate/held.ts). The
 * quarantine lives in Redis, so it holds across core restarts and leader changes.
 *
 * Also: announces `contractVersion` for a whole core (edges write v2 once they see it), trims the edge streams up to
 * what the gate acknowledged, and removes the pre-gate consumer groups from the v1 streams (they
 * would keep those streams from ever being trimmed).
 */
import { hostname } from "node:os";
import Redis from "ioredis";
import { CONTRACT_VERSION, contractNames, type ContractNames } from "../../shared/contract/index.ts";
import type { Logger } from "../../shared/log.ts";
import type { RedisClient } from "../../shared/redis.ts";
import { NO_AUDIT, type ShareAuditor } from "../audit/types.ts";
import { Backoff } from "../ingest/backoff.ts";
import { DEFAULT_CONSUMER_TUNING, StreamConsumer, type ConsumerStatus, type ConsumerTuning } from "../ingest/consumer.ts";
import { tidyStream } from "../ingest/housekeeping.ts";
import { fencedTx, isFenced } from "../leader/fence.ts";
import type { StatsRegistry } from "../stats/index.ts";
import { createAgentGate, createShareGate, type GateContext, type GateSource, type GateTotals } from "./entries.ts";
import { settleHeld } from "./held.ts";
import { listQuarantined, type QuarantineState } from "./quarantine-store.ts";

export interface GateTuning extends ConsumerTuning {
  /** Between SCANs for new edge streams. */
  readonly discoverEveryMs: number;
  /** Between reads of the quarantine keys (new ones, and the operator's decisions). */
  readonly quarantinePollMs: number;
  /** Between trims of the edge streams; 0 turns them off. */
  readonly tidyEveryMs: number;
}

export const DEFAULT_GATE_TUNING: GateTuning = { ...DEFAULT_CONSUMER_TUNING, discoverEveryMs: 3000, quarantinePollMs: 1000, tidyEveryMs: 30_000 };

export interface GateOptions {
  /** The accounting Redis: one primary. */
  readonly redis: RedisClient;
  readonly prefix: string;
  readonly log: Logger;
  /** Consumer name in the gate group; default `<hostname>:<pid>` (stable names re-read their own pending entries after a restart). */
  readonly consumer?: string;
  /** Checks share records against the jobs the core issued (core/audit/); default none. */
  readonly auditor?: ShareAuditor;
  /** `redis.accept_contract_v1` (default true): read the v1 shared streams, where the payload names the edge. */
  readonly acceptV1?: boolean;
  readonly registry?: StatsRegistry;
  readonly tuning?: Partial<GateTuning>;
  /** Claim what other consumers left pending at once (a core that just took over: core/leader/). */
  readonly takeover?: boolean;
  /**
   * Announce contract v2 to the edges (`contractVersion`). Only a whole core does: v2 edges then
   * also wait for the core to assign their edge ids (core/edge-ids/), which startCore runs.
   */
  readonly announceContract?: boolean;
}

/**
 * Lifetime of the contract announcement, renewed every discovery round: if every v2 core stops (or
 * is rolled back to v1), edges go back to v1 streams and leasing their own ids within this time.
 */
const CONTRACT_TTL_MS = 30_000;

export interface GateStreamStatus extends ConsumerStatus {
  readonly kind: "shares" | "agent";
  /** The stream's edge; null for a v1 shared stream. */
  readonly edge: string | null;
}

export interface QuarantinedEdge extends QuarantineState {
  /** Entries held in its streams (undelivered + pending in the gate group); null until counted. */
  readonly held: number | null;
}

export interface GateStatus {
  readonly streams: GateStreamStatus[];
  readonly quarantined: QuarantinedEdge[];
  readonly totals: Readonly<GateTotals>;
  readonly lastError: string | undefined;
}

export interface Gate {
  status(): GateStatus;
  /** Resolves once the first round has run (contract announced, edge streams found); never rejects. */
  readonly started: Promise<void>;
  stop(): Promise<void>;
}

interface Reading {
  readonly src: GateSource;
  readonly consumer: StreamConsumer;
}

export function startGate(o: GateOptions): Gate {
  if (!(o.redis instanceof Redis)) throw new TypeError("core gate: expected a single Redis primary (redis.url or redis.sentinel), got a Cluster");
  const redis = o.redis;
  const tuning = { ...DEFAULT_GATE_TUNING, ...o.tuning };
  const names = contractNames(o.prefix);
  const consumer = o.consumer ?? `${hostname()}:${process.pid}`;
  const log = o.log;
  const reg = o.registry;
  const totals: GateTotals = { passed: 0, identityMismatches: 0, quarantines: 0, deadLettered: 0 };
  /** Every edge stream found (trimmed even while its edge is quarantined). */
  const known = new Map<string, GateSource & { readonly identity: string }>();
  const reading = new Map<string, Reading>();
  const quarantined = new Map<string, QuarantinedEdge>();
  /** Edges whose streams are not read → when that began (a poll that started earlier must not resume them). */
  const halted = new Map<string, number>();
  /** Stops in flight per edge (a handler that quarantines cannot await its own consumer's stop). */
  const haltStops = new Map<string, Promise<void>>();
  const ctx: GateContext = {
    redis,
    names,
    consumer,
    log,
    auditor: o.auditor ?? NO_AUDIT,
    acceptV1: o.acceptV1 ?? true,
    counters: reg && { passed: reg.second("gate", "entries_passed"), identityMismatches: reg.second("gate", "identity_mismatches"), quarantines: reg.second("gate", "quarantines"), deadLettered: reg.second("gate", "entries_dead_lettered") },
    totals,
    isQuarantined: (edge) => quarantined.has(edge) || halted.has(edge),
    onQuarantine: (edge) => void halt(edge),
  };

  const read = (src: GateSource) => {
    const handler = src.kind === "shares" ? createShareGate(ctx, src, { audit: true }) : createAgentGate(ctx, src);
    const c = new StreamConsumer({ redis, stream: src.stream, group: names.gateGroup, consumer, handler, log: log.child(src.kind), tuning, takeover: o.takeover ?? false });
    reading.set(src.stream, { src, consumer: c });
    c.start();
  };

  function halt(edge: string): Promise<void> {
    if (!halted.has(edge)) halted.set(edge, Date.now());
    const stops: Promise<void>[] = [];
    for (const [stream, r] of reading) {
      if (r.src.identity !== edge) continue;
      reading.delete(stream);
      stops.push(r.consumer.stop());
    }
    const done = Promise.all([haltStops.get(edge), ...stops]).then(() => undefined);
    haltStops.set(edge, done);
    return done;
  }

  const resumeAll = () => {
    for (const src of known.values()) if (!reading.has(src.stream) && !halted.has(src.identity) && !quarantined.has(src.identity)) read(src);
  };

  const discover = async () => {
    // One pass over the keyspace for both kinds (SCAN walks every key whatever the pattern).
    const patterns = (["shares", "agent"] as const).map((kind) => names.edgeStreamPattern(kind));
    const common = commonHead(patterns);
    for (const key of await scanAll(redis, patterns.length > 1 ? `${common}*` : (patterns[0] ?? "*"), "stream")) {
      for (const kind of ["shares", "agent"] as const) {
        const edge = names.edgeOfStream(kind, key);
        if (edge !== undefined && !known.has(key)) known.set(key, { stream: key, kind, identity: edge });
      }
    }
    resumeAll();
  };

  // The index every poll; the whole keyspace at start and every 30 polls (a key written by hand).
  let polls = 0;
  const pollQuarantine = async () => {
    const startedAt = Date.now();
    const list = await listQuarantined(redis, names, { scan: polls++ % 30 === 0 });
    const present = new Set<string>();
    for (const q of list) {
      present.add(q.edge);
      if (!quarantined.has(q.edge) && !halted.has(q.edge)) log.error(`edge ${q.edge} is quarantined (since ${new Date(q.since).toISOString()}: ${q.reason}); its streams are not read until an operator releases or discards its held entries`, { edge: q.edge, detail: q.detail });
      quarantined.set(q.edge, { ...q, held: quarantined.get(q.edge)?.held ?? null });
      await halt(q.edge);
      if (q.action === null) continue;
      const action = q.action;
      log.notice(`edge ${q.edge}: carrying out the operator's ${action} of its held entries`);
      const settled = await settleHeld(ctx, { ...q, action });
      const results = await fencedTx(redis).call("DEL", names.quarantine(q.edge)).call("SREM", names.quarantineIndex, q.edge).exec();
      const failed = results?.find(([err]) => err);
      if (!results || failed) throw failed?.[0] ?? new Error(`quarantine of ${q.edge}: expected the DEL to succeed`);
      log.notice(`edge ${q.edge}: quarantine ended by ${action}: ${settled.entries} held entries ${action === "release" ? "passed on without audit" : "dead-lettered"}; its streams are read again`);
      present.delete(q.edge);
      quarantined.delete(q.edge);
      halted.delete(q.edge);
    }
    // A key deleted by hand ends the quarantine too (its entries are then read, with the audit).
    for (const [edge, since] of halted) {
      if (present.has(edge) || since >= startedAt) continue;
      log.notice(`edge ${edge}: its quarantine key is gone; its streams are read again`);
      halted.delete(edge);
      quarantined.delete(edge);
    }
    for (const [edge, q] of quarantined) quarantined.set(edge, { ...q, held: await countHeld(redis, names, edge) });
    resumeAll();
  };

  /** Before the v1 streams are read: the gate's group, and no pre-gate group left to pin them (their readers moved to the verified streams). */
  const openV1 = async () => {
    for (const [stream, kind] of [[names.shareStream, "shares"], [names.agentStream, "agent"]] as const) {
      await redis.call("XGROUP", "CREATE", stream, names.gateGroup, "0", "MKSTREAM").catch((e: unknown) => {
        if (!(e instanceof Error && e.message.startsWith("BUSYGROUP"))) throw e;
      });
      for (const g of await groupInfos(redis, stream)) {
        if (g.name === names.gateGroup) continue;
        const results = await fencedTx(redis).call("XGROUP", "DESTROY", stream, g.name).exec();
        const failed = results?.find(([err]) => err);
        if (!results || failed) throw failed?.[0] ?? new Error(`XGROUP DESTROY ${stream} ${g.name}: aborted`);
        log.warn(`removed consumer group ${g.name} of the v1 stream ${stream} (its readers now read ${kind === "shares" ? names.verifiedShareStream : names.verifiedAgentStream}); the gate passes on what was still in the stream, and the accounting's seen-sets drop what was counted already`, { pending: g.pending });
      }
      read({ stream, kind, identity: undefined });
    }
  };

  const tidy = async () => {
    for (const stream of [...known.keys(), names.shareStream, names.agentStream]) {
      try {
        await tidyStream(redis, stream, names.gateGroup, consumer);
      } catch (e) {
        log.debug(`stream tidy-up of ${stream} skipped`, { error: e instanceof Error ? e.message : String(e) });
      }
    }
  };

  let stopping = false;
  let wake: (() => void) | undefined;
  const backoff = new Backoff(log, "gate");
  const run = async () => {
    let v1Open = false;
    let nextDiscover = 0;
    let nextTidy = tuning.tidyEveryMs > 0 ? Date.now() + tuning.tidyEveryMs : Infinity;
    while (!stopping) {
      try {
        // Quarantines first, at start too: a quarantined edge's streams are never opened.
        await pollQuarantine();
        if (!v1Open) {
          await openV1();
          v1Open = true;
        }
        if (Date.now() >= nextDiscover) {
          // Which contract the core reads (edges write v2 on seeing it); set again each round, so a Redis that lost it gets it back.
          if (o.announceContract) await fencedTx(redis).call("SET", names.contractVersion, String(CONTRACT_VERSION), "PX", CONTRACT_TTL_MS).exec();
          await discover();
          markStarted();
          nextDiscover = Date.now() + tuning.discoverEveryMs;
        }
        if (Date.now() >= nextTidy) {
          await tidy();
          nextTidy = Date.now() + tuning.tidyEveryMs;
        }
        backoff.ok();
      } catch (e) {
        if (stopping) break;
        if (isFenced(e)) {
          log.warn("this core is no longer the leader: the gate stops");
          break;
        }
        await backoff.failed(e);
        continue;
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, tuning.quarantinePollMs);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  };
  let markStarted = () => {};
  const started = new Promise<void>((resolve) => (markStarted = resolve));
  const loop = run();

  return {
    started,
    status: () => ({
      streams: [...reading.values()].map((r) => ({ ...r.consumer.status(), kind: r.src.kind, edge: r.src.identity ?? null })),
      quarantined: [...quarantined.values()],
      totals: { ...totals },
      lastError: backoff.lastError,
    }),
    async stop() {
      stopping = true;
      backoff.wake();
      wake?.();
      await loop;
      const all = [...reading.values()];
      reading.clear();
      await Promise.all([...all.map((r) => r.consumer.stop()), ...haltStops.values()]);
    },
  };
}

/** The longest common beginning of the patterns, before any glob character. */
function commonHead(patterns: readonly string[]): string {
  const first = patterns[0] ?? "";
  let n = first.search(/[*?[\\]/);
  if (n < 0) n = first.length;
  for (const p of patterns) {
    let i = 0;
    while (i < n && p[i] === first[i]) i++;
    n = i;
  }
  return first.slice(0, n);
}

async function scanAll(redis: Redis, pattern: string, type: string): Promise<string[]> {
  const keys = new Set<string>();
  let cursor = "0";
  do {
    const [next, batch] = (await redis.call("SCAN", cursor, "MATCH", pattern, "COUNT", 500, "TYPE", type)) as [string, string[]];
    for (const k of batch) keys.add(k);
    cursor = next;
  } while (cursor !== "0");
  return [...keys];
}

async function groupInfos(redis: Redis, stream: string): Promise<{ name: string; pending: number; lag: number | null }[]> {
  const groups = (await redis.call("XINFO", "GROUPS", stream).catch(() => [])) as unknown[];
  return groups.map((g) => {
    const info: Record<string, unknown> = {};
    if (Array.isArray(g)) for (let i = 0; i + 1 < g.length; i += 2) info[String(g[i])] = g[i + 1];
    return { name: String(info.name), pending: Number(info.pending ?? 0), lag: info.lag === undefined || info.lag === null ? null : Number(info.lag) };
  });
}

/** Entries held in an edge's streams: not yet delivered to the gate group, or delivered and not acknowledged. */
async function countHeld(redis: Redis, names: ContractNames, edge: string): Promise<number | null> {
  let n = 0;
  for (const kind of ["shares", "agent"] as const) {
    const stream = names.edgeStream(kind, edge);
    if ((await redis.exists(stream)) === 0) continue;
    const gate = (await groupInfos(redis, stream)).find((g) => g.name === names.gateGroup);
    if (!gate) n += await redis.xlen(stream);
    else if (gate.lag === null) return null;
    else n += gate.lag + gate.pending;
  }
  return n;
}
