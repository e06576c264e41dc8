/**
 * @module extranonce1 = edge id ‖ per-edge counter, big-endian hex: unique across every live
 * connection of every edge, because the edge id is leased exclusively (edge-id.ts) and the
 * counter skips values held by this edge's live connections.
 *
 *   4-5 bytes: 1-byte edge id (256 edges) ‖ 3-4 byte counter
 *   6-8 bytes: 2-byte edge id (65536 edges) ‖ 4-6 byte counter
 *
 * Session resume (mining.subscribe's 2nd param): a previous extranonce1 is handed back when this
 * process issued it, it carries the current edge id and no live connection holds it. Only values
 * this process issued: the duplicate-share check lives in this process's memory, so after a restart
 * (same edge id, same current job) a miner resuming an extranonce1 could submit again the shares
 * the previous process accepted and be credited twice. A restarted edge gives a fresh extranonce1,
 * unless its previous run drained cleanly and saved those checks (edge/shares/duplicate-file.ts):
 * then `resumeAcrossRestart` lets values of that run's edge id be resumed too.
 */
import { hexToBytes } from "../../shared/bitcoin/index.ts";
import type { Extranonce1Allocator } from "../ports.ts";
import { edgeIdBytes } from "./edge-id.ts";

/** Released values remembered for resume; beyond this the oldest are forgotten (a fresh value is no loss). */
const MAX_RESUMABLE = 65_536;

/** What the allocator needs from the lease (EdgeIdLease implements it). */
export interface EdgeIdSource {
  readonly id: number | undefined;
  readonly valid: boolean;
}

export interface Extranonce1AllocatorOptions {
  /** `pool.extranonce_serv_size`, 4..8. */
  readonly size: number;
  readonly lease: EdgeIdSource;
  /** Counter start in [0, 1) of the counter space (default random). */
  readonly start?: number;
}

export class EdgeExtranonce1Allocator implements Extranonce1Allocator {
  private readonly live = new Set<string>();
  /** Values this process issued and miners released, oldest first. */
  private readonly released = new Set<string>();
  private readonly prefixDigits: number;
  private readonly counterDigits: number;
  private readonly space: number;
  private counter: number;
  private prefixId = -1;
  private prefix = "";
  /** The edge id whose earlier run's values may be resumed (its duplicate checks were restored). */
  private resumableId: number | undefined;

  constructor(private readonly opts: Extranonce1AllocatorOptions) {
    const prefixBytes = edgeIdBytes(opts.size);
    this.prefixDigits = prefixBytes * 2;
    this.counterDigits = (opts.size - prefixBytes) * 2;
    this.space = 2 ** ((opts.size - prefixBytes) * 8);
    this.counter = Math.floor((opts.start ?? Math.random()) * this.space) % this.space;
  }

  /** Live connections holding an extranonce1 from this allocator. */
  get inUse(): number {
    return this.live.size;
  }

  /** False while the edge id lease is missing or may have expired: new connections must wait. */
  accepting(): boolean {
    return this.opts.lease.id !== undefined && this.opts.lease.valid;
  }

  /** Throws RangeError when not `accepting()` or when every counter value is live. */
  allocate(sessionId?: string): { extranonce1: Uint8Array; hex: string } {
    const id = this.opts.lease.id;
    if (id === undefined || !this.opts.lease.valid) {
      throw new RangeError("extranonce1: expected a valid edge id lease, got none (lost, or not renewed within its TTL): refuse new connections");
    }
    const prefix = this.prefixOf(id);
    if (sessionId !== undefined) {
      const hex = sessionId.toLowerCase();
      if (hex.startsWith(prefix) && this.released.delete(hex)) return this.take(hex);
      if (id === this.resumableId && hex.length === this.prefixDigits + this.counterDigits && /^[0-9a-f]+$/.test(hex) && hex.startsWith(prefix) && !this.live.has(hex)) return this.take(hex);
    }
    for (let tries = 0; tries < this.space; tries++) {
      this.counter = (this.counter + 1) % this.space;
      const hex = prefix + this.counter.toString(16).padStart(this.counterDigits, "0");
      if (!this.live.has(hex)) {
        this.released.delete(hex);
        return this.take(hex);
      }
    }
    throw new RangeError(`extranonce1: expected a free value, got all ${this.space} of edge id ${id} in use`);
  }

  /** The lease id as hex, remembered: it changes only when the lease does. */
  private prefixOf(id: number): string {
    if (id !== this.prefixId) {
      this.prefixId = id;
      this.prefix = id.toString(16).padStart(this.prefixDigits, "0");
    }
    return this.prefix;
  }

  /** Values the previous run of this edge issued under `edgeId` may be resumed (its duplicate checks were restored). */
  resumeAcrossRestart(edgeId: number): void {
    this.resumableId = edgeId;
  }

  release(extranonce1Hex: string): void {
    const hex = extranonce1Hex.toLowerCase();
    if (!this.live.delete(hex)) return;
    this.released.add(hex);
    if (this.released.size > MAX_RESUMABLE) this.released.delete(this.released.values().next().value!);
  }

  private take(hex: string): { extranonce1: Uint8Array; hex: string } {
    this.live.add(hex);
    return { extranonce1: hexToBytes(hex), hex };
  }
}
