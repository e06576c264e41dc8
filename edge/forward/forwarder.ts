/**
 * @module Share records and block candidates, edge → core, and the spool that keeps them while
 * Redis is unreachable. With heartbeat.ts and edge-id.ts, the only edge code that writes Redis.
 *
 * Shares: records are appended to a binary batch (shared/contract share-batch) and a batch is cut
 * every `flushMs` or `batchRecords` records; cut batches go out as XADDs in one pipeline, one
 * pipeline at a time, so they reach the stream in order. The share stream is never trimmed: the
 * core must see every record.
 *
 * Candidates: XADD at once (not batched), awaited, retried a few times; what still fails goes to
 * its own spool, which is replayed before the share spool. A candidate names its winning share's
 * record (`shareSeq`): `blockShare` numbers that record, issues the candidate's XADD (or spools
 * it), and only then queues the record, so the candidate leads its record into Redis.
 *
 * PPAgent records: one XADD each to the agent stream, not awaited by the agent. While Redis is down
 * (or too many are in flight) they are dropped and counted (`agentDropped`), not spooled: they are
 * monitoring figures that the next report (about a minute later) supersedes, written as overwrites
 * (HSET, SETEX with a day's TTL), so replaying an hour of them late buys nothing and would share
 * the spool's disk and ordering with shares, which do matter.
 *
 * Replication (redis.wait_replicas > 0, the default with Sentinel): every XADD pipeline ends with
 * WAIT. A primary acknowledges a write before its replica has it, and Sentinel may promote that
 * replica, so a batch or candidate the replicas have not confirmed is kept in memory (`retained`)
 * after it reached the stream: it flows to the core at once either way. While anything is retained
 * writes skip the WAIT (their copies are retained too) and a lone WAIT every CONFIRM_EVERY_MS
 * releases them all once the replicas caught up; when the connection changes first (a failover),
 * they are spooled and sent again. The core counts each record
 * once, so a batch that did survive is only deduplicated. Retained copies are bounded
 * (MAX_RETAINED_BYTES; past it the oldest are dropped, logged as an error: a failover then could
 * lose them) and spooled at stop.
 *
 * Outage: when a share write fails or times out, or the link is down, the failed batches and all
 * later ones are appended to the share spool (keeping their order) and the edge keeps serving.
 * When the link is up the replay loop sends the spool, in order, candidates first, and deletes a
 * spool only after Redis acknowledged every frame in it; then batches go directly again. Records
 * are at least once: a write that timed out may still have landed, and a crash mid-replay replays
 * acknowledged frames, both with their original (edge, session, seq) ids, which the core dedups.
 *
 * Contract version (contract.ts): v2 writes batches with proofs, candidates and agent records to
 * this edge's own streams, v1 to the shared ones; asked at start, at every heartbeat and after a
 * NOPERM. A change cuts the current batch and the writer starts the new version; seqs go on, so
 * the core's (edge, session, seq) ids stay unique across it. A share batch goes where its version
 * byte says (v1 → shared stream, v2 → own stream), queued or spooled alike — except a v2 batch while
 * the edge writes v1, which goes to the shared stream downgraded (the core, or the ACL, takes no v2
 * there). Until Redis first answered the writer writes v2: it can still become v1, not the reverse.
 * Candidates and agent records go to the current version's stream.
 */
import { join } from "node:path";
import type { RedisOptions } from "ioredis";
import type { RedisConfig } from "../../shared/config/schema.ts";
import { agentRecordCodec, candidateCodec, contractNames, EMPTY_PROOF, type AgentRecordV1, MESSAGE_FIELD, SHARE_BATCH_VERSION, ShareBatchWriter, shareBatchVersion, type BlockCandidateV1, type ContractNames, type ShareProof, type ShareRecord, type ShareRecordV1 } from "../../shared/contract/index.ts";
import type { Logger } from "../../shared/log.ts";
import { replicaWait, type ReplicaWait } from "../../shared/redis.ts";
import { ContractDetector, downgradeBatch, isNoPerm, type ContractMode } from "./contract.ts";
import { RedisLink } from "./link.ts";
import { Spool, type SpoolFrame } from "./spool.ts";

/**
 * A share record before the forwarder numbers it, with its proof (empty when nothing was hashed).
 * The proof's extranonces may be views of buffers the caller reuses: `share` copies them at once.
 */
export type ShareFields = Omit<ShareRecordV1, "seq"> & ShareProof;

export interface ForwarderOptions {
  readonly redis: RedisConfig;
  readonly edge: string;
  /** 8 lower-case hex digits, new every start (default: random). */
  readonly session?: string;
  /** Directory of this edge's spool files, e.g. `.spool/<edge>`. */
  readonly spoolDir: string;
  readonly log: Logger;
  readonly flushMs?: number;
  readonly batchRecords?: number;
  readonly writeTimeoutMs?: number;
  readonly retryMs?: number;
  /** Extra ioredis options (tests shorten the reconnect delay). */
  readonly overrides?: RedisOptions;
}

const PIPELINE_BATCHES = 32;
const REPLAY_FRAMES = 64;
const CANDIDATE_TRIES = 3;
const MAX_RETRY_MS = 10_000;
const SPOOL_SYNC_MS = 1000;
/** Agent XADDs in flight before new records are dropped (Redis slow, not down). */
const MAX_AGENT_INFLIGHT = 256;
/** Written but not confirmed by the replicas, kept in memory at most this much (then the oldest go). */
const MAX_RETAINED_BYTES = 64 * 1024 * 1024;
/**
 * While copies are retained, writes go without WAIT (a WAIT blocks the connection for its timeout
 * when no replica answers, which would throttle every write) and a lone WAIT this often asks
 * whether the replicas caught up.
 */
const CONFIRM_EVERY_MS = 5000;

/** A payload the primary acknowledged and the replicas have not confirmed yet. */
interface Retained {
  readonly candidate: boolean;
  readonly payload: Uint8Array;
}

export function randomSession(): string {
  return crypto.getRandomValues(new Uint32Array(1))[0]!.toString(16).padStart(8, "0");
}

export class Forwarder {
  readonly edge: string;
  readonly session: string;
  readonly names: ContractNames;
  readonly link: RedisLink;
  private readonly log: Logger;
  private writer: ShareBatchWriter;
  private readonly record: ShareRecord = { seq: 0, result: 0, difficulty: 1, time: 0, jobmanager: "", jobId: "", currency: "", algo: "", port: "", address: "", worker: "", aux: [], ...EMPTY_PROOF };
  private readonly contract: ContractDetector;
  private seq = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private syncTimer: ReturnType<typeof setInterval> | undefined;
  private queue: Uint8Array[] = [];
  private inflight: Promise<void> | undefined;
  private detecting: Promise<ContractMode | undefined> | undefined;
  private recheckAfter = false;
  private sharesSpooling = false;
  private replaying: Promise<void> | undefined;
  private replayFailing = false;
  private stopped = false;
  private readonly wake = new Set<() => void>();
  private readonly shareSpool: Spool;
  private readonly candidateSpool: Spool;
  /** v1 batches no stream of this Redis user takes any more (see drain), kept for a manual replay. */
  private readonly refusedSpool: Spool;
  private readonly flushMs: number;
  private readonly batchRecords: number;
  private readonly timeoutMs: number;
  private readonly retryMs: number;
  private agentInflight = 0;
  private agentFailing = false;
  private readonly wait: ReplicaWait | undefined;
  private retained: Retained[] = [];
  private retainedBytes = 0;
  /** The link epoch the retained payloads were written in. */
  private retainedEpoch = 0;
  private retainWarned = false;
  private confirmTimer: ReturnType<typeof setInterval> | undefined;
  private confirming = false;
  /** Retained payloads dropped at the memory bound (each one unprotected against a failover). */
  retainedDropped = 0;
  /** PPAgent records Redis acknowledged / dropped (Redis unreachable, slow or failing). */
  agentSent = 0;
  agentDropped = 0;

  constructor(opts: ForwarderOptions) {
    this.edge = opts.edge;
    this.session = opts.session ?? randomSession();
    this.names = contractNames(opts.redis.prefix);
    this.log = opts.log;
    this.flushMs = opts.flushMs ?? 5;
    this.batchRecords = opts.batchRecords ?? 512;
    this.timeoutMs = opts.writeTimeoutMs ?? 2000;
    this.retryMs = opts.retryMs ?? 250;
    this.writer = new ShareBatchWriter(this.edge, this.session, SHARE_BATCH_VERSION);
    this.link = new RedisLink(opts.redis, `edge:${this.edge}:forward`, opts.log, opts.overrides);
    this.contract = new ContractDetector({ link: this.link, names: this.names, edge: this.edge, log: opts.log, timeoutMs: this.timeoutMs });
    this.wait = replicaWait(opts.redis);
    const countRecords = (b: Uint8Array) => (b.length >= 4 ? b[2]! | (b[3]! << 8) : 0);
    this.shareSpool = new Spool(join(opts.spoolDir, "shares.spool"), { fsync: "interval", countRecords, log: opts.log });
    this.candidateSpool = new Spool(join(opts.spoolDir, "candidates.spool"), { fsync: "every", countRecords: () => 0, log: opts.log });
    this.refusedSpool = new Spool(join(opts.spoolDir, REFUSED_V1_SPOOL), { fsync: "every", countRecords, log: opts.log });
  }

  /** Opens the spools (an earlier run's frames are replayed first) and waits up to `waitMs` for Redis. */
  async start(waitMs = 2000): Promise<void> {
    this.shareSpool.open();
    this.candidateSpool.open();
    this.sharesSpooling = this.shareSpool.pendingFrames > 0;
    this.link.onUp(() => {
      // A new connection (a failover, say): what the old one wrote unconfirmed is sent again.
      if (this.retained.length > 0 && this.retainedEpoch !== this.link.epoch) this.respoolRetained("the connection changed before the replicas confirmed");
      // Maybe another server: ask again (the replay waits for the answer).
      void this.refreshContract();
      this.kick();
    });
    this.syncTimer = setInterval(() => this.shareSpool.sync(), SPOOL_SYNC_MS);
    if (this.wait) this.confirmTimer = setInterval(() => void this.confirmRetained(), CONFIRM_EVERY_MS);
    if (await this.link.waitUp(waitMs)) await this.refreshContract();
    this.kick();
  }

  /** The contract version records go out as; undefined until Redis first answered. */
  get contractMode(): ContractMode | undefined {
    return this.contract.mode;
  }

  /**
   * Asks Redis which contract version to write (the heartbeat calls it every beat) and switches to
   * it; `recheck` also asks the ACL again (after a NOPERM). Concurrent calls share one question.
   */
  refreshContract(recheck = false): Promise<ContractMode | undefined> {
    if (this.detecting) {
      // A refusal seen while a plain question is out: ask the ACL once more after it (one for many refusals).
      if (recheck) this.recheckAfter = true;
      return this.detecting;
    }
    this.recheckAfter = false;
    this.detecting = this.contract
      .detect(recheck)
      .catch(() => this.contract.mode)
      .then((mode) => {
        this.detecting = undefined;
        // Stopped: the last batch is cut and spooled already; start the next run in whatever it finds.
        if (mode !== undefined && !this.stopped) this.useVersion(mode);
        return this.recheckAfter ? this.refreshContract(true) : mode;
      });
    return this.detecting;
  }

  /** Cuts the batch being filled (in the old version) and writes the next ones in `v`. */
  private useVersion(v: ContractMode): void {
    if (this.writer.version === v) return;
    this.cut();
    this.writer = new ShareBatchWriter(this.edge, this.session, v);
  }

  /** Share records waiting in the spool (the status's `spooled`). */
  get spooledRecords(): number {
    return this.shareSpool.pendingRecords;
  }

  get spooledCandidates(): number {
    return this.candidateSpool.pendingFrames;
  }

  /** Numbers the record (per-session seq, from 1), copies it into the current batch; returns the seq (0 if refused, logged). */
  share(f: ShareFields): number {
    const r = this.record;
    r.seq = this.seq + 1;
    r.result = f.result;
    r.difficulty = f.difficulty;
    r.time = f.time;
    r.jobmanager = f.jobmanager;
    r.jobId = f.jobId;
    r.currency = f.currency;
    r.algo = f.algo;
    r.port = f.port;
    r.address = f.address;
    r.worker = f.worker;
    r.aux = f.aux;
    r.extranonce1 = f.extranonce1;
    r.extranonce2 = f.extranonce2;
    r.ntime = f.ntime;
    r.nonce = f.nonce;
    r.version = f.version;
    try {
      this.writer.add(r);
    } catch (e) {
      this.log.error(`share record of ${f.address}.${f.worker} dropped: ${(e as Error).message}`);
      return 0;
    }
    this.seq = r.seq;
    if (this.writer.count >= this.batchRecords) this.cut();
    else this.timer ??= setTimeout(() => this.cut(), this.flushMs);
    return r.seq;
  }

  /**
   * The winning share of a block candidate: numbers its record, sends the candidate `build` makes
   * with that seq at once, then queues the record. Nothing in between awaits, so no batch can be
   * cut before the candidate's XADD is on the wire (or the candidate is in its spool, which is
   * replayed first). `build` is called at once (it may read buffers its caller reuses). `sent`
   * settles like `candidate()`.
   */
  blockShare(f: ShareFields, build: (shareSeq: number) => BlockCandidateV1): { candidate: BlockCandidateV1; sent: Promise<void> } {
    const seq = this.seq + 1;
    const candidate = build(seq);
    const sent = this.candidate(candidate);
    // A refused record (logged by share()) still uses up its seq: the next share must not take the
    // id the candidate names, or the core would count that share as the block's.
    if (this.share(f) === 0) this.seq = seq;
    return { candidate, sent };
  }

  /** Sends a block candidate at once; resolves when Redis has it or it is in the spool. */
  async candidate(c: BlockCandidateV1): Promise<void> {
    const text = candidateCodec.encode(c);
    let failure = "redis unreachable";
    if (this.link.up && this.candidateSpool.pendingFrames === 0) {
      for (let attempt = 1; attempt <= CANDIDATE_TRIES && this.link.up; attempt++) {
        // No await once known. Unknown (at the start): the winning record's batch waits on the same answer, after this.
        const mode = this.contract.mode ?? (await this.refreshContract());
        if (mode === undefined) {
          failure = "the contract version is not known yet";
          break;
        }
        const payload = new TextEncoder().encode(text);
        const epoch = this.link.epoch;
        const wait = this.writeWait();
        const acked = await this.link.xaddAll(this.contract.stream(mode, "candidates"), [payload], this.timeoutMs, wait);
        if (typeof acked === "number") return this.settled([payload], true, epoch, wait);
        if (acked.unconfirmed) return this.retain([payload], true, epoch);
        failure = acked.error;
        if (isNoPerm(failure)) await this.refreshContract(true);
        else if (attempt < CANDIDATE_TRIES) await this.pause(this.retryMs * attempt);
      }
    }
    this.candidateSpool.append(new TextEncoder().encode(text));
    this.log.error(`block candidate ${c.blockHash} spooled (${failure}); it is replayed first when Redis is back`);
    this.kick();
  }

  /**
   * Sends one PPAgent record to `agentStream`, fire and forget. Throws the contract's error for a
   * record it refuses; false when the record was dropped (see the module note), true when sent.
   */
  agent(rec: AgentRecordV1): boolean {
    const text = agentRecordCodec.encode(rec);
    const mode = this.contract.mode;
    if (this.stopped || !this.link.up || mode === undefined || this.agentInflight >= MAX_AGENT_INFLIGHT) {
      this.agentDropped++;
      return false;
    }
    this.agentInflight++;
    this.link
      .timed(this.link.client.xadd(this.contract.stream(mode, "agent"), "*", MESSAGE_FIELD, text), this.timeoutMs, "XADD agent")
      .then(
        () => {
          this.agentSent++;
          this.agentFailing = false;
        },
        (e: Error) => {
          this.agentDropped++;
          if (isNoPerm(e)) void this.refreshContract(true);
          if (!this.agentFailing) this.log.warn(`PPAgent records dropped until Redis takes writes again (${e.message})`);
          this.agentFailing = true;
        },
      )
      .finally(() => this.agentInflight--);
    return true;
  }

  /** Cuts the current batch and waits until nothing is queued or in flight (it may be in the spool). */
  async flush(): Promise<void> {
    this.cut();
    while (this.inflight || (this.queue.length > 0 && !this.sharesSpooling)) await (this.inflight ?? Bun.sleep(1));
  }

  /** Waits until the spools are replayed and everything cut went to Redis, or `ms` passes; true if so. */
  async drained(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    await this.flush();
    while (this.sharesSpooling || this.candidateSpool.pendingFrames > 0 || this.queue.length > 0 || this.inflight || this.retained.length > 0) {
      if (Date.now() > deadline) return false;
      // Ask the replicas now rather than at the next timer tick.
      if (this.retained.length > 0 && !this.inflight) await this.confirmRetained();
      await Bun.sleep(10);
    }
    return true;
  }

  /** Final flush (to Redis, else the spool; unconfirmed copies to the spool too), then closes the spools and the connection. */
  async stop(): Promise<void> {
    await this.flush();
    this.stopped = true;
    for (const done of [...this.wake]) done();
    await this.replaying;
    if (this.timer) clearTimeout(this.timer);
    clearInterval(this.syncTimer);
    clearInterval(this.confirmTimer);
    if (this.retained.length > 0) {
      await this.confirmRetained();
      if (this.retained.length > 0) this.respoolRetained("stopping before the replicas confirmed");
    }
    this.shareSpool.close();
    this.candidateSpool.close();
    this.refusedSpool.close();
    this.link.close();
  }

  private cut(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.writer.count === 0) return;
    const batch = this.writer.finish();
    if (this.sharesSpooling || this.stopped) {
      this.shareSpool.append(batch);
      return;
    }
    this.queue.push(batch);
    this.startPump();
  }

  private startPump(): void {
    if (this.inflight || this.queue.length === 0 || this.sharesSpooling) return;
    this.inflight = this.pump().finally(() => {
      this.inflight = undefined;
      // A batch cut between pump's last check and this callback would otherwise wait for the next cut.
      this.startPump();
    });
  }

  /** Sends queued batches, one pipeline at a time, until the queue is empty or a write fails. */
  private async pump(): Promise<void> {
    while (this.queue.length > 0 && !this.sharesSpooling) {
      if (!this.link.up) {
        this.spoolFrom([], "redis unreachable");
        break;
      }
      const mode = this.contract.mode ?? (await this.refreshContract());
      if (mode === undefined) {
        this.spoolFrom([], "the contract version is not known yet");
        break;
      }
      if (this.queue.length === 0 || this.sharesSpooling) break;
      const batches = this.queue.splice(0, sameVersionRun(this.queue, PIPELINE_BATCHES));
      const epoch = this.link.epoch;
      const wait = this.writeWait();
      const route = this.shareRoute(batches, mode);
      const acked = await this.link.xaddAll(route.stream, route.payloads, this.timeoutMs, wait);
      if (typeof acked === "number") this.settled(batches, false, epoch, wait);
      else if (acked.unconfirmed) this.retain(batches, false, epoch);
      else {
        // With WAIT, batches the primary took are not confirmed either: all go to the spool.
        this.spoolFrom(this.wait ? batches : batches.slice(acked.acked), acked.error);
        if (isNoPerm(acked.error)) void this.refreshContract(true);
      }
    }
  }

  /** Where share batches of one version go in `mode`, and what goes there (see the module note). */
  private shareRoute(batches: Uint8Array[], mode: ContractMode): { stream: string; payloads: Uint8Array[] } {
    const v = shareBatchVersion(batches[0]!);
    if (v === 2 && mode === 2) return { stream: this.contract.stream(2, "shares"), payloads: batches };
    if (v === 2) return { stream: this.contract.stream(1, "shares"), payloads: batches.map((b) => this.downgrade(b)) };
    return { stream: this.contract.stream(1, "shares"), payloads: batches };
  }

  private downgrade(b: Uint8Array): Uint8Array {
    try {
      return downgradeBatch(b);
    } catch (e) {
      // Our own bytes (spool frames are CRC-checked): cannot happen short of a bug; the core dead-letters it.
      this.log.error(`share batch not downgraded to v1, sent as it is: ${(e as Error).message}`);
      return b;
    }
  }

  /** Enters spooling: retained copies, `failed`, then every queued batch go to the spool, in order, synchronously. */
  private spoolFrom(failed: Uint8Array[], reason: string): void {
    if (!this.sharesSpooling) this.log.warn(`share records spooled to ${this.shareSpool.path} until Redis takes writes again (${reason})`);
    this.respoolRetained(reason);
    this.sharesSpooling = true;
    for (const b of failed) this.shareSpool.append(b);
    for (const b of this.queue.splice(0)) this.shareSpool.append(b);
    this.kick();
  }

  /** Keeps payloads the primary took until the replicas confirm them (see the module note). */
  private retain(payloads: Uint8Array[], candidate: boolean, epoch: number): void {
    if (this.retained.length > 0 && this.retainedEpoch !== epoch) this.respoolRetained("the connection changed before the replicas confirmed");
    if (epoch !== this.link.epoch) {
      // Written on a connection that is already gone: send again.
      for (const payload of payloads) this.retained.push({ candidate, payload });
      this.respoolRetained("the connection changed before the replicas confirmed");
      return;
    }
    if (!this.retainWarned) this.log.warn(`Redis replicas are not confirming writes (WAIT ${this.wait?.replicas}); keeping copies of what the primary took until they do`);
    this.retainWarned = true;
    this.retainedEpoch = epoch;
    for (const payload of payloads) {
      this.retained.push({ candidate, payload });
      this.retainedBytes += payload.length;
    }
    let dropped = 0;
    while (this.retainedBytes > MAX_RETAINED_BYTES && this.retained.length > 1) {
      const r = this.retained.shift()!;
      this.retainedBytes -= r.payload.length;
      dropped++;
    }
    if (dropped > 0) {
      if (this.retainedDropped === 0) this.log.error(`no replica has confirmed writes for ${MAX_RETAINED_BYTES >> 20} MiB: unconfirmed copies are being dropped, and a failover now could lose those records`);
      this.retainedDropped += dropped;
    }
  }

  /** The WAIT a write carries: none while copies are retained (see CONFIRM_EVERY_MS). */
  private writeWait(): ReplicaWait | undefined {
    return this.retained.length > 0 ? undefined : this.wait;
  }

  /** Every XADD of a write was acknowledged: confirmed if it carried the WAIT, else retained too. */
  private settled(payloads: Uint8Array[], candidate: boolean, epoch: number, wait: ReplicaWait | undefined): void {
    if (wait || !this.wait) this.confirmed(epoch);
    else this.retain(payloads, candidate, epoch);
  }

  /** A WAIT on connection `epoch` succeeded: everything retained from it is replicated. */
  private confirmed(epoch: number): void {
    if (this.retained.length === 0 || epoch !== this.retainedEpoch) return;
    this.retained = [];
    this.retainedBytes = 0;
    if (this.retainWarned) this.log.notice("Redis replicas confirm writes again");
    this.retainWarned = false;
  }

  /** A lone WAIT for what is retained (the timer, and stop). */
  private async confirmRetained(): Promise<void> {
    if (!this.wait || this.confirming || this.retained.length === 0 || !this.link.up) return;
    this.confirming = true;
    const epoch = this.link.epoch;
    try {
      if (await this.link.confirmed(this.wait)) this.confirmed(epoch);
    } catch {
      // Redis is away: the link's close sends them again.
    } finally {
      this.confirming = false;
    }
  }

  /** Retained copies go to their spools, to be sent again (the core drops what it already counted). */
  private respoolRetained(reason: string): void {
    if (this.retained.length === 0) return;
    const all = this.retained;
    this.retained = [];
    this.retainedBytes = 0;
    let shares = 0;
    for (const r of all) {
      if (r.candidate) this.candidateSpool.append(r.payload);
      else {
        this.shareSpool.append(r.payload);
        shares++;
      }
    }
    if (shares > 0) this.sharesSpooling = true;
    this.log.warn(`${all.length} writes the replicas had not confirmed are sent again (${reason})`);
    this.retainWarned = false;
    this.kick();
  }

  /** A retry delay that stop() cuts short. */
  private pause(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake.add(done);
    });
  }

  private kick(): void {
    if (this.replaying || this.stopped || !this.link.up) return;
    if (!this.sharesSpooling && this.candidateSpool.pendingFrames === 0) return;
    this.replaying = this.replay().finally(() => (this.replaying = undefined));
  }

  /** Replays the candidate spool, then the share spool, until both are empty or the link goes down. */
  private async replay(): Promise<void> {
    let delay = this.retryMs;
    while (!this.stopped && this.link.up && (this.sharesSpooling || this.candidateSpool.pendingFrames > 0)) {
      const failure = (await this.drain(this.candidateSpool)) ?? (this.sharesSpooling ? await this.drain(this.shareSpool) : undefined);
      if (failure !== undefined) {
        if (isNoPerm(failure)) await this.refreshContract(true);
        if (!this.replayFailing) this.log.warn(`spool replay paused (${failure}); retrying`);
        this.replayFailing = true;
        await this.pause(delay);
        delay = Math.min(delay * 2, MAX_RETRY_MS);
        continue;
      }
      // Both drained, and nothing can be appended between this check and the switch (no await).
      if (this.candidateSpool.drained && this.shareSpool.drained) {
        this.candidateSpool.clear();
        this.shareSpool.clear();
        if (this.sharesSpooling) this.log.notice(`spool replayed; share records go directly to Redis again from seq ${this.seq + 1}`);
        this.sharesSpooling = false;
        this.replayFailing = false;
      }
    }
  }

  /** Moves frames (the oldest of `spool`) to the refused spool, logged as an error. */
  private setAside(spool: Spool, frames: readonly SpoolFrame[]): void {
    let records = 0;
    for (const f of frames) {
      this.refusedSpool.append(f.payload);
      spool.ack(f);
      records += f.records;
    }
    this.log.error(
      `${records} share records in ${frames.length} v1 batches set aside in ${this.refusedSpool.path}: this edge's Redis user may no longer write ${this.names.shareStream} (made for contract v2 without legacy access while they were on their way); to credit them, replay that file as shares.spool under a user made with legacy access`,
    );
  }

  /** Sends a spool's frames in order (each to its stream, see the module note); undefined when it is empty, else why it stopped. */
  private async drain(spool: Spool): Promise<string | undefined> {
    const candidates = spool === this.candidateSpool;
    for (;;) {
      const peeked = spool.peek(REPLAY_FRAMES);
      if (peeked.length === 0) {
        if (!spool.drained) spool.quarantine();
        return undefined;
      }
      const mode = this.contract.mode ?? (await this.refreshContract());
      if (mode === undefined) return "the contract version is not known yet";
      const frames = candidates ? peeked : peeked.slice(0, sameVersionRun(peeked.map((f) => f.payload), peeked.length));
      const epoch = this.link.epoch;
      const wait = this.writeWait();
      const payloads = frames.map((f) => f.payload);
      const route = candidates ? { stream: this.contract.stream(mode, "candidates"), payloads } : this.shareRoute(payloads, mode);
      const acked = await this.link.xaddAll(route.stream, route.payloads, this.timeoutMs, wait);
      if (!candidates && typeof acked !== "number" && acked.acked === 0 && isNoPerm(acked.error) && shareBatchVersion(payloads[0]!) === 1 && (await this.refreshContract(true)) === 2) {
        // The user may write only its own streams now (its ACL was remade for v2 while v1 batches were
        // on their way): they cannot be upgraded (no proofs), so they are set aside rather than hold up
        // every later batch behind them.
        this.setAside(spool, frames);
        continue;
      }
      if (typeof acked === "number") this.settled(payloads, spool === this.candidateSpool, epoch, wait);
      else if (acked.unconfirmed) this.retain(payloads, spool === this.candidateSpool, epoch);
      // With WAIT, a failed pipeline confirmed none of its frames: they stay in the spool.
      const n = typeof acked === "number" || acked.unconfirmed ? frames.length : this.wait ? 0 : acked.acked;
      for (let i = 0; i < n; i++) spool.ack(frames[i]!);
      if (typeof acked !== "number" && !acked.unconfirmed) return acked.error;
    }
  }
}

/** File beside the spools holding v1 batches the shared stream refused once the edge wrote v2 (a valid spool: rename it to shares.spool under a user with legacy access to replay it). */
export const REFUSED_V1_SPOOL = "shares-v1-refused.spool";

/** How many of the first `max` batches share the first one's version (one pipeline goes to one stream). */
function sameVersionRun(batches: readonly Uint8Array[], max: number): number {
  const v = shareBatchVersion(batches[0]!);
  let n = 1;
  while (n < batches.length && n < max && shareBatchVersion(batches[n]!) === v) n++;
  return n;
}
