/** @module edge/shares: submit → header → PoW → target check → accepted / rejected / block candidate. */
export { EdgeShareChecker, type ShareCheckerOptions, type ShareJobs, type ShareSink } from "./checker.ts";
export { buildCandidate, type CandidateInput } from "./candidate.ts";
export { isAsyncPow, powFromRuntime, powTable, sha256dPow, type AsyncPow, type PowHash, type PowLookup, type SyncPow } from "./pow.ts";
export { isHexOfBytes, MAX_NTIME_AHEAD_SECONDS, parseHexU32 } from "./params.ts";
export { ACCEPTED, DUPLICATE, HASH_FAILED, LOW_DIFFICULTY, MALFORMED, SERVER_BUSY, STALE } from "./verdicts.ts";
