/** @module A ShareSink that keeps what the share checker sends it (records and candidates, in order), for tests. */
import type { BlockCandidateV1 } from "../../shared/contract/index.ts";
import type { ShareFields } from "../../edge/forward/index.ts";
import type { ShareSink } from "../../edge/shares/index.ts";

export type SinkEvent = { kind: "share"; r: ShareFields } | { kind: "candidate"; c: BlockCandidateV1 };

export class RecordingSink implements ShareSink {
  readonly edge = "eu1";
  readonly session = "0000beef";
  readonly events: SinkEvent[] = [];
  private seq = 0;
  share(f: ShareFields): number {
    // The checker reuses its record object and its proof's buffers: copy them, aux list included.
    this.events.push({ kind: "share", r: { ...f, aux: [...f.aux], extranonce1: f.extranonce1.slice(), extranonce2: f.extranonce2.slice() } });
    return ++this.seq;
  }
  blockShare(f: ShareFields, build: (shareSeq: number) => BlockCandidateV1): { candidate: BlockCandidateV1; sent: Promise<void> } {
    const candidate = build(this.seq + 1);
    this.events.push({ kind: "candidate", c: candidate });
    this.share(f);
    return { candidate, sent: Promise.resolve() };
  }
  get shares(): ShareFields[] {
    return this.events.flatMap((e) => (e.kind === "share" ? [e.r] : []));
  }
  get candidates(): BlockCandidateV1[] {
    return this.events.flatMap((e) => (e.kind === "candidate" ? [e.c] : []));
  }
}
