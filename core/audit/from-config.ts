/**
 * @module The auditor a core runs, from its config: hashers for its coins' algorithms (the same
 * native library the start-up self-test checked), the configured audit rates, the switchers' coins,
 * and the job archive (plus, optionally, the core's in-memory job stores).
 */
import type { Config } from "../../shared/config/load.ts";
import type { Logger } from "../../shared/log.ts";
import { createPowRegistry, loadPowNative, type PowNative, type PowPool } from "../../shared/pow/index.ts";
import type { StoredJob } from "../jobs/index.ts";
import { CoreShareAuditor } from "./auditor.ts";
import type { ExtranonceOwner } from "./extranonce-owner.ts";
import { ArchivedJobSource, type ArchiveReader } from "./job-source.ts";
import { auditRates } from "./settings.ts";

export interface ConfiguredAuditorOptions {
  readonly redis: ArchiveReader;
  /** The publisher's archive TTL; the publisher must archive every job (JobPublisher `archiveTtlMs`). */
  readonly archiveTtlMs: number;
  /** The core's own job stores, looked up before the archive. */
  readonly local?: (jobId: string) => StoredJob | undefined;
  readonly native?: PowNative;
  /** Hash workers for the slow algorithms (scrypt family), if the core runs some; else they hash inline. */
  readonly pool?: PowPool;
  /** The edge-id prefix check (extranonceOwnerFrom over the core's EdgeIdAllocator). */
  readonly extranonceOwner?: ExtranonceOwner;
  readonly log?: Logger;
}

export function createConfiguredAuditor(config: Config, o: ConfiguredAuditorOptions): CoreShareAuditor {
  const algos = [...new Set(Object.values(config.coins).map((c) => c.algo))];
  const native = o.native ?? (algos.length > 0 ? loadPowNative({ warn: (m) => o.log?.warn(m) }) : undefined);
  const registry = native ? createPowRegistry(algos, native, config.algorithms) : undefined;
  return new CoreShareAuditor({
    jobs: new ArchivedJobSource({ redis: o.redis, prefix: config.redis.prefix, archiveTtlMs: o.archiveTtlMs, ...(o.local ? { local: o.local } : {}) }),
    hasher: (algo) => (registry?.has(algo) ? registry.get(algo).hasher : undefined),
    ...(o.pool ? { hashAsync: (algo: string, header: Uint8Array, ntime: number) => o.pool!.hash(algo, header, ntime) } : {}),
    rate: auditRates(config),
    switchers: Object.fromEntries(Object.entries(config.switchers).map(([k, s]) => [k, s.jobmanagers])),
    ...(o.extranonceOwner ? { extranonceOwner: o.extranonceOwner } : {}),
    ...(o.log ? { log: o.log } : {}),
  });
}
