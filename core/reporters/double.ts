/**
 * @module PowerPool's DoubleReporter (spec §8.4): a fan-out to several reporters. Its ports'
 * shares reach every child (routing: core/accounting/routing.ts for redis children,
 * core/reporters/routing.ts for celery children), and each found block is handed to every child.
 * Children are independent: each queues and retries on its own, and a child that throws is logged
 * and skipped, never stopping the others (spec §15 item 17 cannot recur: no reporter submits blocks).
 */
import type { Logger } from "../../shared/log.ts";
import type { BlockRecord } from "../accounting/index.ts";
import type { Reporter } from "./types.ts";

export class DoubleReporter implements Reporter {
  readonly type = "double" as const;

  constructor(
    readonly key: string,
    private readonly children: readonly Reporter[],
    private readonly log: Logger,
  ) {}

  recordBlock(block: BlockRecord, seen: Set<string>): void {
    if (seen.has(this.key)) return;
    seen.add(this.key);
    for (const child of this.children) {
      try {
        child.recordBlock(block, seen);
      } catch (e) {
        this.log.error(`reporter ${child.key} failed to take block ${block.hash}; the other reporters still get it`, { error: e instanceof Error ? e.message : String(e) });
      }
    }
  }

  status(): object {
    return { reporters: this.children.map((c) => c.key) };
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {}
}
