/** @module What an aux chain shows the monitor (spec §6.6, with 256-bit values as hex strings: §15 item 31). */

export interface AuxChainStatus {
  readonly currency: string;
  readonly block_stats: {
    readonly accepts: number;
    readonly rejects: number;
    readonly stale: number;
    readonly solves: number;
    readonly last_solve: { readonly height: number; readonly time: number; readonly worker: string; readonly hash: string } | null;
  };
  /** hash and target are 64-digit hex (big-endian), not JSON numbers. */
  readonly last_work: { readonly hash: string; readonly target: string; readonly height: number; readonly chainid: number; readonly bits: string } | null;
  readonly last_signal: number | null;
  readonly current_net: { readonly difficulty: number; readonly height: number; readonly last_block: number | null } | null;
  /** The last fetch error while fetching fails, else null. */
  readonly error: string | null;
}
