/**
 * @module What the monitor reads. Narrow, structural views of the running core (RunningCore fits
 * them as is) and of the edges' heartbeats, so the routes can be tested in memory with fakes.
 */
import type { AuxWorkV1, EdgeBansV1, EdgeStatusV1 } from "../../shared/contract/index.ts";
import type { AuditMetrics } from "../audit/auditor.ts";
import type { AuxBlockResult, AuxChainStatus } from "../aux/index.ts";
import type { BlockConsumerStatus, BlockResult } from "../blocks/index.ts";
import type { BlockSignalsStatus, PoolStatus, TipWatcherStatus } from "../coinserver/index.ts";
import type { IngestStatus } from "../ingest/index.ts";
import type { GateStatus } from "../gate/index.ts";
import type { CoreStatusRecord } from "../leader/supervisor.ts";
import type { JobEvent, JobManagerStatus } from "../jobs/index.ts";
import type { NotifyCounters } from "../notify/index.ts";
import type { QuarantineView } from "./quarantine.ts";
import type { StatsSnapshot } from "../stats/index.ts";
import type { SwitcherStatus } from "../switching/index.ts";

export interface CoinSource {
  readonly key: string;
  readonly pool: { status(): PoolStatus };
  readonly jobs: { status(): JobManagerStatus; subscribe(listener: (ev: JobEvent) => void): () => void };
  readonly watcher: { status(): TipWatcherStatus };
  /** ZMQ subscriptions and long poll (issue 21); absent in cores built without them. */
  readonly signals?: { status(): BlockSignalsStatus };
}

export interface CoreSource {
  readonly coins: ReadonlyMap<string, CoinSource>;
  readonly accounting: { status(): { readonly ingest: IngestStatus; readonly stats: StatsSnapshot } };
  /** The gate (core/gate/): entries passed and dead-lettered, identity mismatches, the edge streams it reads. */
  readonly gate?: { status(): GateStatus };
  /** The share auditor's counters (core/audit/), per edge and algorithm; absent or null when the core has none. */
  readonly audit?: AuditMetrics | null;
  /** Reporters' own statuses by reporter key (celery: outbox, unreported shares, failures). */
  readonly reporters?: { status(): Readonly<Record<string, object>> };
  readonly blocks: { status(): BlockConsumerStatus };
  readonly notify: { counters(): NotifyCounters } | null;
  /** Merge mining, when the core runs aux chains. */
  readonly aux?: AuxSource;
  /** Profit switchers by key, when the core runs any. */
  readonly switchers?: ReadonlyMap<string, { status(): SwitcherStatus }>;
  onBlock(listener: (r: BlockResult) => void): () => void;
}

export interface AuxSource {
  readonly chains: ReadonlyMap<string, { readonly pool: { status(): PoolStatus } }>;
  status(): Readonly<Record<string, AuxChainStatus>>;
  onBlock(listener: (r: AuxBlockResult) => void): () => void;
}

/** The live edges (their heartbeat keys have not expired) and the aux work, as last read from Redis. */
export interface RedisView {
  readonly edges: readonly EdgeStatusV1[];
  /** Aux key → the work the core last fetched, or null when none is stored. */
  readonly aux: Readonly<Record<string, AuxWorkV1 | null>>;
  /** When the read was made (ms since the epoch). */
  readonly readAt: number;
  /** The last failed read; the previous view is served meanwhile. */
  readonly error: string | null;
  /** Heartbeats that did not decode (another version, a foreign writer). */
  readonly undecodable: number;
  /** Each live edge's bans (its edge-bans key has not expired); absent when not read. */
  readonly bans?: readonly EdgeBansV1[];
  /** Active/standby cores (core/leader/): the lease holder and every core's status key; absent before the first read. */
  readonly cores?: CoresView;
  /** Quarantined edges (issue 20 §3: the gate holds their shares), oldest first; absent before the first read. */
  readonly quarantines?: readonly QuarantineView[];
}

export interface CoresView {
  /** The lease holder and its epoch, or null when no core holds the lease (a takeover under way). */
  readonly leader: { readonly id: string; readonly epoch: number } | null;
  /**
   * Every core with a live status key: the active one and the standbys. A core whose key says it
   * leads but which does not hold the lease shows as `lost` (it died, or was deposed and has not
   * noticed yet); its key expires 3 lease TTLs after its last write.
   */
  readonly cores: readonly (Omit<CoreStatusRecord, "role"> & { readonly role: CoreStatusRecord["role"] | "lost" })[];
}

export interface RedisViewSource {
  read(): Promise<RedisView>;
}
