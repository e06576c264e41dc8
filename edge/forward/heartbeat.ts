/**
 * @module The edge's status record for the core's monitor: every `intervalMs`, SET edgeStatus(edge)
 * with a TTL of three intervals (an expired key means the edge is gone), after renewing the edge id
 * lease and asking which contract version the core reads (the forwarder switches; the status says
 * which it writes) in the same round. Skipped while Redis is unreachable (the link logs that); one log line
 * when beats start failing and one when they work again.
 *
 * The status carries per-port figures only, so its size does not grow with the miners. The client
 * list (the monitor's /clients/ views) goes to its own key, edgeClients(edge), at the first beat and
 * then every `clientsEveryBeats` beats, with a TTL of three of its periods: at 100 k clients it is
 * megabytes, which every 5 s would cost Redis, the network and the monitor for figures nobody needs
 * that fresh (bench/heartbeat.ts measures both). An edge with fewer than SMALL_CLIENT_LIST clients
 * writes it with every beat: a few hundred KB at most, and a small pool's dashboard stays current.
 */
import { edgeClientsCodec, edgeStatusCodec, type EdgeClientsV1, type EdgeClientV1, type EdgeStatusV1 } from "../../shared/contract/index.ts";
import type { Logger } from "../../shared/log.ts";
import type { StatusProvider } from "../ports.ts";
import type { EdgeIdLease } from "./edge-id.ts";
import type { Forwarder } from "./forwarder.ts";

export const DEFAULT_HEARTBEAT_MS = 5000;
/** The client list every 6 beats: 30 s at the default interval. */
export const DEFAULT_CLIENTS_EVERY_BEATS = 6;
/** Clients encoded per event-loop turn: 100 k clients must not stall shares and notifies for a second. */
const CLIENT_SLICE = 2000;
/** Below this many authorized clients the list (≤ ~250 KB) goes out with every beat, so small pools see changes at once. */
export const SMALL_CLIENT_LIST = 1000;

/**
 * The client list (EdgeClientsV1) as JSON, `CLIENT_SLICE` clients at a time, letting the event loop
 * run between slices; the same text `edgeClientsCodec.encode` would give. `longestSliceMs`: the
 * longest the loop was held.
 */
export async function encodeClientList(head: Omit<EdgeClientsV1, "ports">, ports: readonly { key: string; clients: Iterable<EdgeClientV1> }[]): Promise<{ text: string; longestSliceMs: number }> {
  const parts: string[] = [`${edgeClientsCodec.encode({ ...head, ports: [] }).slice(0, -3)}[`];
  let longest = 0;
  let t0 = performance.now();
  for (let i = 0; i < ports.length; i++) {
    parts.push(`${i > 0 ? "," : ""}{"key":${JSON.stringify(ports[i]!.key)},"clients":[`);
    let slice: EdgeClientV1[] = [];
    let first = true;
    const flush = () => {
      if (slice.length === 0) return;
      const text = JSON.stringify(slice);
      parts.push(`${first ? "" : ","}${text.slice(1, -1)}`);
      first = false;
      slice = [];
    };
    for (const c of ports[i]!.clients) {
      slice.push(c);
      if (slice.length < CLIENT_SLICE) continue;
      flush();
      longest = Math.max(longest, performance.now() - t0);
      await new Promise<void>((resolve) => setImmediate(resolve));
      t0 = performance.now();
    }
    flush();
    parts.push("]}");
  }
  parts.push("]}");
  return { text: parts.join(""), longestSliceMs: Math.max(longest, performance.now() - t0) };
}

export interface HeartbeatOptions {
  readonly forwarder: Forwarder;
  readonly lease: EdgeIdLease;
  readonly status: StatusProvider;
  readonly publicHost: string | null;
  readonly log: Logger;
  readonly intervalMs?: number;
  /** Beats between client-list writes (default 6). */
  readonly clientsEveryBeats?: number;
  readonly startedAt?: number;
}

export class Heartbeat {
  private timer: ReturnType<typeof setInterval> | undefined;
  private failing = false;
  private beating: Promise<void> | undefined;
  readonly intervalMs: number;
  private readonly clientsEvery: number;
  private readonly startedAt: number;
  /** Beats until the next client-list write (0: at the next beat). */
  private clientsIn = 0;

  constructor(private readonly opts: HeartbeatOptions) {
    this.intervalMs = opts.intervalMs ?? DEFAULT_HEARTBEAT_MS;
    this.clientsEvery = Math.max(1, Math.floor(opts.clientsEveryBeats ?? DEFAULT_CLIENTS_EVERY_BEATS));
    this.startedAt = opts.startedAt ?? Date.now();
  }

  /** Beats now, then every interval. */
  start(): Promise<void> {
    this.timer = setInterval(() => void this.beat(), this.intervalMs);
    return this.beat();
  }

  /** One beat (not overlapping a running one). */
  beat(): Promise<void> {
    this.beating ??= this.beatOnce().finally(() => (this.beating = undefined));
    return this.beating;
  }

  /** Stops beating, deletes the status and client-list keys and gives the edge id back (best effort). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.beating;
    const { forwarder: f, lease, log } = this.opts;
    if (!f.link.up) return;
    try {
      // One key per DEL: an edge's ACL user has each key in its own selector, and a command must fit one.
      await f.link.timed(f.link.client.del(f.names.edgeStatus(f.edge)), 2000, "DEL edge status");
      await f.link.timed(f.link.client.del(f.names.edgeClients(f.edge)), 2000, "DEL edge client list");
      await f.link.timed(lease.release(), 2000, "release edge id");
    } catch (e) {
      log.warn(`heartbeat: could not clear the status or lease at shutdown (${(e as Error).message}); they expire by TTL`);
    }
  }

  /** The record a beat writes now. */
  statusNow(): EdgeStatusV1 {
    const { forwarder: f, lease } = this.opts;
    return {
      v: 1,
      edge: f.edge,
      session: f.session,
      edgeId: lease.id ?? 0,
      publicHost: this.opts.publicHost,
      startedAt: this.startedAt,
      time: Date.now(),
      ports: this.opts.status.ports(false),
      spooled: f.spooledRecords,
      ...(f.contractMode !== undefined ? { contract: f.contractMode } : {}),
    };
  }

  /** The client list a beat writes now (every `clientsEveryBeats` beats), encoded in slices. */
  clientsNow(): Promise<{ text: string; longestSliceMs: number }> {
    const f = this.opts.forwarder;
    return encodeClientList({ v: 1, edge: f.edge, session: f.session, time: Date.now() }, this.opts.status.clientLists());
  }

  private async beatOnce(): Promise<void> {
    const { forwarder: f, lease, log } = this.opts;
    if (!f.link.up) return;
    try {
      await f.link.timed(lease.renew(), this.intervalMs, "renew edge id");
      // Which streams the core reads now (a core upgraded or rolled back switches its edges here).
      await f.refreshContract();
      const ttl = 3 * this.intervalMs;
      const status = this.statusNow();
      await f.link.timed(f.link.client.set(f.names.edgeStatus(f.edge), edgeStatusCodec.encode(status), "PX", ttl), this.intervalMs, "SET edge status");
      if (this.clientsIn <= 0 || status.ports.reduce((n, p) => n + p.authed, 0) < SMALL_CLIENT_LIST) {
        const clientsTtl = 3 * this.clientsEvery * this.intervalMs;
        const { text } = await this.clientsNow();
        await f.link.timed(f.link.client.set(f.names.edgeClients(f.edge), text, "PX", clientsTtl), this.intervalMs, "SET edge clients");
        this.clientsIn = this.clientsEvery;
      }
      this.clientsIn--;
      if (this.failing) log.notice("heartbeat: status published again");
      this.failing = false;
    } catch (e) {
      if (!this.failing) log.warn(`heartbeat: status not published (${(e as Error).message})`);
      this.failing = true;
    }
  }
}
