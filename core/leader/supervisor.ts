/**
 * @module Active/standby cores (issue 16 §1). Every core process runs a supervisor; the one that
 * holds the leader lease (lease.ts) runs the core (jobs, accounting, block submission, reporters,
 * monitor), the others stand by with their coinserver connections open and take the lease within
 * `ttl + renew` of the leader dying (SIGKILL) or losing Redis.
 *
 * The active core renews every `renew`; a renewal refused (another core holds the lease) or none
 * succeeding for `ttl` (Redis unreachable, or the process was stopped: SIGSTOP, a long GC pause)
 * steps it down: it stops its core and stands by again. Between being deposed and noticing it,
 * every write it attempts is refused by the fence (fence.ts), and block submission asks
 * `isLeader()` first.
 *
 * Each core writes a status key with a TTL (`core:status:<id>`) on every tick, so the monitor can
 * show the active core, its epoch and the standbys.
 */
import { hostname } from "node:os";
import type Redis from "ioredis";
import type { Logger } from "../../shared/log.ts";
import type { Fence } from "./fence.ts";
import { LeaderLease, leaderKeys, type LeaderKeys } from "./lease.ts";

export interface LeaderTiming {
  /** Lease lifetime: how long a dead leader blocks a takeover. */
  readonly ttlMs: number;
  /** Renewal (and, for standbys, polling) interval; well inside `ttlMs`. */
  readonly renewMs: number;
}

export type CoreRole = "standby" | "starting" | "active" | "stopping";

/** What a core writes to its status key (JSON). */
export interface CoreStatusRecord {
  readonly id: string;
  readonly host: string;
  readonly pid: number;
  readonly role: CoreRole;
  /** The epoch it leads under; null for a standby. */
  readonly epoch: number | null;
  /** When it entered `role`, ms since the epoch. */
  readonly since: number;
  readonly at: number;
}

/** What the running core gets from its supervisor. */
export interface Leadership {
  readonly fence: Fence;
  readonly id: string;
  /** True while the lease is this core's as far as can be told: the local lease is fresh and Redis (if it answers) names this epoch. */
  isLeader(): Promise<boolean>;
}

export interface SupervisorOptions<T extends { stop(): Promise<void> }> {
  /** A connection of the supervisor's own, so lease renewals never queue behind the core's writes. */
  readonly redis: Redis;
  readonly prefix: string;
  readonly id: string;
  readonly timing: LeaderTiming;
  readonly log: Logger;
  /** Starts the core under a fresh lease. */
  start(leadership: Leadership): Promise<T>;
  /** The core failed to start (a broken config, a port taken): the lease is released first. Default: stand by again. */
  readonly onStartFailed?: (e: Error) => void;
  /** A stepping-down core gets this long to stop (default 15 s) before `onStopTimeout`. */
  readonly stopTimeoutMs?: number;
  /** The core did not stop in time (its writes are fenced, but parts may still run). Default: stand by anyway. */
  readonly onStopTimeout?: () => void;
}

export class CoreSupervisor<T extends { stop(): Promise<void> }> {
  readonly keys: LeaderKeys;
  private readonly lease: LeaderLease;
  private role: CoreRole = "standby";
  private since = Date.now();
  private epoch: number | null = null;
  private lastRenewOk = 0;
  private running: T | null = null;
  private activation: Promise<void> | null = null;
  private transition: Promise<void> | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private watchdog: ReturnType<typeof setInterval> | undefined;
  private stopped = false;
  private lastHolder: string | null = null;
  private tickBusy = false;

  constructor(private readonly o: SupervisorOptions<T>) {
    this.keys = leaderKeys(o.prefix);
    this.lease = new LeaderLease(o.redis, this.keys, o.id, o.timing.ttlMs);
  }

  get state(): { readonly role: CoreRole; readonly epoch: number | null; readonly core: T | null } {
    return { role: this.role, epoch: this.epoch, core: this.running };
  }

  start(): void {
    this.o.log.info(`core ${this.o.id}: standing by for the leader lease (ttl ${this.o.timing.ttlMs} ms, renewed every ${this.o.timing.renewMs} ms)`);
    this.schedule(0);
    // Independent of the tick (which may wait on Redis): a lease not renewed for a TTL is lost.
    this.watchdog = setInterval(() => {
      if ((this.role === "active" || this.role === "starting") && Date.now() - this.lastRenewOk > this.o.timing.ttlMs) void this.stepDown(`the lease was not renewed for ${Date.now() - this.lastRenewOk} ms (Redis unreachable or this process was paused)`);
    }, Math.max(50, Math.floor(this.o.timing.renewMs / 2)));
  }

  /** A clean stop: the core stops, the lease is released so a standby takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.watchdog);
    const epoch = this.epoch;
    await this.stepDown("stopping");
    if (epoch !== null) await withTimeout(this.lease.release(epoch), 1000).catch(() => undefined);
    await withTimeout(this.o.redis.del(this.keys.status(this.o.id)), 1000).catch(() => undefined);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    if (this.tickBusy) return;
    this.tickBusy = true;
    try {
      await this.step();
    } catch (e) {
      this.o.log.debug(`leader lease step failed: ${(e as Error).message}`);
    } finally {
      this.tickBusy = false;
      this.schedule(this.o.timing.renewMs);
    }
  }

  private async step(): Promise<void> {
    const { renewMs } = this.o.timing;
    if (this.role === "standby" && this.transition === null) {
      const r = await withTimeout(this.lease.acquire(), renewMs);
      if (r.kind === "acquired") this.activate(r.epoch);
      // Ours already: an earlier acquire that timed out here was executed by Redis after all.
      else if (r.holder === this.o.id) this.activate(r.epoch);
      else if (r.holder !== this.lastHolder) {
        this.lastHolder = r.holder;
        this.o.log.info(`core ${r.holder} is the leader (epoch ${r.epoch}); standing by`);
      }
    } else if ((this.role === "active" || this.role === "starting") && this.epoch !== null) {
      // Counted from the ask: the lease's TTL ran from no later than that.
      const asked = Date.now();
      if (await withTimeout(this.lease.renew(this.epoch), renewMs)) this.lastRenewOk = asked;
      else void this.stepDown("the lease is gone or another core holds it");
    }
    await withTimeout(this.writeStatus(), renewMs).catch(() => undefined);
  }

  private activate(epoch: number): void {
    if (this.stopped) {
      // stop() came while this acquire was in flight: hand the lease straight back.
      void withTimeout(this.lease.release(epoch), 1000).catch(() => undefined);
      return;
    }
    this.epoch = epoch;
    this.lastRenewOk = Date.now();
    this.setRole("starting");
    this.o.log.notice(`core ${this.o.id}: took the leader lease at epoch ${epoch}; starting the core`);
    const leadership: Leadership = { fence: { key: this.keys.epoch, epoch }, id: this.o.id, isLeader: () => this.isLeader(epoch) };
    this.activation = (async () => {
      try {
        const core = await this.o.start(leadership);
        this.running = core;
        if (this.role === "starting" && this.epoch === epoch) {
          this.setRole("active");
          this.o.log.notice(`core ${this.o.id} is active at epoch ${epoch} (${Date.now() - this.lastRenewOk} ms since the last renewal)`);
        }
      } catch (e) {
        this.o.log.error(`core could not start as leader: ${(e as Error).message}; giving the lease up`);
        // This very promise is the activation stepDown would wait for.
        this.activation = null;
        await this.stepDown("the core failed to start", true);
        this.o.onStartFailed?.(e as Error);
      }
    })();
  }

  private async isLeader(epoch: number): Promise<boolean> {
    if (this.epoch !== epoch || (this.role !== "active" && this.role !== "starting")) return false;
    if (Date.now() - this.lastRenewOk > this.o.timing.ttlMs) return false;
    try {
      const current = await withTimeout(this.lease.currentEpoch(), this.o.timing.renewMs);
      return current === epoch;
    } catch {
      // Redis does not answer in time: the lease renewed within the TTL still stands (a block submitted twice is harmless).
      return true;
    }
  }

  /** Stops the core (if any) and stands by again; concurrent calls share one transition. */
  private stepDown(reason: string, release = false): Promise<void> {
    if (this.transition) return this.transition;
    if (this.role !== "active" && this.role !== "starting") return Promise.resolve();
    const epoch = this.epoch;
    this.transition = (async () => {
      this.setRole("stopping");
      if (reason !== "stopping") this.o.log.warn(`core ${this.o.id}: stepping down from epoch ${epoch}: ${reason}`);
      await this.activation;
      const core = this.running;
      this.running = null;
      const stopMs = this.o.stopTimeoutMs ?? 15_000;
      try {
        const stopped = await withTimeout(core?.stop() ?? Promise.resolve(), stopMs).then(
          () => true,
          (e: Error) => {
            if (!e.message.startsWith("no answer")) throw e;
            return false;
          },
        );
        if (!stopped) {
          this.o.log.error(`core ${this.o.id}: the core did not stop within ${stopMs} ms; its writes are fenced`);
          this.o.onStopTimeout?.();
        }
      } catch (e) {
        this.o.log.error(`core stop failed: ${(e as Error).message}`);
      }
      if (release && epoch !== null) await withTimeout(this.lease.release(epoch), 1000).catch(() => undefined);
      this.epoch = null;
      this.activation = null;
      this.lastHolder = null;
      this.setRole("standby");
      this.transition = null;
    })();
    return this.transition;
  }

  private setRole(role: CoreRole): void {
    this.role = role;
    this.since = Date.now();
    void withTimeout(this.writeStatus(), this.o.timing.renewMs).catch(() => undefined);
  }

  private async writeStatus(): Promise<void> {
    const rec: CoreStatusRecord = { id: this.o.id, host: hostname(), pid: process.pid, role: this.role, epoch: this.epoch, since: this.since, at: Date.now() };
    // Three TTLs: a standby that stops renewing disappears from the monitor soon after.
    await this.o.redis.set(this.keys.status(this.o.id), JSON.stringify(rec), "PX", 3 * this.o.timing.ttlMs);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
