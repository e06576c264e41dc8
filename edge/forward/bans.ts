/**
 * @module The edge's bans towards the operator, through Redis (shared/contract/edge-bans.ts):
 * every interval it SETs edgeBans(edge) — the active bans with their reasons, and counts by kind —
 * with a TTL of three intervals, and reads the ban-lift stream (non-blocking XREAD from the entry
 * it last saw; at start, from the newest entry, since bans live in this process's memory only) and
 * lifts what is addressed to it or to every edge. Skipped while Redis is unreachable; a lift sent
 * meanwhile is read when the link is back, as long as it is still in the capped stream.
 */
import { banLiftCodec, edgeBansCodec, MAX_PUBLISHED_BANS, MESSAGE_FIELD, type EdgeBansV1 } from "../../shared/contract/index.ts";
import type { Logger } from "../../shared/log.ts";
import type { IpGuard } from "../listener/index.ts";
import type { Forwarder } from "./forwarder.ts";

export interface BanBoardOptions {
  readonly forwarder: Forwarder;
  readonly guard: IpGuard;
  /** This edge's config name: a lift naming it (or `forwarder.edge`, a worker's own name) applies here. */
  readonly edgeName: string;
  readonly log: Logger;
  readonly intervalMs?: number;
  readonly now?: () => number;
}

type StreamEntries = [id: string, fields: string[]][];

export class BanBoard {
  private timer: ReturnType<typeof setInterval> | undefined;
  private running: Promise<void> | undefined;
  /** The last lift entry seen; undefined until the first successful read of where the stream ends. */
  private cursor: string | undefined;
  private failing = false;
  readonly intervalMs: number;

  constructor(private readonly o: BanBoardOptions) {
    this.intervalMs = o.intervalMs ?? 2000;
  }

  start(): Promise<void> {
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    return this.tick();
  }

  /** One round (not overlapping a running one). */
  tick(): Promise<void> {
    this.running ??= this.once().finally(() => (this.running = undefined));
    return this.running;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
    const f = this.o.forwarder;
    if (!f.link.up) return;
    await f.link.timed(f.link.client.del(f.names.edgeBans(f.edge)), 2000, "DEL edge bans").catch(() => undefined);
  }

  /** The record published now. */
  record(): EdgeBansV1 {
    const now = (this.o.now ?? Date.now)();
    const g = this.o.guard;
    const all = g.list(now);
    return {
      v: 1,
      edge: this.o.forwarder.edge,
      time: now,
      bans: all.slice(0, MAX_PUBLISHED_BANS).map((b) => ({ ...b, reason: b.reason.slice(0, 256) })),
      total: all.length,
      banned: { ...g.bansByKind },
      closed: { ...g.closesByKind },
      lifted: g.lifted,
    };
  }

  private async once(): Promise<void> {
    const { forwarder: f, log } = this.o;
    if (!f.link.up) return;
    try {
      await this.readLifts();
      await f.link.timed(f.link.client.set(f.names.edgeBans(f.edge), edgeBansCodec.encode(this.record()), "PX", 3 * this.intervalMs), this.intervalMs, "SET edge bans");
      if (this.failing) log.notice("bans: published again");
      this.failing = false;
    } catch (e) {
      if (!this.failing) log.warn(`bans: not published / lifts not read (${(e as Error).message})`);
      this.failing = true;
    }
  }

  private async readLifts(): Promise<void> {
    const { forwarder: f, log, guard } = this.o;
    const stream = f.names.banLiftStream;
    const client = f.link.client;
    if (this.cursor === undefined) {
      const last = (await f.link.timed(client.xrevrange(stream, "+", "-", "COUNT", 1), this.intervalMs, "XREVRANGE ban lifts")) as StreamEntries;
      this.cursor = last[0]?.[0] ?? "0-0";
      return;
    }
    const read = (await f.link.timed(client.xread("COUNT", 1000, "STREAMS", stream, this.cursor), this.intervalMs, "XREAD ban lifts")) as [string, StreamEntries][] | null;
    for (const [id, fields] of read?.[0]?.[1] ?? []) {
      this.cursor = id;
      const i = fields.indexOf(MESSAGE_FIELD);
      let lift;
      try {
        lift = banLiftCodec.decode(fields[i + 1] ?? "");
      } catch (e) {
        log.warn(`bans: ignored ban-lift entry ${id}: ${(e as Error).message}`);
        continue;
      }
      if (lift.edge !== null && lift.edge !== this.o.edgeName && lift.edge !== f.edge) continue;
      if (guard.lift(lift.ip)) log.notice(`ban on ${lift.ip} lifted by the operator`);
    }
  }
}
