/**
 * @module Block candidate streams → the submitters, ahead of everything else (spec §15 item 27:
 * submission never waits behind a miner's connection or the share backlog).
 *
 * Streams (contract v2, issue 20): every edge's own `edgeStream("candidates", edge)`, which only
 * that edge's credentials can write, plus the v1 shared `candidateStream` of edges not upgraded yet.
 * Edge streams are found by SCAN (at start and every few seconds, on their own connection); an
 * edge's candidate stream is also created, with the group, as soon as its share stream shows up, so
 * even its first block is read at once rather than after the next SCAN.
 *
 * Its own two Redis connections: one blocked in a single XREADGROUP on all candidate streams at
 * once, one for acks, claims and discovery, so share traffic on the core's main connection cannot
 * delay a block. Consumer group `blockGroup`, created from each stream's start, so candidates written
 * while no core ran are still submitted. At start (and after an error) the entries this consumer
 * name left pending (a crash mid-submit) are read first, and every 5 s entries other consumers left
 * pending are claimed (XAUTOCLAIM): after 30 s idle, or at once when this core holds the leader
 * lease (core/leader/). Each candidate is handled as soon as it arrives, concurrently with others,
 * and acked once handled, whatever the outcome: a malformed one is logged and acked, never retried.
 *
 * Identity: on an edge's own stream the edge is the stream's (`edgeOfStream`); a candidate naming
 * another edge is refused (logged, acked, nothing submitted or written). On the v1 stream it is the
 * payload's, as before. Every candidate is then checked against the job the core issued
 * (verify.ts) before anything is submitted: one that does not match is forged — never submitted,
 * never recorded (no finder, no rejected block) — and on an edge's own stream quarantines that
 * edge (`quarantine(edge)`, core/gate/quarantine-store.ts; the gate then holds its shares).
 */
import type Redis from "ioredis";
import type { Cluster } from "ioredis";
import { candidateCodec, contractNames, MESSAGE_FIELD, type BlockCandidateV1, type ContractNames } from "../../shared/contract/index.ts";
import type { Logger } from "../../shared/log.ts";
import type { RedisClient } from "../../shared/redis.ts";
import { defineScript, type ScriptRunner } from "../accounting/scripts.ts";
import { quarantineFields } from "../gate/quarantine-store.ts";
import { attachFence, fencedTx, fenceOf, isFenced } from "../leader/fence.ts";
import type { BlockSubmitter } from "./submitter.ts";
import type { CandidateChecker } from "./verify.ts";

export interface BlockConsumerOptions {
  readonly redis: RedisClient;
  /** `redis.prefix`. */
  readonly prefix: string;
  /** Stable across restarts (e.g. `core:<procname>`), so entries left pending come back to this core. */
  readonly consumer: string;
  /**
   * The submitter of a coin, or undefined when the core runs no such coin. Candidates are routed by
   * `coin`, not `jobmanager`: on a switching port the jobmanager is the switcher, and the coin's
   * submitter holds the job (core/switching registers its switch jobs in the coin's store).
   */
  readonly submitter: (coin: string) => BlockSubmitter | undefined;
  /** The proof-of-work check against the candidate's job (verify.ts `candidateChecker`). */
  readonly check: CandidateChecker;
  readonly log: Logger;
  /** Aux-chain candidates (merge mining); without it they are logged and acked. */
  readonly onAux?: (candidate: BlockCandidateV1, entryId: string) => Promise<void>;
  readonly blockMs?: number;
  readonly count?: number;
  readonly retryMs?: number;
  /** How often edge streams are looked for (default 3 s). */
  readonly discoverMs?: number;
  /**
   * Active/standby cores (core/leader/): asked right before each submission; false (this core was
   * deposed) leaves the candidate pending, unsubmitted, for the new leader.
   */
  readonly isLeader?: () => Promise<boolean>;
  /** The core holds the leader lease: every sweep claims candidates pending with other consumers whatever their idle time (see StreamConsumer's `takeover`). */
  readonly takeover?: boolean;
  /** Candidates pending this long with another consumer are claimed (default 30 s). */
  readonly claimIdleMs?: number;
  /** How often pending candidates are looked for (default 5 s). */
  readonly claimEveryMs?: number;
}

export interface BlockConsumerStatus {
  readonly state: "starting" | "reading" | "retrying" | "stopped";
  readonly candidates: number;
  readonly inFlight: number;
  readonly lastError: string | null;
  /** Candidate streams read (the v1 one and every edge's). */
  readonly streams?: number;
  /** Candidates refused for naming another edge than their stream's. */
  readonly refused?: number;
  /** Candidates that did not match their job (not submitted; their edge quarantined). */
  readonly forged?: number;
}

type Entry = { readonly id: string; readonly message: string | undefined; readonly deleted: boolean };

interface CandidateStream {
  readonly key: string;
  /** The edge whose credentials alone can write it; null for the v1 shared stream (identity = payload). */
  readonly edge: string | null;
  /** Where the read of our own pending entries continues; null once done. */
  pendingFrom: string | null;
}

const CLAIM_EVERY_MS = 5000;
/** Sets the quarantine unless one is already there (the gate's, or an operator decision pending on it). */
// KEYS[2]: the quarantine index (names.quarantineIndex); ARGV[1]: the edge; the rest the hash fields.
const QUARANTINE_LUA = `if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('SADD', KEYS[2], ARGV[1])
return 1`;

export class BlockConsumer {
  private readonly names: ContractNames;
  private readonly group: string;
  private readonly reader: Redis | Cluster;
  private readonly writer: Redis | Cluster;
  private readonly quarantine: ScriptRunner;
  /** Streams whose group exists: what the reader reads. */
  private streams = new Map<string, CandidateStream>();
  private readonly inFlight = new Set<Promise<void>>();
  private loop: Promise<void> | undefined;
  private upkeep: Promise<void> | undefined;
  private stopping = false;
  private ready = false;
  private state: BlockConsumerStatus["state"] = "starting";
  private lastError: string | null = null;
  private upkeepError: string | null = null;
  private candidates = 0;
  private refused = 0;
  private forged = 0;
  private deposed = false;
  /** Min idle time of a claim sweep: 0 for a leader. */
  private readonly claimIdle: number;
  /** `stream\nid` being handled: a sweep that claims one of ours back must not handle it twice at once. */
  private readonly handling = new Set<string>();
  private wake: (() => void) | undefined;

  constructor(private readonly o: BlockConsumerOptions) {
    this.names = contractNames(o.prefix);
    this.group = this.names.blockGroup;
    this.reader = o.redis.duplicate();
    this.writer = o.redis.duplicate();
    this.claimIdle = o.takeover ? 0 : (o.claimIdleMs ?? 30_000);
    // Acks and quarantines are fenced like every other write of the core (a duplicate connection has no fence of its own).
    const fence = fenceOf(o.redis);
    if (fence) attachFence(this.writer as Redis, fence);
    this.quarantine = defineScript(this.writer as Redis, "ppBlockQuarantine", QUARANTINE_LUA);
    // ioredis prints reconnect errors without a listener; the read loop logs the state change once.
    for (const c of [this.reader, this.writer]) c.on("error", (e: Error) => o.log.debug(`candidate stream connection: ${e.message}`));
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Stops reading, then waits up to `timeoutMs` for submissions in flight (unfinished ones stay pending). */
  async stop(timeoutMs = 10_000): Promise<void> {
    this.stopping = true;
    this.wake?.();
    // A read queued while the connection was down never settles once disconnect() ends its
    // reconnecting (ioredis): do not wait for it. Whatever it held stays pending for the leader.
    const readerUp = this.reader.status === "ready";
    this.reader.disconnect();
    const deadline = Bun.sleep(timeoutMs);
    if (this.loop) await Promise.race([this.loop, readerUp ? deadline : Bun.sleep(200)]);
    if (this.upkeep) await Promise.race([this.upkeep, Bun.sleep(200)]);
    await Promise.race([Promise.all(this.inFlight), deadline]);
    this.writer.disconnect();
    this.state = "stopped";
  }

  status(): BlockConsumerStatus {
    return { state: this.state, candidates: this.candidates, inFlight: this.inFlight.size, lastError: this.lastError, streams: this.streams.size, refused: this.refused, forged: this.forged };
  }

  private async run(): Promise<void> {
    while (!this.stopping && !this.deposed) {
      try {
        if (!this.ready) await this.prepare();
        await this.step();
        if (this.state === "retrying") this.o.log.info("reading the block candidate streams again");
        this.state = "reading";
        this.lastError = null;
      } catch (e) {
        if (this.stopping) break;
        const msg = (e as Error).message;
        // A group or stream gone (FLUSHALL, DEL; Redis 7 unblocks a read on a deleted stream): look for the streams again and re-create the groups.
        if (msg.startsWith("NOGROUP") || msg.startsWith("UNBLOCKED")) this.ready = false;
        for (const s of this.streams.values()) s.pendingFrom = "0";
        if (this.state !== "retrying") this.o.log.error(`reading the block candidate streams failed: ${msg}; block candidates wait in Redis until it works again`);
        this.state = "retrying";
        this.lastError = msg;
        await Bun.sleep(this.o.retryMs ?? 1000);
      }
    }
  }

  /** Groups on the v1 stream and every edge stream found; then the upkeep loop (discovery, claims) runs beside the reads. */
  private async prepare(): Promise<void> {
    const streams = new Map<string, CandidateStream>();
    await this.ensureGroup(this.names.candidateStream);
    streams.set(this.names.candidateStream, { key: this.names.candidateStream, edge: null, pendingFrom: "0" });
    for (const s of await this.discover(true)) streams.set(s.key, s);
    this.streams = streams;
    this.ready = true;
    await this.claimAll();
    this.upkeep ??= this.keepUp();
  }

  private async step(): Promise<void> {
    const count = this.o.count ?? 16;
    const pending = [...this.streams.values()].filter((s) => s.pendingFrom !== null);
    if (pending.length > 0) {
      const reply = await this.reader.call("XREADGROUP", "GROUP", this.group, this.o.consumer, "COUNT", count, "STREAMS", ...pending.map((s) => s.key), ...pending.map((s) => s.pendingFrom!));
      const read = parseReadGroup(reply);
      for (const s of pending) {
        const entries = read.get(s.key) ?? [];
        s.pendingFrom = entries.length > 0 ? entries[entries.length - 1]!.id : null;
        this.dispatch(s, entries);
      }
      return;
    }
    const all = [...this.streams.values()];
    const reply = await this.reader.call("XREADGROUP", "GROUP", this.group, this.o.consumer, "COUNT", count, "BLOCK", this.o.blockMs ?? 1000, "STREAMS", ...all.map((s) => s.key), ...all.map(() => ">"));
    const read = parseReadGroup(reply);
    for (const s of all) this.dispatch(s, read.get(s.key) ?? []);
  }

  private dispatch(s: CandidateStream, entries: readonly Entry[]): void {
    for (const e of entries) {
      if (this.handling.has(`${s.key}\n${e.id}`)) continue;
      const p = this.handle(s, e).finally(() => this.inFlight.delete(p));
      this.inFlight.add(p);
    }
  }

  private async ensureGroup(key: string): Promise<void> {
    await this.writer.call("XGROUP", "CREATE", key, this.group, "0", "MKSTREAM").catch((e: unknown) => {
      if (!(e instanceof Error && e.message.startsWith("BUSYGROUP"))) throw e;
    });
  }

  /**
   * Every edge's candidate stream, group created: those that exist, and those of edges whose share
   * stream exists (created empty here, so the edge's first candidate lands in a stream already read).
   * `again`: (re-)create the group of streams already known too (after NOGROUP: a FLUSHALL, a DEL).
   */
  private async discover(again = false): Promise<CandidateStream[]> {
    const edges = new Set<string>();
    // One SCAN for both kinds: the cost of a SCAN is the keyspace it walks, whatever it matches.
    const match = `${this.o.prefix.replace(/[*?[\]\\]/g, "\\$&")}*`;
    let cursor = "0";
    do {
      const [next, keys] = (await this.writer.call("SCAN", cursor, "MATCH", match, "COUNT", 1000, "TYPE", "stream")) as [string, string[]];
      for (const k of keys) {
        const edge = this.names.edgeOfStream("candidates", k) ?? this.names.edgeOfStream("shares", k);
        if (edge !== undefined) edges.add(edge);
      }
      cursor = next;
    } while (cursor !== "0" && !this.stopping);
    const out: CandidateStream[] = [];
    for (const edge of edges) {
      const key = this.names.edgeStream("candidates", edge);
      const known = this.streams.get(key);
      if (known && !again) {
        out.push(known);
        continue;
      }
      await this.ensureGroup(key);
      out.push(known ?? { key, edge, pendingFrom: "0" });
    }
    return out;
  }

  /** Discovery every `discoverMs`, claims every `claimEveryMs`, on the writer connection: the reader only ever reads. */
  private async keepUp(): Promise<void> {
    const discoverEvery = this.o.discoverMs ?? 3000;
    const claimEvery = this.o.claimEveryMs ?? CLAIM_EVERY_MS;
    let nextDiscover = Date.now() + discoverEvery;
    let nextClaim = Date.now() + claimEvery;
    while (!this.stopping && !this.deposed) {
      const wait = Math.max(0, Math.min(nextDiscover, nextClaim) - Date.now());
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        this.wake = () => (clearTimeout(timer), resolve());
      });
      if (this.stopping || this.deposed || !this.ready) continue;
      try {
        if (Date.now() >= nextDiscover) {
          nextDiscover = Date.now() + discoverEvery;
          const added = (await this.discover()).filter((s) => !this.streams.has(s.key));
          for (const s of added) this.streams.set(s.key, s);
          if (added.length > 0) this.o.log.info(`reading the block candidates of ${added.map((s) => `edge ${s.edge}`).join(", ")}`);
        }
        if (Date.now() >= nextClaim) {
          nextClaim = Date.now() + claimEvery;
          await this.claimAll();
        }
        if (this.upkeepError) this.o.log.info("looking for edge candidate streams and pending candidates works again");
        this.upkeepError = null;
      } catch (e) {
        const msg = (e as Error).message;
        if (this.upkeepError === null) this.o.log.warn(`looking for edge candidate streams or pending candidates failed: ${msg}; retrying`);
        this.upkeepError = msg;
      }
    }
  }

  private async claimAll(): Promise<void> {
    for (const s of [...this.streams.values()]) await this.claim(s, this.o.count ?? 16);
  }

  /** Takes over candidates other consumers left pending (a core that died or was deposed mid-submit). */
  private async claim(s: CandidateStream, count: number): Promise<void> {
    let cursor = "0-0";
    do {
      const reply = await this.writer.call("XAUTOCLAIM", s.key, this.group, this.o.consumer, this.claimIdle, cursor, "COUNT", count);
      if (!Array.isArray(reply) || typeof reply[0] !== "string") throw new TypeError(`XAUTOCLAIM: expected [next, entries, deleted], got ${typeof reply}`);
      const entries = (parseReadGroup([[s.key, reply[1]]]).get(s.key) ?? []).filter((e) => !this.handling.has(`${s.key}\n${e.id}`));
      if (entries.length > 0) this.o.log.notice(`took over ${entries.length} block candidate(s) another core left pending in ${s.key}`);
      this.dispatch(s, entries);
      cursor = reply[0];
    } while (cursor !== "0-0" && !this.stopping);
  }

  private async handle(s: CandidateStream, e: Entry): Promise<void> {
    let ack = true;
    const handle = `${s.key}\n${e.id}`;
    this.handling.add(handle);
    try {
      if (e.deleted || e.message === undefined) {
        this.o.log.error(`candidate ${e.id} in ${s.key}: ${e.deleted ? "trimmed from the stream before it was read" : `no "${MESSAGE_FIELD}" field`}; acked`);
        return;
      }
      let c: BlockCandidateV1;
      try {
        c = candidateCodec.decode(e.message);
      } catch (err) {
        this.o.log.error(`candidate ${e.id} in ${s.key}: malformed, acked without submitting: ${(err as Error).message}`);
        return;
      }
      this.candidates++;
      if (s.edge !== null && c.edge !== s.edge) {
        this.refused++;
        this.o.log.error(`candidate ${e.id} in ${s.key} REFUSED: it names edge "${c.edge}", but only edge "${s.edge}" writes this stream; not submitted, not recorded`, { hash: c.blockHash, worker: `${c.address}.${c.worker}` });
        return;
      }
      if (this.o.isLeader && !(await this.o.isLeader())) {
        ack = false;
        this.deposed = true;
        this.o.log.warn(`${c.currency} block ${c.blockHash}: this core is no longer the leader; candidate ${e.id} left pending for the new leader`);
        return;
      }
      const submitter = this.o.submitter(c.coin);
      if (!submitter) {
        this.o.log.error(`${c.currency} BLOCK ${c.blockHash} LOST: this core runs no coin ${c.coin}`, { edge: c.edge, worker: c.worker, jobmanager: c.jobmanager, candidate: e.id });
        return;
      }
      const stored = await submitter.job(c, e.id);
      if (!stored) return;
      let check: ReturnType<CandidateChecker>;
      try {
        check = this.o.check(c, stored);
      } catch (err) {
        this.o.log.error(`${c.currency} BLOCK ${c.blockHash} LOST: candidate ${e.id} could not be checked against job ${c.jobId} (${(err as Error).message}); not submitted`, { edge: c.edge });
        return;
      }
      if (!check.ok) {
        ack = await this.refuseForged(s, e.id, c, check.detail);
        return;
      }
      const work: Promise<unknown>[] = [];
      if (c.main) work.push(submitter.submit(c, e.id, stored));
      if (c.aux.length > 0) {
        if (this.o.onAux) work.push(this.o.onAux(c, e.id));
        else this.o.log.warn(`candidate ${e.id}: aux blocks for ${c.aux.join(", ")} not submitted (merge mining is not wired)`);
      }
      // Main and aux submissions at once: neither waits for the other's coinservers.
      for (const r of await Promise.allSettled(work)) if (r.status === "rejected") this.o.log.error(`candidate ${e.id}: submission failed: ${(r.reason as Error).message}`);
    } catch (err) {
      this.o.log.error(`candidate ${e.id} in ${s.key}: handling failed: ${(err as Error).message}`);
    } finally {
      if (ack) await this.ackOne(s.key, e.id);
      this.handling.delete(handle);
    }
  }

  /** A candidate its job does not back: logged, and its edge quarantined (v2). False: leave it pending (quarantine not written). */
  private async refuseForged(s: CandidateStream, id: string, c: BlockCandidateV1, detail: string): Promise<boolean> {
    this.forged++;
    const fields = { stream: s.key, candidate: id, hash: c.blockHash, worker: `${c.address}.${c.worker}`, main: c.main, aux: c.aux.join(",") };
    this.o.log.error(`FORGED ${c.currency} block candidate ${id} from edge ${c.edge}: ${detail}; NOT submitted, not recorded`, fields);
    if (s.edge === null) {
      this.o.log.error(`candidate ${id} came on the shared v1 stream, which any edge may write: no edge quarantined (its payload names ${c.edge})`, fields);
      return true;
    }
    try {
      const set = await this.quarantine([this.names.quarantine(s.edge), this.names.quarantineIndex], [s.edge, ...quarantineFields({ since: Date.now(), reason: "forged block candidate", detail, stream: s.key, entry: id })]);
      if (set === 1) this.o.log.error(`edge ${s.edge} QUARANTINED: forged block candidate (its shares are held until an operator releases or discards them)`, fields);
      else this.o.log.error(`edge ${s.edge} was already quarantined; its forged block candidate ${id} is refused all the same`, fields);
      return true;
    } catch (err) {
      this.o.log.error(`edge ${s.edge}: could not write its quarantine (${(err as Error).message}); candidate ${id} stays pending and is checked again`, fields);
      if (isFenced(err)) this.deposed = true;
      return false;
    }
  }

  private async ackOne(stream: string, id: string): Promise<void> {
    try {
      const [err] = (await fencedTx(this.writer as Redis).call("XACK", stream, this.group, id).exec())?.[0] ?? [null];
      if (err) throw err;
    } catch (err) {
      this.o.log.warn(`candidate ${id} in ${stream}: XACK failed (${(err as Error).message}); it comes back as pending and is claimed again`);
      // Deposed (core/leader/): stop reading; the leader claims what is pending here.
      if (isFenced(err)) this.deposed = true;
    }
  }
}

/** XREADGROUP (or XAUTOCLAIM's entries wrapped as one stream): null, or [[stream, [[id, [field, value, …] | null], …]], …]. */
function parseReadGroup(reply: unknown): Map<string, Entry[]> {
  const out = new Map<string, Entry[]>();
  if (reply === null) return out;
  if (!Array.isArray(reply)) throw new TypeError(`XREADGROUP: expected [[stream, entries], …], got ${typeof reply}`);
  for (const s of reply as unknown[]) {
    if (!Array.isArray(s) || typeof s[0] !== "string" || !Array.isArray(s[1])) throw new TypeError(`XREADGROUP: expected [stream, entries], got ${JSON.stringify(s)}`);
    const entries = (s[1] as unknown[]).map((item): Entry => {
      if (!Array.isArray(item) || typeof item[0] !== "string") throw new TypeError(`XREADGROUP: expected [id, fields], got ${JSON.stringify(item)}`);
      const fields: unknown = item[1];
      if (!Array.isArray(fields)) return { id: item[0], message: undefined, deleted: true };
      for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === MESSAGE_FIELD && typeof fields[i + 1] === "string") return { id: item[0], message: fields[i + 1] as string, deleted: false };
      return { id: item[0], message: undefined, deleted: false };
    });
    out.set(s[0], entries);
  }
  return out;
}
