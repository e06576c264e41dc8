/**
 * @module The Redis reporter as the core sees it among reporters. Its work is the accounting's:
 * shares and PPAgent data through the ingest's consumer groups (core/ingest) and every found block
 * through `accounting.recordBlock`, which the core calls once per block whatever the routing. So
 * here a block needs nothing more, and the monitor reads its status from the ingest.
 */
import type { BlockRecord } from "../accounting/index.ts";
import type { Reporter } from "./types.ts";

export class RedisReporter implements Reporter {
  readonly type = "redis" as const;

  constructor(readonly key: string) {}

  recordBlock(_block: BlockRecord, seen: Set<string>): void {
    // Already recorded by the core's accounting (core/app.ts), exactly once.
    seen.add(this.key);
  }

  status(): object {
    return {};
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {}
}
