/**
 * @module What the gate (core/gate/) asks of the auditor (core/audit/) for each edge entry before
 * passing it on, and what the auditor answers. Kept apart so both sides build against it.
 */
import type { ShareBatch } from "../../shared/contract/index.ts";

export type AuditVerdict =
  /**
   * Nothing sampled failed: pass the entry on, without the `refused` records (exact duplicates of
   * shares already passed: not credited, dead-lettered with the reason, no quarantine — an honest
   * edge that lost its duplicate table after a crash can send one).
   */
  | { readonly kind: "pass"; readonly audited: number; readonly refused?: readonly { readonly seq: number; readonly reason: string }[] }
  /**
   * A sampled record is not what its edge claimed (its hash does not meet its difficulty, its job
   * was never issued, its extranonce does not fit the job, a duplicate of an audited share …):
   * quarantine the edge, hold this entry.
   */
  | { readonly kind: "fail"; readonly seq: number; readonly reason: string; readonly detail: string };

export interface ShareAuditor {
  /**
   * Samples the batch's accepted records and re-hashes those drawn. `edge` is the identity Redis
   * enforces (the stream's edge), never `batch.edge`. May reject with a transient error (Redis
   * away while fetching a job): the gate retries the entry later.
   */
  audit(edge: string, batch: ShareBatch): Promise<AuditVerdict>;
}

/** The auditor of a core that audits nothing (tests, and the bench's unaudited run). */
export const NO_AUDIT: ShareAuditor = { audit: async () => ({ kind: "pass", audited: 0 }) };
