/**
 * @module The core's share auditor (issue 20 §4): samples the accepted shares edges report and
 * re-hashes them against the jobs the core issued. The gate (core/gate/) calls `audit` per entry;
 * `verifyShareProof` / `rebuildHeaderFromProof` are the proof check itself, for core/blocks too.
 */
export { NO_AUDIT, type AuditVerdict, type ShareAuditor } from "./types.ts";
export { hashMeetsDifficulty, MAX_NTIME_AHEAD_SECONDS, proofFitsJob, rebuildHeaderFromProof, verifyShareProof, type ProofFailure, type ProofHasher } from "./verify.ts";
export { CoreShareAuditor, type AuditCounts, type AuditMetrics, type CoreShareAuditorOptions, type EdgeAuditStats } from "./auditor.ts";
export { ArchivedJobSource, type ArchivedJobSourceOptions, type ArchiveReader, type AuditJobSource, type JobLookup } from "./job-source.ts";
export { BatchClaims, DuplicateProofs, type DuplicateProofsOptions } from "./duplicates.ts";
export { auditProbability, cryptoRandom, RateWindow, seededRandom, type Random } from "./sampler.ts";
export { auditRates, DEFAULT_AUDIT_RATES, type AuditRate } from "./settings.ts";
export { createConfiguredAuditor, type ConfiguredAuditorOptions } from "./from-config.ts";
export { extranonceOwnerFrom, type EdgeIdGrants, type ExtranonceOwner, type ExtranonceOwnership } from "./extranonce-owner.ts";
export { DEFAULT_UNVERIFIABLE_THRESHOLD, DEFAULT_UNVERIFIABLE_WINDOW_MS, UnverifiableWatch, type UnverifiableAlert, type UnverifiableWatchOptions } from "./unverifiable.ts";
