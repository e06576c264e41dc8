/**
 * @module One stratum port: its sessions, the job broadcast, the port timer (keepalive, idle,
 * vardiff for silent miners, stuck writes) and its status. Its TCP listener is attached by
 * edge/server.ts, so this folder never imports edge/listener (imports run listener → stratum).
 */
import { difficultyRange, type DifficultyRange } from "../../shared/config/difficulty.ts";
import type { EdgeView } from "../../shared/config/edge-view.ts";
import type { ResolvedStratum } from "../../shared/config/load.ts";
import type { EdgeClientV1, EdgePortStatusV1 } from "../../shared/contract/index.ts";
import { RateWindow } from "../../shared/hashrate/rate-window.ts";
import type { Logger } from "../../shared/log.ts";
import type { EdgeJob, Extranonce1Allocator, JobFeed, ShareChecker } from "../ports.ts";
import type { VardiffSettings } from "../vardiff/state.ts";
import type { Clock, PortContext, PortCounters, PortListener } from "./context.ts";
import { rememberAddressChecks } from "./address-cache.ts";
import { allowedVersionMask, portCoins, usernameRules, vardiffSettings } from "./port-settings.ts";
import { broadcastJob, pushJob, pushLatest, retargetIfDue } from "./push.ts";
import { Session } from "./session.ts";
import { RECONNECT_LINE } from "./replies.ts";
import { renewExtranonce1 } from "./set-extranonce.ts";
import { buildPortStatus, clientEntries, portAlgo } from "./status.ts";
import type { LineHandler, Transport } from "./transport.ts";
import type { UsernameRules } from "./username.ts";

export interface StratumPortOptions {
  readonly config: EdgeView;
  readonly key: string;
  readonly feed: JobFeed;
  readonly checker: ShareChecker;
  readonly allocator: Extranonce1Allocator;
  readonly log: Logger;
  readonly clock: Clock;
  readonly random?: () => number;
}

export class StratumPort implements PortContext {
  readonly key: string;
  readonly cfg: ResolvedStratum;
  readonly jobmanager: string;
  readonly extranonce2Size: number;
  readonly allowedVersionMask: number;
  readonly usernameRules: UsernameRules;
  readonly vardiff: VardiffSettings;
  readonly difficultyRange: DifficultyRange;
  readonly feed: JobFeed;
  readonly checker: ShareChecker;
  readonly allocator: Extranonce1Allocator;
  readonly log: Logger;
  readonly clock: Clock;
  readonly random: () => number;
  readonly counters: PortCounters = {
    not_subbed_err: 0,
    not_authed_err: 0,
    unk_err: 0,
    stratum_connects: 0,
    stratum_disconnects: 0,
    acc: 0,
    dup: 0,
    low: 0,
    stale: 0,
    invalid: 0,
    acceptedDifficulty: 0,
    vardiffChanges: 0,
    keepalivePushes: 0,
  };
  readonly sessions = new Set<Session>();
  checksInFlight = 0;
  authed = 0;
  idle = 0;
  lastJob: EdgeJob | undefined;
  lastJobAt: number | null = null;
  /** Accepted difficulty for the port's hashrate, observed from the first connection (no one mines here before). */
  meter: RateWindow | undefined;
  private tcp: PortListener | undefined;
  /** The paired PPAgent server, if any (edge/server.ts): its live count is the status's `agentClients`. */
  agent: { readonly clients: number } | undefined;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly config: EdgeView,
    opts: StratumPortOptions,
  ) {
    const cfg = config.stratum[opts.key];
    if (!cfg) throw new RangeError(`StratumPort: expected a configured stratum port, got "${opts.key}"`);
    const coins = portCoins(config, cfg);
    this.key = opts.key;
    this.cfg = cfg;
    this.jobmanager = cfg.jobmanager;
    this.extranonce2Size = config.pool.extranonce_size;
    this.allowedVersionMask = allowedVersionMask(coins);
    const rules = usernameRules(coins, cfg);
    this.usernameRules = { ...rules, isValidAddress: rememberAddressChecks(rules.isValidAddress) };
    this.vardiff = vardiffSettings(cfg);
    this.difficultyRange = difficultyRange(cfg);
    this.feed = opts.feed;
    this.checker = opts.checker;
    this.allocator = opts.allocator;
    this.log = opts.log;
    this.clock = opts.clock;
    this.random = opts.random ?? Math.random;
    this.lastJob = this.feed.latest(this.jobmanager);
    this.unsubscribe = this.feed.subscribe(this.jobmanager, (job) => this.onJob(job));
  }

  /** Attaches the TCP listener whose connections this port serves. */
  attach(listener: PortListener): void {
    this.tcp = listener;
  }

  get listener(): PortListener | undefined {
    return this.tcp;
  }

  /** The port actually listened on (0 before a listener is attached). */
  get port(): number {
    return this.tcp?.port ?? 0;
  }

  /** A new connection (the listener's `accept`): its session. */
  accept(transport: Transport): LineHandler {
    this.counters.stratum_connects++;
    const now = this.clock.now();
    this.meter ??= new RateWindow(now);
    const s = new Session(this, transport, now);
    this.sessions.add(s);
    return s;
  }

  /** True while at least one connection on this port is authorized as (address, worker): PPAgent's `worker.authenticate` check. */
  isWorkerConnected(address: string, worker: string): boolean {
    for (const s of this.sessions) if (s.authorized && s.address === address && s.worker === worker && !s.transport.closed) return true;
    return false;
  }

  onAuthorized(_s: Session): void {
    this.authed++;
  }

  onIdleChanged(_s: Session, idle: boolean): void {
    this.idle += idle ? 1 : -1;
  }

  onAccepted(difficulty: number, now: number): void {
    (this.meter ??= new RateWindow(now)).add(difficulty, now);
  }

  onClosed(s: Session, reason: string): void {
    if (!this.sessions.delete(s)) return;
    this.counters.stratum_disconnects++;
    if (s.authorized) this.authed--;
    if (s.idle) this.idle--;
    if (s.subscribed) this.allocator.release(s.extranonce1Hex);
    if (this.log.enabled("debug")) this.log.debug(`disconnect ${s.transport.ip} ${s.authorized ? s.name : "(not authorized)"}: ${reason}`);
  }

  /** A new job from the feed (spec §5.7): flush → clean_jobs, push → broadcast, refresh → next keepalive. */
  onJob(job: EdgeJob): void {
    const now = this.clock.now();
    this.lastJob = job;
    this.lastJobAt = now;
    const type = job.job.type;
    const clean = type === 0;
    const line = job.notifyLine(clean);
    let sent = 0;
    for (const s of this.sessions) {
      // A refresh still goes to a client that has no job at all yet.
      if (!s.authorized || (type === 2 && s.lastJob !== undefined)) continue;
      try {
        if (!broadcastJob(s, job, line, now)) pushJob(s, job, clean, now);
        sent++;
      } catch (e) {
        this.log.error("stratum: job push failed", { error: e, worker: s.name });
      }
    }
    if (this.log.enabled("debug")) this.log.debug(`job ${job.id} (type ${type}) sent to ${sent} clients in ${this.clock.now() - now} ms`);
  }

  /** The port timer: keepalive re-pushes, idle marking and disconnects, vardiff for silent miners, stuck clients. */
  sweep(now: number): void {
    this.tcp?.sweep(now);
    const c = this.cfg;
    const idleMs = c.idle_worker_threshold * 1000;
    const dropMs = c.idle_worker_disconnect_threshold * 1000;
    const pushMs = c.push_job_interval * 1000;
    for (const s of this.sessions) {
      if (s.transport.closed) continue;
      s.expirePending(now);
      const quiet = now - (s.lastShareAt ?? s.transport.connectedAt);
      if (!s.authorized) {
        // PowerPool let an unauthorized socket linger for the disconnect threshold (§15 item 3).
        if (quiet > idleMs) s.transport.close("not authorized in time");
        continue;
      }
      if (quiet > dropMs) {
        this.log.info(`Disconnecting worker ${s.name} at ip ${s.transport.ip} for inactivity`);
        s.transport.close("inactive");
        continue;
      }
      if (!s.idle && quiet > idleMs) {
        s.idle = true;
        this.onIdleChanged(s, true);
      }
      // A silent miner's retarget comes from here; a change is itself a push.
      if (retargetIfDue(s, now)) continue;
      // The intended deadline (spec §2.7), not PowerPool's inverted one (§15 item 8).
      if (now >= s.lastPushAt + pushMs - s.keepaliveSeedMs) {
        this.counters.keepalivePushes++;
        pushLatest(s, now);
      }
    }
  }

  /** Gives every subscribed client a new extranonce1 (see set-extranonce.ts). */
  renewExtranonce1(now: number): void {
    for (const s of this.sessions) renewExtranonce1(s, now);
  }

  status(now: number, withClients: boolean): EdgePortStatusV1 {
    return buildPortStatus(this, this.config, now, withClients);
  }

  /** Authorized clients, one at a time (status.ts). */
  clients(now = this.clock.now()): Iterable<EdgeClientV1> {
    return clientEntries(this, portAlgo(this, this.config).hashesPerShare, now);
  }

  /**
   * The start of a drain (a stopping edge): no new connections, and every subscribed client is
   * asked to reconnect (client.reconnect), so it moves to another edge or comes back after the
   * restart; a client still in its handshake is closed. Shares submitted meanwhile are still
   * checked and forwarded. Returns how many clients were asked.
   */
  drain(): number {
    this.tcp?.stop(false);
    let asked = 0;
    for (const s of [...this.sessions]) {
      if (s.transport.closed) continue;
      if (s.subscribed) {
        s.send(RECONNECT_LINE);
        asked++;
      } else s.transport.close("edge draining");
    }
    return asked;
  }

  stop(): void {
    this.unsubscribe();
    this.tcp?.stop(true);
  }
}
