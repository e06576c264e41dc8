/** @module core/jobs: templates → jobs, stored on the core for block rebuilding and published to the edges. */
export { buildJob, fitTag, NO_AUX, type AuxWork, type BuiltJob, type StoredJob } from "./build-job.ts";
export { createJobManager, type JobManagerDeps } from "./from-config.ts";
export type { JobCause, JobEvent, JobManagerStatus, JobTiming } from "./job-events.ts";
export { JobIdAllocator } from "./job-ids.ts";
export { JobManager, type JobManagerOptions } from "./job-manager.ts";
export { DEFAULT_MAX_JOBS, JobStore } from "./job-store.ts";
export { MWEB_PRESENT_HEX, mwebBlockSuffixHex } from "./mweb.ts";
export { DEFAULT_JOB_STREAM_MAXLEN, JobPublisher, type JobPublisherOptions } from "./publisher.ts";
export { jobSettings, type ExtranonceConfig, type JobCoinConfig, type JobSettings } from "./settings.ts";
export { parseTemplate, templateFees, templateFingerprint, templateRequest, type BlockTemplate, type TemplateTx } from "./template.ts";
export { chooseWitnessCommitment, computeWitnessCommitmentScript } from "./witness.ts";
