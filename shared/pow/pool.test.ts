import { afterAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";

import { startPow } from "./index.ts";
import { createPowPool, PowBusyError, PowPoolClosedError } from "./pool.ts";
import { scryptNodeCrypto } from "./reference.ts";
import { VERTCOIN_GENESIS, POW_VECTORS } from "./vectors.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("worker pool", () => {
  const pool = createPowPool({ algorithms: ["scrypt", "scryptn", "x11"], workers: 2, maxQueue: 64 });
  afterAll(() => pool.close());

  test("becomes ready after every worker's self-test", async () => {
    await pool.ready;
    expect(pool.size).toBe(2);
  });

  test("hashes concurrent shares in batches, each result equal to node:crypto", async () => {
    const headers = Array.from({ length: 40 }, () => new Uint8Array(randomBytes(80)));
    const before = pool.stats().batches;
    const hashes = await Promise.all(headers.map((h) => pool.hash("scrypt", h)));
    headers.forEach((h, i) => expect(hex(hashes[i]!)).toBe(hex(scryptNodeCrypto(h, 1024))));
    expect(pool.stats().batches - before).toBeLessThanOrEqual(4); // 40 shares, not 40 messages
  });

  test("scrypt-N takes N from nTime (or the ntime argument); x11 works too", async () => {
    const vtc = POW_VECTORS.find((v) => v.id === "vertcoin-genesis-pow")!;
    expect(hex(await pool.hash("scryptn", VERTCOIN_GENESIS))).toBe(vtc.expected);
    const h = new Uint8Array(randomBytes(80));
    expect(hex(await pool.hash("scryptn", h, 1389311371))).toBe(hex(scryptNodeCrypto(h, 2048)));
    const dash = POW_VECTORS.find((v) => v.id === "dash-genesis")!;
    expect(hex(await pool.hash("x11", dash.input))).toBe(dash.expected);
  });

  test("copies the header at submit time", async () => {
    const h = new Uint8Array(randomBytes(80));
    const want = hex(scryptNodeCrypto(h, 1024));
    const pending = pool.hash("scrypt", h);
    h.fill(0);
    expect(hex(await pending)).toBe(want);
  });

  test("bounded queue: rejects with PowBusyError past maxQueue, waitForCapacity applies pressure", async () => {
    const jobs: Promise<unknown>[] = [];
    const header = new Uint8Array(80);
    for (let i = 0; i < 64; i++) jobs.push(pool.hash("scrypt", header));
    expect(pool.outstanding).toBe(64);
    const busy = pool.hash("scrypt", header);
    await expect(busy).rejects.toBeInstanceOf(PowBusyError);
    await busy.catch((e: PowBusyError) => expect(e.code).toBe("POW_BUSY"));
    expect(pool.stats().rejectedBusy).toBe(1);
    await pool.waitForCapacity();
    expect(pool.outstanding).toBeLessThanOrEqual(32);
    await Promise.all(jobs);
    expect(pool.outstanding).toBe(0);
  });

  test("argument errors reject without queueing", async () => {
    await expect(pool.hash("sha3", new Uint8Array(80))).rejects.toThrow(/expected one of scrypt, scryptn, x11/);
    await expect(pool.hash("scryptn", new Uint8Array(40))).rejects.toThrow(/at least 72 bytes/);
    expect(pool.outstanding).toBe(0);
  });
});

test("close() rejects what is outstanding and later submissions", async () => {
  const pool = createPowPool({ algorithms: ["scryptn"], workers: 1 });
  await pool.ready;
  const h = new Uint8Array(80);
  const jobs = Array.from({ length: 8 }, () => pool.hash("scryptn", h, 1763900000)); // N = 32768
  await pool.close();
  for (const job of jobs) await expect(job).rejects.toBeInstanceOf(PowPoolClosedError);
  await expect(pool.hash("scryptn", h)).rejects.toBeInstanceOf(PowPoolClosedError);
  await pool.waitForCapacity(); // resolves at once once closed
});

test("startPow: inline hash for fast algorithms, the pool for slow ones", async () => {
  const pow = await startPow({ algorithms: ["sha256d", "scrypt"], workers: 1 });
  try {
    expect(pow.pool).toBeDefined();
    const btc = POW_VECTORS.find((v) => v.id === "bitcoin-genesis")!;
    expect(hex(await pow.hash("sha256d", btc.input))).toBe(btc.expected);
    const ltc = POW_VECTORS.find((v) => v.id === "litecoin-genesis-pow")!;
    expect(hex(await pow.hash("scrypt", ltc.input))).toBe(ltc.expected);
    expect(pow.selfTestReport.ok).toBe(true);
  } finally {
    await pow.close();
  }
  const fast = await startPow({ algorithms: ["x11"] });
  expect(fast.pool).toBeUndefined();
  await fast.close();
});
