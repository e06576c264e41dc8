/**
 * @module One aux chain's work (spec §6.1, auxpow-notes "What the pool gets from the node"): fetched
 * every `work_interval` s and on a push-block datagram (`notify()`), with wallet `getauxblock` or
 * `createauxblock <address>`, through the chain's CoinserverPool (failover like main chains).
 * A changed hash is new work; a changed height is a new aux block, which flushes the parents'
 * miners when the chain is configured `flush: true`.
 */
import { bitsToDifficulty, reverseBytes, hexToBytes, bytesToHex, targetToBits, u32ToHex } from "../../shared/bitcoin/index.ts";
import type { ResolvedAux } from "../../shared/config/load.ts";
import type { Logger } from "../../shared/log.ts";
import type { AuxChainStatus } from "./status.ts";

export interface AuxWorkState {
  readonly aux: string;
  readonly currency: string;
  readonly algo: string;
  readonly chainId: number;
  /** Display hex, as the node printed it. */
  readonly hash: string;
  readonly target: bigint;
  /** Compact bits, lowercase hex (from the node, or derived from the target). */
  readonly bits: string;
  /** Height of the aux block this work would make. */
  readonly height: number;
  readonly coinbaseValue: bigint;
  readonly fetchedAt: number;
}

export interface AuxWorkEvent {
  readonly work: AuxWorkState;
  readonly newBlock: boolean;
  /** Spec §6.1 step 5: config `flush` on a new aux block, else false. */
  readonly flush: boolean;
}

export interface AuxCaller {
  call(method: string, params?: readonly unknown[]): Promise<unknown>;
}

export interface AuxWorkPollerOptions {
  readonly aux: Pick<ResolvedAux, "key" | "currency" | "algo" | "work_interval" | "flush" | "payout">;
  readonly pool: AuxCaller;
  readonly log: Logger;
  /** Where each new work goes besides the listeners (Redis for the monitor). */
  readonly publish?: (w: AuxWorkState) => void;
  /** Wait after a failed fetch (spec §6.1: 2 s). */
  readonly retryMs?: number;
}

/** Parses a getauxblock/createauxblock answer. `_target` is little-endian hex (notes); older nodes sent `target`, also LE. */
export function parseAuxBlock(raw: unknown): { hash: string; chainId: number; target: bigint; bits: string | null; height: number | null; coinbaseValue: bigint } {
  if (typeof raw !== "object" || raw === null) throw new TypeError(`aux block: expected an object, got ${JSON.stringify(raw)}`);
  const r = raw as Record<string, unknown>;
  const hash = r.hash;
  if (typeof hash !== "string" || !/^[0-9a-fA-F]{1,64}$/.test(hash)) throw new TypeError(`aux block: expected hash hex, got ${JSON.stringify(hash)}`);
  const le = typeof r._target === "string" ? r._target : r.target;
  if (typeof le !== "string" || !/^[0-9a-fA-F]{64}$/.test(le)) throw new TypeError(`aux block: expected _target of 64 hex digits, got ${JSON.stringify(le)}`);
  if (typeof r.chainid !== "number" || !Number.isInteger(r.chainid) || r.chainid < 0) throw new TypeError(`aux block: expected integer chainid, got ${JSON.stringify(r.chainid)}`);
  const target = BigInt(`0x${bytesToHex(reverseBytes(hexToBytes(le)))}`);
  const bits = typeof r.bits === "string" && /^[0-9a-fA-F]{8}$/.test(r.bits) ? r.bits.toLowerCase() : null;
  const height = typeof r.height === "number" && Number.isInteger(r.height) ? r.height : null;
  const coinbaseValue = typeof r.coinbasevalue === "number" ? BigInt(Math.round(r.coinbasevalue)) : 0n;
  return { hash: hash.toLowerCase().padStart(64, "0"), chainId: r.chainid, target, bits, height, coinbaseValue };
}

export class AuxWorkPoller {
  private work: AuxWorkState | null = null;
  /** Works handed out recently, by hash: a solution names its work by hash (coinbase value, bits for the record). */
  private readonly recent = new Map<string, AuxWorkState>();
  private readonly listeners = new Set<(ev: AuxWorkEvent) => void>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running = false;
  private busy = false;
  private again = false;
  private error: string | null = null;
  private lastSignal: number | null = null;
  private lastBlockAt: number | null = null;
  readonly stats = { accepts: 0, rejects: 0, stale: 0, solves: 0, lastSolve: null as null | { height: number; time: number; worker: string; hash: string } };

  constructor(private readonly o: AuxWorkPollerOptions) {}

  get key(): string {
    return this.o.aux.key;
  }

  start(): void {
    this.running = true;
    this.poll();
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
  }

  /** A push-block datagram or our own accepted block: fetch now (one extra fetch when one is running). */
  notify(): void {
    this.lastSignal = Date.now();
    this.poll();
  }

  current(): AuxWorkState | null {
    return this.work;
  }

  byHash(hash: string): AuxWorkState | undefined {
    return this.recent.get(hash.toLowerCase());
  }

  subscribe(l: (ev: AuxWorkEvent) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  status(): AuxChainStatus {
    const w = this.work;
    return {
      currency: this.o.aux.currency,
      block_stats: { accepts: this.stats.accepts, rejects: this.stats.rejects, stale: this.stats.stale, solves: this.stats.solves, last_solve: this.stats.lastSolve },
      // Spec §6.6 emitted 256-bit integers as JSON numbers (§15 item 31): hex strings here.
      last_work: w ? { hash: w.hash, target: w.target.toString(16).padStart(64, "0"), height: w.height, chainid: w.chainId, bits: w.bits } : null,
      last_signal: this.lastSignal,
      current_net: w ? { difficulty: bitsToDifficulty(Number.parseInt(w.bits, 16)), height: w.height - 1, last_block: this.lastBlockAt } : null,
      error: this.error,
    };
  }

  private poll(): void {
    if (!this.running) return;
    if (this.busy) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.busy = true;
    void this.fetch().then((ok) => {
      this.busy = false;
      if (!this.running) return;
      if (this.again) {
        this.again = false;
        return this.poll();
      }
      this.timer = setTimeout(() => this.poll(), ok ? this.o.aux.work_interval * 1000 : (this.o.retryMs ?? 2000));
    });
  }

  private async fetch(): Promise<boolean> {
    const { aux } = this.o;
    try {
      const raw = aux.payout.method === "createauxblock" ? await this.o.pool.call("createauxblock", [aux.payout.address]) : await this.o.pool.call("getauxblock", []);
      const b = parseAuxBlock(raw);
      if (this.error !== null) this.o.log.info(`${aux.key}: aux work fetching works again`);
      this.error = null;
      if (b.hash === this.work?.hash) return true;
      // Namecoin returns the new block's height; without it, the tip count + 1 (PowerPool asked getblockcount).
      const height = b.height ?? Number(await this.o.pool.call("getblockcount", [])) + 1;
      const work: AuxWorkState = {
        aux: aux.key,
        currency: aux.currency,
        algo: aux.algo,
        chainId: b.chainId,
        hash: b.hash,
        target: b.target,
        bits: b.bits ?? u32ToHex(targetToBits(b.target)),
        height,
        coinbaseValue: b.coinbaseValue,
        fetchedAt: Date.now(),
      };
      const newBlock = this.work === null || this.work.height !== height;
      this.work = work;
      this.recent.set(work.hash, work);
      while (this.recent.size > 32) this.recent.delete(this.recent.keys().next().value!);
      if (newBlock) {
        this.lastBlockAt = Date.now();
        this.o.log.info(`${aux.key}: new aux block announced, height ${height}, difficulty ${bitsToDifficulty(Number.parseInt(work.bits, 16))}`, { hash: work.hash });
      } else this.o.log.debug(`${aux.key}: new aux work at height ${height}`, { hash: work.hash });
      this.o.publish?.(work);
      const ev: AuxWorkEvent = { work, newBlock, flush: newBlock && aux.flush };
      for (const l of this.listeners) {
        try {
          l(ev);
        } catch (e) {
          this.o.log.error(`${aux.key}: aux work listener threw`, { error: (e as Error).message });
        }
      }
      return true;
    } catch (e) {
      const msg = (e as Error).message;
      if (this.error === null) this.o.log.error(`${aux.key}: fetching aux work failed: ${msg}; retrying`);
      this.error = msg;
      return false;
    }
  }
}
