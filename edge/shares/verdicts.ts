/**
 * @module The verdicts a share check returns: one frozen object per outcome, so answering a share
 * allocates nothing. Codes and texts of 21/22/23 are PowerPool's (spec §2.2); PowerPool never
 * answered malformed shares (§2.4), so those get code 20 with the reason, which a miner's log shows.
 */
import type { ShareVerdict } from "../ports.ts";

export const ACCEPTED: ShareVerdict = Object.freeze({ result: "acc" });
export const STALE: ShareVerdict = Object.freeze({ result: "stale", code: 21, message: "Job not found (=stale)" });
export const DUPLICATE: ShareVerdict = Object.freeze({ result: "dup", code: 22, message: "Duplicate share" });
export const LOW_DIFFICULTY: ShareVerdict = Object.freeze({ result: "low", code: 23, message: "Low difficulty share" });

const malformed = (reason: string): ShareVerdict => Object.freeze({ result: "invalid", code: 20, message: `Malformed share: ${reason}` });

export const MALFORMED = Object.freeze({
  extranonce2: malformed("extranonce2 is not hex of the subscribed extranonce2 size"),
  ntimeFormat: malformed("ntime expected 8 hex digits"),
  ntimeRange: malformed("ntime outside [job mintime, now + 7200]"),
  nonce: malformed("nonce expected 8 hex digits"),
  versionFormat: malformed("version bits expected 8 hex digits"),
  versionMask: malformed("version bits outside the negotiated mask"),
  extranonce1: malformed("extranonce1 size does not match the job (edge/core config mismatch)"),
  algorithm: malformed("this edge cannot hash the job's algorithm"),
});

/** The worker pool could not hash the share (not the miner's fault). */
export const HASH_FAILED: ShareVerdict = Object.freeze({ result: "invalid", code: 20, message: "Other/Unknown" });
/** The worker pool's queue is full (PowBusyError): the stratum layer should slow reading, not ban. */
export const SERVER_BUSY: ShareVerdict = Object.freeze({ result: "invalid", code: 20, message: "Server busy" });
