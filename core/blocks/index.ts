/** @module core/blocks: block candidates from the edges → full blocks → every coinserver → BlockResult. */
export { chainPosition, decide, type ConfirmSource, type Decision } from "./confirm.ts";
export { BlockConsumer, type BlockConsumerOptions, type BlockConsumerStatus } from "./consumer.ts";
export { rebuildBlock, type RebuiltBlock } from "./rebuild.ts";
export { DEFAULT_SUBMIT_POLICY, interpretSubmitResult, submitEverywhere, type SubmitPolicy, type SubmitPool } from "./submit.ts";
export { BlockSubmitter, type BlockSubmitterOptions, type SubmitterJobs } from "./submitter.ts";
export type { BlockResult, ChainPosition, ServerSubmitOutcome, SubmitVerdict } from "./types.ts";
export { candidateChecker, checkCandidate, type CandidateCheck, type CandidateChecker, type CandidatePow } from "./verify.ts";
