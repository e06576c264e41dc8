/**
 * @module Which contract version the forwarder writes (issue 20 §3–4): v2 — share batches with
 * proofs, candidates and agent records on this edge's own streams (edgeStream(kind, edge)) — when
 * the core says it reads them (GET contractVersion ≥ 2) and this edge's Redis user may write them;
 * else v1 on the shared streams, which a core before v2 reads.
 *
 * Permission is asked without writing anything: `XADD <stream> 0-0 …` is checked against the ACL
 * first (NOPERM) and otherwise refused by Redis itself ("must be greater than 0-0") before it
 * creates or touches the stream. Only the share stream is asked: an edge's ACL user (shared/
 * contract/acl.ts) has each version's three streams in one selector.
 *
 *   key ≥ 2                       → v2; own streams refused (a user from before v2) → v1
 *   key absent, or GET refused    → v1; shared streams refused (a v2 user, `legacy` off) → v2
 *                                   (a v2 core reads them once it runs; records must not pile up)
 *
 * Each reason for leaving the wanted version is logged once as a warning with what to do.
 */
import { decodeShareBatch, ShareBatchWriter, type ContractNames, type EdgeStreamKind } from "../../shared/contract/index.ts";
import type { Logger } from "../../shared/log.ts";
import type { RedisLink } from "./link.ts";

export type ContractMode = 1 | 2;

/** A Redis reply refused by the ACL. */
export function isNoPerm(e: unknown): boolean {
  const message = e instanceof Error ? e.message : String(e);
  return message.startsWith("NOPERM");
}

/**
 * A v2 batch as v1 (proofs dropped; same edge, session and seqs), for the shared stream when the
 * core or the ACL wants v1. Rare: only batches cut or spooled before the edge learnt it.
 */
export function downgradeBatch(bytes: Uint8Array): Uint8Array {
  const b = decodeShareBatch(bytes);
  const w = new ShareBatchWriter(b.edge, b.session, 1);
  for (const r of b.records) w.add(r);
  return w.finish();
}

export interface ContractDetectorOptions {
  readonly link: RedisLink;
  readonly names: ContractNames;
  readonly edge: string;
  readonly log: Logger;
  readonly timeoutMs: number;
}

export class ContractDetector {
  /** undefined until Redis first answered. */
  mode: ContractMode | undefined;
  private readonly warned = new Set<string>();

  private readonly streams: Readonly<Record<ContractMode, Readonly<Record<EdgeStreamKind, string>>>>;

  constructor(private readonly o: ContractDetectorOptions) {
    const n = o.names;
    this.streams = {
      1: { shares: n.shareStream, candidates: n.candidateStream, agent: n.agentStream },
      2: { shares: n.edgeStream("shares", o.edge), candidates: n.edgeStream("candidates", o.edge), agent: n.edgeStream("agent", o.edge) },
    };
  }

  /** The stream a version writes records of `kind` to. */
  stream(mode: ContractMode, kind: EdgeStreamKind): string {
    return this.streams[mode][kind];
  }

  /**
   * Asks Redis (GET, then permission only when the answer would change the mode, or `recheck`: a
   * write was just refused). Keeps the current mode when Redis does not answer; throws nothing.
   */
  async detect(recheck = false): Promise<ContractMode | undefined> {
    const { link, names, log } = this.o;
    if (!link.up) return this.mode;
    let want: ContractMode;
    let why = "";
    try {
      const v = await link.timed(link.client.get(names.contractVersion), this.o.timeoutMs, `GET ${names.contractVersion}`);
      want = v !== null && Number(v) >= 2 ? 2 : 1;
      if (want === 1) why = v === null ? `${names.contractVersion} is not set: a core before contract v2 runs, or none has started yet (a v2 core sets it at start, and the edge follows at its next heartbeat)` : `the core reads contract version ${v}`;
    } catch (e) {
      if (!isNoPerm(e)) return this.mode;
      want = 1;
      why = `GET ${names.contractVersion} is refused (NOPERM): this edge's Redis user was made before contract v2; run \`bun run redis-acl\` again and load its users`;
    }
    if (want === this.mode && !recheck) return this.mode;
    let mode = want;
    const allowed = await this.mayWrite(want);
    if (allowed === false) {
      const other: ContractMode = want === 2 ? 1 : 2;
      if ((await this.mayWrite(other)) !== false) {
        mode = other;
        why =
          want === 2
            ? `the core reads contract v2, but XADD to ${this.stream(2, "shares")} is refused (NOPERM): this edge's Redis user was made before contract v2; run \`bun run redis-acl\` again and load its users`
            : `${why}, but this edge's Redis user may not write the shared v1 streams (made by \`bun run redis-acl\` for contract v2 without legacy access); a v2 core reads ${this.stream(2, "shares")} once it runs`;
      } else {
        this.warnOnce(`none:${want}`, "error", `this edge's Redis user may write neither ${this.stream(2, "shares")} nor ${this.stream(1, "shares")} (NOPERM): share records wait in the spool; run \`bun run redis-acl\` again and load its users`);
      }
    }
    if (mode !== this.mode) {
      if (mode === 1) this.warnOnce(`v1:${why}`, "warn", `writing contract v1 (shared streams ${this.stream(1, "shares")}, no share proofs): ${why}`);
      else if (why) this.warnOnce(`v2:${why}`, "warn", `writing contract v2 (${this.stream(2, "shares")}): ${why}`);
      else log.notice(`writing contract v2: share records with proofs to ${this.stream(2, "shares")}`);
    }
    this.mode = mode;
    return mode;
  }

  /** Whether the ACL lets this user XADD to `mode`'s share stream; undefined when Redis did not say. */
  private async mayWrite(mode: ContractMode): Promise<boolean | undefined> {
    const { link } = this.o;
    try {
      // Refused by Redis after the ACL check and before any stream is touched (see the module note).
      await link.timed(link.client.xadd(this.stream(mode, "shares"), "0-0", "probe", ""), this.o.timeoutMs, "XADD permission probe");
      return true;
    } catch (e) {
      if (isNoPerm(e)) return false;
      // (Redis before 7 answers the same probe with "equal or smaller than the target stream top item".)
      return /greater than 0-0|equal or smaller/.test((e as Error).message) ? true : undefined;
    }
  }

  private warnOnce(key: string, level: "warn" | "error", message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.o.log[level](message);
  }
}
