/**
 * @module What the core drives in a reporter (spec §8). Shares and PPAgent records reach a
 * reporter from the verified streams (the gate's output, core/gate/): the Redis reporter through the accounting ingest (the
 * exactly-once path SimpleCoin relies on, core/ingest), a Celery reporter through its own consumer
 * groups, so each keeps its own cursor and its own pace. The core hands each found block to the
 * reporters of the ports that mine its currency, asks for status, and stops them.
 *
 * Block submission is the core's job (core/blocks, core/aux), never a reporter's: a reporter only
 * records. So PowerPool's DoubleReporter bug, which switched block submission off for every other
 * reporter in the process (spec §15 item 17), has no place to happen here.
 */
import type { BlockRecord } from "../accounting/index.ts";

export type ReporterType = "redis" | "celery" | "double";

export interface Reporter {
  readonly key: string;
  readonly type: ReporterType;
  /**
   * Records an accepted block. Returns at once and never throws: a reporter queues the block
   * durably and retries on its own, so one failing reporter never delays another. `seen` holds
   * the keys of reporters that already have this block (a double and a stand-alone reporter may
   * name the same child), and the reporter adds its own.
   */
  recordBlock(block: BlockRecord, seen: Set<string>): void;
  /** For the monitor (`/<reporter key>`). */
  status(): object;
  start(): Promise<void>;
  stop(): Promise<void>;
}
