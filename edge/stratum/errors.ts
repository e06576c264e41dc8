/**
 * @module The one table of stratum error codes and texts (PowerPool spec §2.2). Every error reply
 * the edge sends comes from here; the texts are byte-for-byte PowerPool's, since monitors such as
 * contrib/check_stratum.py and miners' logs key on them.
 */

export const StratumError = {
  /** Unknown method, bad JSON, missing method, duplicate subscribe, get_transactions, malformed params. */
  OTHER: 20,
  /** Stale or unknown job id on submit. */
  STALE: 21,
  DUPLICATE: 22,
  LOW_DIFFICULTY: 23,
  /** Submit before authorize; a second authorize on one connection. */
  UNAUTHORIZED: 24,
  /** Authorize before subscribe. */
  NOT_SUBSCRIBED: 25,
} as const;

export type StratumErrorCode = (typeof StratumError)[keyof typeof StratumError];

export const STRATUM_ERROR_TEXT: Readonly<Record<StratumErrorCode, string>> = {
  20: "Other/Unknown",
  21: "Job not found (=stale)",
  22: "Duplicate share",
  23: "Low difficulty share",
  24: "Unauthorized worker",
  25: "Not subscribed",
};

/**
 * The compact JSON of an error reply up to the id, per code: `{"error":[21,"Job not found (=stale)",null],"id":`.
 * Built once so a reply is two string concatenations.
 */
export const ERROR_REPLY_PREFIX: Readonly<Record<StratumErrorCode, string>> = Object.fromEntries(
  Object.entries(STRATUM_ERROR_TEXT).map(([code, text]) => [code, `{"error":[${code},${JSON.stringify(text)},null],"id":`]),
) as Record<StratumErrorCode, string>;

export function isStratumErrorCode(code: number): code is StratumErrorCode {
  return code in STRATUM_ERROR_TEXT;
}
