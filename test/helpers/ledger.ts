/**
 * @module What the miners were told (a ledger of share replies) against what the SimpleCoin
 * records in Redis say, so end-to-end tests can assert "every record exactly once" without
 * depending on how the edges' and the core's work interleave.
 */
import type Redis from "ioredis";
import type { StratumMessage } from "./miner.ts";

export type Kind = "acc" | "dup" | "low" | "stale";
export interface Credit {
  readonly address: string;
  readonly worker: string;
}

/** A difficulty as Python's repr writes it (the accounting's slice entries, spec §8.2 (b)): 1e-08, 2.5e-05, 0.001. */
export function pyFloat(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e16) return `${n}.0`;
  if (Math.abs(n) >= 1e-4 && Math.abs(n) < 1e16) return String(n);
  return n.toExponential().replace(/e([+-])(\d)$/, "e$10$2");
}

/** What the miners were told, per `<address>.<worker>` and share type: the difficulties. */
export class Ledger {
  readonly shares = new Map<string, Record<Kind, number[]>>();

  add(who: Credit, kind: Kind, difficulty: number): void {
    const field = `${who.address}.${who.worker}`;
    let rec = this.shares.get(field);
    if (!rec) this.shares.set(field, (rec = { acc: [], dup: [], low: [], stale: [] }));
    rec[kind].push(difficulty);
  }

  /** Records a reply: true → acc, 22 → dup, 23 → low, 21 → stale; 20 (malformed) is not accounted. */
  reply(who: Credit, m: StratumMessage, difficulty: number): void {
    if (m.result === true) return this.add(who, "acc", difficulty);
    const code = Array.isArray(m.error) ? m.error[0] : undefined;
    if (code === 22) this.add(who, "dup", difficulty);
    else if (code === 23) this.add(who, "low", difficulty);
    else if (code === 21) this.add(who, "stale", difficulty);
  }

  /** Expected slice entries (`address:diff`) and how many of each. */
  slices(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [field, rec] of this.shares) {
      const address = field.slice(0, field.indexOf("."));
      for (const d of rec.acc) {
        const entry = `${address}:${pyFloat(d)}`;
        out.set(entry, (out.get(entry) ?? 0) + 1);
      }
    }
    return out;
  }
}

/** The SimpleCoin records as Redis holds them now, in the ledger's shape (counts from summed difficulties). */
export interface Accounted {
  /** `<field>` → type → summed difficulty over every `min_<type>_<algo>_<stamp>` key. */
  readonly sums: Map<string, Record<Kind, number>>;
  /** `address:diff` → entries across `chain_<n>_slice` and every rotated `chain_<n>_slice_<m>`. */
  readonly slices: Map<string, number>;
}

export async function readAccounting(client: Redis, opts: { algo: string; chain: number }): Promise<Accounted> {
  const sums = new Map<string, Record<Kind, number>>();
  for (const key of await client.keys("min_*")) {
    const m = /^min_(acc|dup|low|stale)_([A-Za-z0-9]+)_(\d+)$/.exec(key);
    if (!m) throw new Error(`unexpected one-minute key ${key}`);
    if (m[2] !== opts.algo) throw new Error(`one-minute key ${key} is not for ${opts.algo}`);
    for (const [field, value] of Object.entries(await client.hgetall(key))) {
      let rec = sums.get(field);
      if (!rec) sums.set(field, (rec = { acc: 0, dup: 0, low: 0, stale: 0 }));
      rec[m[1] as Kind] += Number(value);
    }
  }
  const slices = new Map<string, number>();
  const rotated = new RegExp(`^chain_${opts.chain}_slice_\\d+$`);
  for (const key of await client.keys(`chain_${opts.chain}_slice*`)) {
    if (key !== `chain_${opts.chain}_slice` && !rotated.test(key)) continue;
    for (const entry of await client.lrange(key, 0, -1)) slices.set(entry, (slices.get(entry) ?? 0) + 1);
  }
  return { sums, slices };
}

/** Differences between the ledger and Redis; empty when every record is there exactly once. */
export function compareAccounting(ledger: Ledger, got: Accounted): string[] {
  const diffs: string[] = [];
  for (const [field, rec] of ledger.shares) {
    for (const kind of ["acc", "dup", "low", "stale"] as const) {
      const want = rec[kind].reduce((a, b) => a + b, 0);
      const have = got.sums.get(field)?.[kind] ?? 0;
      // Relative tolerance: HINCRBYFLOAT sums floats; one share is 1e-8, far above the rounding.
      if (Math.abs(have - want) > 1e-6 * Math.max(want, 1e-8) + 1e-15) diffs.push(`min_${kind} ${field}: expected ${want}, got ${have}`);
    }
  }
  for (const field of got.sums.keys()) if (!ledger.shares.has(field)) diffs.push(`unexpected one-minute field ${field}`);
  const want = ledger.slices();
  for (const [entry, n] of want) if ((got.slices.get(entry) ?? 0) !== n) diffs.push(`slice ${entry}: expected ${n}, got ${got.slices.get(entry) ?? 0}`);
  for (const [entry, n] of got.slices) if (!want.has(entry)) diffs.push(`unexpected slice entry ${entry} ×${n}`);
  return diffs;
}
