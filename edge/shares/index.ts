/** @module edge/shares: submit → header → PoW → target check → accepted / rejected / block candidate. */
export { EdgeShareChecker, type ShareCheckerOptions, type ShareJobs, type ShareSink } from "./checker.ts";
export { buildCandidate, type CandidateInput } from "./candidate.ts";
export { isAsyncPow, isSha256dPow, powFromRuntime, powTable, sha256dPow, type AsyncPow, type PowHash, type PowLookup, type SyncPow } from "./pow.ts";
export { ShareKeys } from "./duplicates.ts";
export { hexBytesInto, isHexOfBytes, MAX_NTIME_AHEAD_SECONDS, parseHexU32, parseHexU32At } from "./params.ts";
export { ACCEPTED, DUPLICATE, HASH_FAILED, LOW_DIFFICULTY, MALFORMED, SERVER_BUSY, STALE } from "./verdicts.ts";
