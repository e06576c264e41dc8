/**
 * @module Share statistics of the applied records: PowerPool's StratumServer counters per stratum
 * port (spec §10.1 — here the reject counters and the `*_count` ones move too, spec §15 item 15),
 * hashrates per port and per coin (spec §3.3: hashes_per_share × accepted difficulty per second,
 * here over the last minute, sliding, or since the core started when that is shorter — PowerPool
 * waited for a completed minute and showed 0 until then), and one statsd submit event per share.
 *
 * Only records the apply script wrote for the first time reach here, so a redelivered entry never
 * counts twice; the counters themselves live in this process and restart at zero.
 */
import { ShareResult, type ShareRecordV1 } from "../../shared/contract/index.ts";
import { RateWindow } from "../../shared/hashrate/rate-window.ts";
import type { StatsRegistry } from "./registry.ts";
import { SUBMIT_KEYS, submitEvent, type StatsdSink } from "./statsd.ts";

/** The part of `Config` the stats read (a full `Config` fits). */
export interface StatsSettings {
  /** statsd prefix. */
  readonly procname: string;
  readonly coins: Readonly<Record<string, { readonly currency: string; readonly hashesPerShare: number }>>;
  readonly algorithms: Readonly<Record<string, { readonly hashesPerShare: number }>>;
  /** Stratum ports: their counters are declared (at zero) from the start, as PowerPool's were. */
  readonly stratum?: Readonly<Record<string, unknown>>;
}

export interface Hashrate {
  /** Hashes per second over the last minute, or since the core started when that is shorter. */
  readonly hps: number;
  readonly mhps: number;
  /** The time `hps` covers (ms). */
  readonly measuredMs: number;
}

/** Minute counter (per port and per coin) of accepted difficulty × hashes_per_share. */
const HASHES = "acc_hashes";

export class ShareStats {
  private readonly coinOwner = new Map<string, string>();
  private readonly hashesPerShare = new Map<string, number>();
  private readonly ports = new Set<string>();
  /** Accounted hashes per port and per coin owner, for the hashrates. */
  private readonly rates = new Map<string, RateWindow>();

  constructor(
    private readonly registry: StatsRegistry,
    private readonly settings: StatsSettings,
    private readonly statsd: StatsdSink,
    /** When accounting began (ms): the hashrates are measured from here. */
    private readonly startedAt = Date.now(),
  ) {
    for (const [key, c] of Object.entries(settings.coins)) {
      if (!this.coinOwner.has(c.currency)) this.coinOwner.set(c.currency, key);
      if (!this.hashesPerShare.has(c.currency)) this.hashesPerShare.set(c.currency, c.hashesPerShare);
    }
    for (const port of Object.keys(settings.stratum ?? {})) {
      this.ports.add(port);
      for (const key of SUBMIT_KEYS) {
        registry.minute(port, `${key}_n1`);
        registry.minute(port, `${key}_count`);
      }
      registry.minute(port, HASHES);
    }
  }

  /** Counts newly applied records; `nowMs` is when they were accounted (statsd submit_time). */
  recordAll(records: readonly ShareRecordV1[], nowMs = Date.now()): void {
    const datagrams: string[] = [];
    for (const r of records) {
      const key = SUBMIT_KEYS[r.result];
      this.ports.add(r.port);
      this.registry.minute(r.port, `${key}_n1`).incr(r.difficulty);
      this.registry.minute(r.port, `${key}_count`).incr(1);
      if (r.result === ShareResult.acc) {
        const hashes = r.difficulty * this.hashesFor(r);
        const owner = this.coinOwner.get(r.currency) ?? r.currency;
        this.registry.minute(r.port, HASHES).incr(hashes);
        this.registry.minute(owner, HASHES).incr(hashes);
        this.rateOf(r.port).add(hashes, nowMs);
        this.rateOf(owner).add(hashes, nowMs);
      }
      if (this.statsd.enabled) datagrams.push(submitEvent(this.settings.procname, key, r.difficulty, nowMs - r.time));
    }
    this.statsd.send(datagrams);
  }

  /** Hashrate of every port and coin seen so far (coins by currency). */
  hashrates(nowMs = Date.now()): { ports: Record<string, Hashrate>; coins: Record<string, Hashrate> } {
    const rate = (owner: string): Hashrate => {
      const e = this.rateOf(owner).estimate(nowMs);
      return { hps: e.perSecond, mhps: e.perSecond / 1e6, measuredMs: e.spanMs };
    };
    const ports: Record<string, Hashrate> = {};
    for (const p of this.ports) ports[p] = rate(p);
    const coins: Record<string, Hashrate> = {};
    for (const [currency, owner] of this.coinOwner) coins[currency] = rate(owner);
    return { ports, coins };
  }

  private rateOf(owner: string): RateWindow {
    let w = this.rates.get(owner);
    if (!w) this.rates.set(owner, (w = new RateWindow(this.startedAt)));
    return w;
  }

  private hashesFor(r: ShareRecordV1): number {
    let h = this.hashesPerShare.get(r.currency);
    if (h === undefined) {
      // A currency without a coin entry (e.g. a coin removed from the config): its algorithm's value.
      h = this.settings.algorithms[r.algo]?.hashesPerShare ?? 1;
      this.hashesPerShare.set(r.currency, h);
      if (!this.coinOwner.has(r.currency)) this.coinOwner.set(r.currency, r.currency);
    }
    return h;
  }
}
