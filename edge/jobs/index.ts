/** @module edge/jobs: the job cache fed from the core's job streams, and the notify lines it fans out. */
export { JobCache, baseJobId, DEFAULT_HISTORY_JOBS, DEFAULT_MAX_ACTIVE_JOBS, type JobCacheOptions } from "./job-cache.ts";
export { RedisJobFeed, compareStreamIds, type RedisJobFeedOptions } from "./redis-feed.ts";
export { prepareJob, type AuxWork, type JobWork, type PreparedJob } from "./prepared-job.ts";
