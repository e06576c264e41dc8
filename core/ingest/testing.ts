/**
 * @module Test support for the accounting, ingest and stats suites (and the child-process fixture):
 * a small pool config, share records, feeding the verified or an edge's share stream, and waiting for the group to
 * drain. Not used by the running core.
 */
import type Redis from "ioredis";
import { contractNames, MESSAGE_FIELD, ShareBatchWriter, ShareResult, type ShareRecordV1 } from "../../shared/contract/index.ts";
import { createLogger, type Logger } from "../../shared/log.ts";
import type { PortCheckSettings } from "../accounting/index.ts";
import type { CoreAccountingSettings } from "./index.ts";

export const ADDR_A = "LYExXWEPs5oWjScR1fYzwSuo8DcQWNcHpF";
/** A valid Litecoin address (the record check refuses invalid ones). */
export const ADDR_B = "LbWpcWtxej8oEa5dnvrrjvuYFitVmbyZyr";
/** 2023-11-14T22:13:20Z; its minute starts at 1699999980. */
export const T0 = 1_700_000_000_000;

/** A stratum port of the test pool, as the record check reads it: LTC, difficulties up to 2^20. */
export function testPort(reporter: string | undefined, over: Partial<PortCheckSettings> = {}): PortCheckSettings & { readonly reporter: string | undefined } {
  return {
    reporter,
    jobmanager: "LTC",
    start_difficulty: 128,
    minimum_manual_diff: 1,
    vardiff: { minimum_difficulty: 1, maximum_difficulty: 2 ** 20 },
    tiers: [],
    aliases: {},
    donate_key: "donate",
    valid_address_versions: [],
    ...over,
  };
}

/**
 * One redis reporter (chain 1) with two pool reports; events off unless a port is given. LTC
 * merge-mines DOGE. The record check's clock is pinned to T0 + 1 h: the records here are of T0.
 */
export function testSettings(prefix: string, opts: { statsdPort?: number; reporters?: CoreAccountingSettings["reporters"] } = {}): CoreAccountingSettings {
  return {
    procname: "powerpool_0",
    redis: { prefix },
    reporters: opts.reporters ?? {
      redis: {
        type: "redis",
        chain: 1,
        attrs: { chain: "LTC" },
        pool_report_configs: [
          { user: "pool", worker_format_string: "{chain}", report_merge: false },
          { user: "pool_currency", worker_format_string: "{currency}", report_merge: true },
        ],
      },
    },
    stratum: { scrypt_STRAT: testPort(opts.reporters ? undefined : "redis") },
    coins: { LTC: { currency: "LTC", hashesPerShare: 65536, algo: "scrypt", network: "litecoin", merged: ["DOGE"] } },
    aux: { DOGE: { currency: "DOGE" } },
    switchers: {},
    algorithms: { scrypt: { hashesPerShare: 65536 } },
    pool: { events: { enabled: opts.statsdPort !== undefined, host: "127.0.0.1", port: opts.statsdPort ?? 8125 } },
    now: () => T0 + 3_600_000,
  };
}

export function share(seq: number, over: Partial<ShareRecordV1> = {}): ShareRecordV1 {
  return {
    seq,
    result: ShareResult.acc,
    difficulty: 128,
    time: T0 + seq,
    jobmanager: "LTC",
    jobId: "0000000a",
    currency: "LTC",
    algo: "scrypt",
    port: "scrypt_STRAT",
    address: ADDR_A,
    worker: "rig1",
    aux: [],
    ...over,
  };
}

export function encodeBatch(edge: string, session: string, records: readonly ShareRecordV1[]): Buffer {
  const w = new ShareBatchWriter(edge, session);
  for (const r of records) w.add(r);
  return Buffer.from(w.finish());
}

/**
 * XADDs the records to the verified share stream, as entries of at most `perEntry` records each,
 * as the gate (core/gate/) passes them on: with the `edge` identity it checked.
 */
export async function feed(redis: Redis, prefix: string, edge: string, session: string, records: readonly ShareRecordV1[], perEntry = records.length): Promise<void> {
  const stream = contractNames(prefix).verifiedShareStream;
  for (let i = 0; i < records.length; i += perEntry) {
    await redis.xadd(stream, "*", MESSAGE_FIELD, encodeBatch(edge, session, records.slice(i, i + perEntry)), "edge", edge, "source", "test");
  }
}

/** XADDs the records to an edge's own stream (`stream`, default the edge's v2 share stream), for the gate to read. */
export async function feedEdge(redis: Redis, prefix: string, edge: string, session: string, records: readonly ShareRecordV1[], perEntry = records.length, stream = contractNames(prefix).edgeStream("shares", edge)): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < records.length; i += perEntry) {
    ids.push((await redis.xadd(stream, "*", MESSAGE_FIELD, encodeBatch(edge, session, records.slice(i, i + perEntry)))) ?? "");
  }
  return ids;
}

/** True once every entry of the stream was delivered to the group and acknowledged. */
export async function drained(redis: Redis, stream: string, group: string): Promise<boolean> {
  const groups = (await redis.call("XINFO", "GROUPS", stream).catch(() => [])) as unknown[][];
  for (const g of groups) {
    const info: Record<string, unknown> = {};
    for (let i = 0; i + 1 < g.length; i += 2) info[String(g[i])] = g[i + 1];
    if (info.name === group) return Number(info.pending) === 0 && Number(info.lag) === 0;
  }
  return false;
}

export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`waitFor: expected ${what} within ${timeoutMs} ms`);
    await Bun.sleep(10);
  }
}

/** A logger that keeps its lines (for asserting on them) and prints nothing. */
export function quietLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const log = createLogger("test", { level: "debug", format: "text", components: {}, write: (l) => lines.push(l) });
  return Object.assign(log, { lines });
}

/** Every key of the database except the prefixed (contract/ingest) ones, sorted. */
export async function simpleCoinKeys(redis: Redis, prefix: string): Promise<string[]> {
  return (await redis.keys("*")).filter((k) => !k.startsWith(prefix)).sort();
}

/** Deterministic mix: mostly accepted, every type present, integral difficulties (exact sums). */
export function mixedRecords(count: number, from = 1): ShareRecordV1[] {
  const results = [ShareResult.acc, ShareResult.acc, ShareResult.acc, ShareResult.dup, ShareResult.low, ShareResult.acc, ShareResult.stale, ShareResult.invalid];
  return Array.from({ length: count }, (_, i) => {
    const seq = from + i;
    return share(seq, { result: results[seq % results.length], difficulty: 16 * (1 + (seq % 5)), time: T0 + seq * 1000, address: seq % 3 ? ADDR_A : ADDR_B, worker: seq % 3 ? "rig1" : "" });
  });
}

/** What the SimpleCoin keys add up to: chain shares, the live slice, per-type minute sums of miners (pool fields left out). */
export async function totals(r: Redis) {
  const byType: Record<string, number> = {};
  for (const key of await r.keys("min_*")) {
    const type = key.split("_")[1] ?? "";
    for (const [field, v] of Object.entries(await r.hgetall(key))) if (!field.startsWith("pool")) byType[type] = (byType[type] ?? 0) + Number(v);
  }
  const slice = await r.lrange("chain_1_slice", 0, -1);
  return {
    chainShares: await r.hget("current_block_LTC_scrypt", "chain_1_shares"),
    sliceCount: slice.length,
    sliceSum: slice.reduce((n, e) => n + Number(e.split(":")[1]), 0),
    byType,
  };
}

/** The totals `totals()` must find after `recs` were applied once each. */
export function expectedTotals(recs: readonly ShareRecordV1[]) {
  const byType: Record<string, number> = {};
  let acc = 0;
  let accCount = 0;
  for (const r of recs) {
    if (r.result === ShareResult.invalid) continue;
    const type = ["acc", "dup", "low", "stale"][r.result] ?? "";
    byType[type] = (byType[type] ?? 0) + r.difficulty;
    if (r.result === ShareResult.acc) {
      acc += r.difficulty;
      accCount++;
    }
  }
  return { chainShares: String(acc), sliceCount: accCount, sliceSum: acc, byType };
}


/**
 * A share batch written byte by byte without the writer's checks: what a broken or hostile edge
 * could put in the stream (non-finite numbers, 1e308 difficulties), for the hostile-input tests.
 */
export function forgedBatch(edge: string, session: string, records: readonly ShareRecordV1[], opts: { count?: number; magic?: number; version?: number } = {}): Buffer {
  const parts: number[] = [opts.magic ?? 0x53, opts.version ?? 1];
  const count = opts.count ?? records.length;
  parts.push(count & 0xff, (count >> 8) & 0xff);
  const str = (s: string) => {
    const b = Buffer.from(s, "utf8");
    parts.push(Math.min(b.length, 255), ...b.subarray(0, 255));
  };
  const f64 = (n: number) => {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(n);
    parts.push(...b);
  };
  str(edge);
  str(session);
  for (const r of records) {
    f64(r.seq);
    parts.push(r.result);
    f64(r.difficulty);
    f64(r.time);
    for (const s of [r.jobmanager, r.jobId, r.currency, r.algo, r.port, r.address, r.worker]) str(s);
    parts.push(r.aux.length);
    for (const a of r.aux) str(a);
  }
  return Buffer.from(parts);
}
