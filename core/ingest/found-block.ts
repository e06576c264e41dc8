/**
 * @module A found block's record, main chain and aux alike: an accepted block counts in the stats
 * and first waits (bounded) for its winning share's record, which may reach the core after the
 * candidate — the round it closes must hold it (spec §8.2 (c)); then the accounting records it
 * (accepted: rotation + unproc_block; rejected: rejected_block, no rotation).
 */
import type { Logger } from "../../shared/log.ts";
import type { BlockRecord, ShareId } from "../accounting/index.ts";
import type { CoreAccounting } from "./index.ts";

export type FoundBlockAccounting = Pick<CoreAccounting, "recordBlock" | "stats" | "waitForShare">;

export interface FoundBy {
  /** The winning share. */
  readonly share: ShareId;
  /** From the share's arrival to the block's submission, for the stats. */
  readonly submitMs: number;
}

export async function recordFoundBlock(accounting: FoundBlockAccounting, block: BlockRecord, found: FoundBy, log: Logger): Promise<void> {
  const what = `${block.currency}${block.merged ? " aux" : ""} block ${block.hash}`;
  if (block.accepted) {
    accounting.stats.blockSubmitted(block.currency, found.submitMs);
    await accounting.waitForShare(found.share, what);
  }
  const out = await accounting.recordBlock(block);
  if (out.kind === "failed") log.error(`could not record ${what} in Redis`, { error: String(out.error) });
}
