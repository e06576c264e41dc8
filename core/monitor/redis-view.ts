/**
 * @module Reads what the edges publish (their heartbeats and client lists) and the stored aux work
 * from Redis, for every monitor route. An edge's client list lives in its own key (edgeClients,
 * written every few beats) and is merged into its status here, port by port, when it is from the
 * same edge run (session), and, from 1000 clients (megabytes at 100 k), reused for `clientListMaxAgeMs`;
 * a status from an edge older than that key carries `clientList` itself and is kept as it is, so
 * the core reads both during a rolling upgrade. One read serves all requests for `maxAgeMs`, so a dashboard polling and a
 * Prometheus scraping do not multiply the SCANs. When Redis is away the last good view is served
 * with the error attached; expired heartbeat keys are how an edge that went away disappears.
 */
import { Cluster } from "ioredis";
import { auxWorkCodec, contractNames, edgeBansCodec, edgeClientsCodec, edgeStatusCodec, type AuxWorkV1, type EdgeBansV1, type EdgeClientV1, type EdgeStatusV1 } from "../../shared/contract/index.ts";
import type { Logger } from "../../shared/log.ts";
import type { RedisClient } from "../../shared/redis.ts";
import { leaderKeys, parseLease } from "../leader/lease.ts";
import type { CoreStatusRecord } from "../leader/supervisor.ts";
import { MAX_QUARANTINES, QuarantineAlerts, readQuarantines } from "./quarantine.ts";
import type { CoresView, RedisView, RedisViewSource } from "./types.ts";

export interface RedisViewOptions {
  readonly redis: RedisClient;
  readonly prefix: string;
  readonly auxKeys: readonly string[];
  readonly log: Logger;
  /** Reuse one read this long (default 1 s). */
  readonly maxAgeMs?: number;
  /** Per-read deadline, so a stalled Redis cannot hang a request (default 2 s). */
  readonly timeoutMs?: number;
  /** Reuse an edge's client list this long (default 10 s): at 100 k clients it is megabytes, written every 30 s. */
  readonly clientListMaxAgeMs?: number;
  /** The monitor's URL from the core's host, quoted in the quarantine ERROR line. */
  readonly monitorUrl?: string;
}

/** Edges with fewer clients write their list with every heartbeat (edge/forward/heartbeat.ts SMALL_CLIENT_LIST). */
const SMALL_CLIENT_LIST = 1000;

const EMPTY: RedisView = { edges: [], aux: {}, readAt: 0, error: null, undecodable: 0 };

export class RedisViewReader implements RedisViewSource {
  private last: RedisView = EMPTY;
  private inFlight: Promise<RedisView> | undefined;
  private failing = false;
  /** Each edge's last decoded client list, by edge name. */
  private readonly lists = new Map<string, { readonly session: string; readonly readAt: number; readonly byPort: ReadonlyMap<string, EdgeClientV1[]> }>();

  /** One ERROR line per quarantine seen (issue 20 §3). */
  private readonly alerts: QuarantineAlerts;

  constructor(private readonly o: RedisViewOptions) {
    this.alerts = new QuarantineAlerts(o.log, o.monitorUrl);
  }

  read(): Promise<RedisView> {
    if (Date.now() - this.last.readAt < (this.o.maxAgeMs ?? 1000)) return Promise.resolve(this.last);
    this.inFlight ??= this.refresh().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async refresh(): Promise<RedisView> {
    const timeoutMs = this.o.timeoutMs ?? 2000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer from Redis within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      this.last = await Promise.race([this.readNow(), deadline]);
      if (this.failing) this.o.log.info("monitor: reading edge heartbeats from Redis again");
      this.failing = false;
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      if (!this.failing) this.o.log.warn(`monitor: could not read edge heartbeats from Redis (${error}); serving the last view`);
      this.failing = true;
      this.last = { ...this.last, error, readAt: Date.now() };
    } finally {
      clearTimeout(timer);
    }
    return this.last;
  }

  private async readNow(): Promise<RedisView> {
    const names = contractNames(this.o.prefix);
    const keys = await scanKeys(this.o.redis, names.edgeStatusPattern);
    // One GET per key (auto-pipelined): MGET would fail on a Cluster when the keys span slots.
    const values = await Promise.all(keys.map((k) => this.o.redis.get(k)));
    const edges: EdgeStatusV1[] = [];
    let undecodable = 0;
    for (const v of values) {
      if (v === null) continue; // expired between SCAN and GET
      try {
        edges.push(edgeStatusCodec.decode(v));
      } catch (e) {
        undecodable++;
        this.o.log.debug(`monitor: skipped an edge heartbeat: ${(e as Error).message}`);
      }
    }
    edges.sort((a, b) => a.edge.localeCompare(b.edge));
    const now = Date.now();
    const maxAge = this.o.clientListMaxAgeMs ?? 10_000;
    // A small list is re-read every time, as the edge writes it with every heartbeat (edge/forward/heartbeat.ts).
    const fresh = (e: EdgeStatusV1) => {
      const l = this.lists.get(e.edge);
      return l !== undefined && l.session === e.session && now - l.readAt < maxAge && e.ports.reduce((n, p) => n + p.authed, 0) >= SMALL_CLIENT_LIST;
    };
    const needed = edges.filter((e) => e.ports.some((p) => p.clientList === undefined) && !fresh(e));
    const raws = await Promise.all(needed.map((e) => this.o.redis.get(names.edgeClients(e.edge))));
    needed.forEach((e, i) => this.remember(e, raws[i] ?? null, now));
    for (const name of [...this.lists.keys()]) if (!edges.some((e) => e.edge === name)) this.lists.delete(name);
    for (let i = 0; i < edges.length; i++) {
      const e = edges[i]!;
      const list = this.lists.get(e.edge);
      // A list left by an earlier run of the edge (its key outlives a crash by its TTL) names clients that are gone.
      if (!list || list.session !== e.session || !e.ports.some((p) => p.clientList === undefined)) continue;
      edges[i] = { ...e, ports: e.ports.map((p) => (p.clientList === undefined ? { ...p, clientList: list.byPort.get(p.key) ?? [] } : p)) };
    }
    const aux: Record<string, AuxWorkV1 | null> = {};
    for (const key of this.o.auxKeys) {
      const raw = await this.o.redis.get(names.auxWork(key));
      aux[key] = decodeAux(raw);
    }
    const banKeys = await scanKeys(this.o.redis, names.edgeBansPattern);
    const bans: EdgeBansV1[] = [];
    for (const raw of await Promise.all(banKeys.map((k) => this.o.redis.get(k)))) {
      if (raw === null) continue;
      try {
        bans.push(edgeBansCodec.decode(raw));
      } catch (e) {
        undecodable++;
        this.o.log.debug(`monitor: skipped an edge's bans: ${(e as Error).message}`);
      }
    }
    bans.sort((a, b) => a.edge.localeCompare(b.edge));
    const quarantineKeys = await scanKeys(this.o.redis, names.quarantinePattern);
    const quarantines = await readQuarantines(this.o.redis, names, quarantineKeys);
    this.alerts.observe(quarantines, quarantineKeys.length <= MAX_QUARANTINES);
    return { edges, aux, readAt: Date.now(), error: null, undecodable, bans, cores: await this.readCores(), quarantines };
  }

  private remember(edge: EdgeStatusV1, raw: string | null, now: number): void {
    if (raw === null) return void this.lists.delete(edge.edge);
    try {
      const list = edgeClientsCodec.decode(raw);
      this.lists.set(edge.edge, { session: list.session, readAt: now, byPort: new Map(list.ports.map((p) => [p.key, p.clients])) });
    } catch (e) {
      this.lists.delete(edge.edge);
      this.o.log.debug(`monitor: skipped the client list of ${edge.edge}: ${(e as Error).message}`);
    }
  }

  private async readCores(): Promise<CoresView> {
    const keys = leaderKeys(this.o.prefix);
    const raw = await this.o.redis.get(keys.lease);
    const leader = raw === null ? null : parseLease(raw);
    const cores: CoresView["cores"][number][] = [];
    for (const key of await scanKeys(this.o.redis, keys.statusPattern)) {
      const v = await this.o.redis.get(key);
      if (v === null) continue;
      try {
        const rec = JSON.parse(v) as CoreStatusRecord;
        const claimsLead = rec.role === "active" || rec.role === "starting";
        cores.push(claimsLead && leader?.id !== rec.id ? { ...rec, role: "lost" } : rec);
      } catch {
        this.o.log.debug(`monitor: skipped a core status that is not JSON: ${key}`);
      }
    }
    return { leader, cores };
  }
}

function decodeAux(raw: string | null): AuxWorkV1 | null {
  if (raw === null) return null;
  try {
    return auxWorkCodec.decode(raw);
  } catch {
    return null;
  }
}

/** Every key matching `pattern`; on a Cluster, from every master. */
export async function scanKeys(redis: RedisClient, pattern: string): Promise<string[]> {
  const nodes = redis instanceof Cluster ? redis.nodes("master") : [redis];
  const out = new Set<string>();
  for (const node of nodes) {
    let cursor = "0";
    do {
      const [next, keys] = await node.scan(cursor, "MATCH", pattern, "COUNT", 200);
      for (const k of keys) out.add(k);
      cursor = next;
    } while (cursor !== "0");
  }
  return [...out].sort();
}
