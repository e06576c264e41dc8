import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { candidateCodec, contractNames, decodeShareBatch, ShareResult, type BlockCandidateV1, type ShareBatch } from "../../shared/contract/index.ts";
import { captureLog } from "../../test/helpers/log-capture.ts";
import { freePort, startRedis, type PrivateRedis } from "../../test/helpers/redis.ts";
import { Forwarder, type ShareFields } from "./forwarder.ts";

let redis: PrivateRedis;
let dir: string;
beforeAll(async () => {
  redis = await startRedis();
  redis.client.on("error", () => {}); // the test's own client reconnects quietly across the outage
  dir = mkdtempSync(join(tmpdir(), "pp-forward-"));
});
afterAll(async () => {
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

const fields = (i: number): ShareFields => ({
  result: i % 7 === 0 ? ShareResult.low : ShareResult.acc,
  difficulty: 128,
  time: 1_700_000_000_000 + i,
  jobmanager: "LTC",
  jobId: "65a1b2c300000001",
  currency: "LTC",
  algo: "scrypt",
  port: "scrypt_STRAT",
  address: "LYExXWEPs5oWjScR1fYzwSuo8DcQWNcHpF",
  worker: `w${i % 10}`,
  aux: ["DOGE"],
  extranonce1: Uint8Array.of(0x51, 0x93, 0xfc, i & 0xff),
  extranonce2: Uint8Array.of(0, 0, i >> 8, i & 0xff),
  ntime: 0x5c3a8f10 + i,
  nonce: i * 7919,
  version: 0x20000000 | ((i & 3) << 13),
});

const candidate: BlockCandidateV1 = {
  v: 1, edge: "eu1", session: "00c0ffee", shareSeq: 1, jobmanager: "LTC", jobId: "65a1b2c300000001", coin: "LTC", currency: "LTC", algo: "scrypt",
  header: "00".repeat(80), coinbase: "01000000", extranonce1: "5193fc01", extranonce2: "00000001", ntime: 1, nonce: 2, version: 0x20000000,
  powHash: "00".repeat(32), blockHash: "aa".repeat(32), main: true, aux: [], address: "donate", worker: "", difficulty: 128, receivedAt: 1,
};

function forwarder(prefix: string, over: { url?: string; spool?: string; session?: string; timeoutMs?: number; waitReplicas?: number; waitTimeout?: number } = {}) {
  const capture = captureLog();
  const f = new Forwarder({
    redis: { url: over.url ?? redis.url, prefix, ...(over.waitReplicas ? { wait_replicas: over.waitReplicas, wait_timeout: over.waitTimeout ?? 0.1 } : {}) },
    edge: "eu1",
    session: over.session,
    spoolDir: over.spool ?? join(dir, prefix),
    log: capture.log,
    flushMs: 2,
    batchRecords: 100,
    writeTimeoutMs: over.timeoutMs ?? 1000,
    retryMs: 20,
    overrides: { retryStrategy: () => 30 },
  });
  return { f, ...capture };
}

async function batches(prefix: string): Promise<ShareBatch[]> {
  const entries = await redis.client.xrangeBuffer(contractNames(prefix).shareStream, "-", "+");
  return entries.map(([, f]) => decodeShareBatch(new Uint8Array(f[1]!)));
}

/** Stream entry ids compared as (ms, seq). */
const compareIds = (a: string, b: string) => {
  const [am = 0, as = 0] = a.split("-").map(Number);
  const [bm = 0, bs = 0] = b.split("-").map(Number);
  return am - bm || as - bs;
};
const seqs = (bs: ShareBatch[]) => bs.flatMap((b) => b.records.map((r) => r.seq));
const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe("Forwarder", () => {
  test("records reach the share stream decoded, in order, with contiguous seqs from 1", async () => {
    const { f } = forwarder("s1:");
    await f.start();
    for (let i = 1; i <= 1000; i++) expect(f.share(fields(i))).toBe(i);
    await f.flush();
    const got = await batches("s1:");
    expect(got.length).toBeGreaterThanOrEqual(10);
    expect(got.every((b) => b.edge === "eu1" && b.session === f.session)).toBe(true);
    expect(seqs(got)).toEqual(range(1000));
    expect(got.flatMap((b) => b.records)[41]).toMatchObject({ seq: 42, ...fields(42) });
    await f.stop();
  });

  test("candidates go straight to the candidate stream", async () => {
    const { f } = forwarder("s2:");
    await f.start();
    await f.candidate(candidate);
    const [[, fieldsOut] = ["", []]] = await redis.client.xrange(contractNames("s2:").candidateStream, "-", "+");
    expect(candidateCodec.decode(fieldsOut[1] ?? "")).toEqual(candidate);
    await f.stop();
  });

  test("a block's winning share: the candidate names its record's seq and is XADDed before the record's batch", async () => {
    const { f } = forwarder("s6:");
    await f.start();
    for (let i = 1; i <= 5; i++) f.share(fields(i));
    await f.flush();
    const monitor = await redis.client.monitor(); // its own connection
    const xadds: string[] = [];
    monitor.on("monitor", (_time: string, args: string[]) => {
      if (String(args[0]).toLowerCase() === "xadd") xadds.push(String(args[1]));
    });
    const built: number[] = [];
    const { candidate: c, sent } = f.blockShare(fields(6), (shareSeq) => (built.push(shareSeq), { ...candidate, session: f.session, shareSeq }));
    for (let i = 7; i <= 9; i++) f.share(fields(i));
    await sent;
    await f.flush();
    await Bun.sleep(50); // MONITOR lines trail the replies
    monitor.disconnect();

    expect(built).toEqual([6]);
    expect(c.shareSeq).toBe(6);
    const names = contractNames("s6:");
    expect(xadds[0]).toBe(names.candidateStream);
    expect(xadds.slice(1)).toEqual(xadds.slice(1).map(() => names.shareStream));
    const records = (await batches("s6:")).flatMap((b) => b.records);
    expect(records.map((r) => r.seq)).toEqual(range(9));
    expect(records[5]).toMatchObject({ seq: 6, ...fields(6) });
    const [[, fl] = ["", []]] = await redis.client.xrange(names.candidateStream, "-", "+");
    expect(candidateCodec.decode(fl[1] ?? "").shareSeq).toBe(6);
    await f.stop();
  });

  test("a refused winning-share record still uses up the seq its candidate names", async () => {
    const { f, count } = forwarder("s7:");
    await f.start();
    f.share(fields(1));
    const { candidate: c } = f.blockShare({ ...fields(2), worker: "w".repeat(300) }, (shareSeq) => ({ ...candidate, shareSeq }));
    expect(c.shareSeq).toBe(2);
    expect(f.share(fields(3))).toBe(3);
    await f.flush();
    expect(seqs(await batches("s7:"))).toEqual([1, 3]);
    expect(count(/share record of .* dropped/)).toBe(1);
    await f.stop();
  });

  test("Redis stopped mid-run: records are spooled, then replayed in order once it is back, each exactly once", async () => {
    const { f, count } = forwarder("s3:");
    await f.start();
    let n = 0;
    const produce = async (rounds: number) => {
      for (let r = 0; r < rounds; r++) {
        for (let i = 0; i < 25; i++) f.share(fields(++n));
        await Bun.sleep(2);
      }
    };
    await produce(10);
    expect(await f.drained(5000)).toBe(true);
    const before = await batches("s3:"); // the restart loses Redis's data: read what landed first

    await redis.stopServer();
    await produce(20); // shares keep coming while Redis is down
    const won = f.blockShare(fields(++n), (shareSeq) => ({ ...candidate, blockHash: "bb".repeat(32), shareSeq }));
    await won.sent;
    await f.flush();
    expect(f.spooledRecords).toBeGreaterThan(0);
    expect(f.spooledCandidates).toBe(1);
    const spooledAt = n;

    await redis.startServer();
    await produce(10); // and while the spool replays
    expect(await f.drained(10_000)).toBe(true);
    const after = await batches("s3:");

    expect(seqs([...before, ...after])).toEqual(range(n));
    expect(spooledAt).toBeLessThan(n);
    const cands = await redis.client.xrange(contractNames("s3:").candidateStream, "-", "+");
    expect(cands.map(([, fl]) => candidateCodec.decode(fl[1] ?? "")).map((c) => [c.blockHash, c.shareSeq])).toEqual([["bb".repeat(32), won.candidate.shareSeq]]);
    // Replayed first: the candidate landed before any replayed batch (stream ids are the one server's clock).
    const replayedFrom = after.length > 0 ? (await redis.client.xrange(contractNames("s3:").shareStream, "-", "+"))[0]![0] : "";
    expect(compareIds(cands[0]![0], replayedFrom)).toBeLessThanOrEqual(0);
    expect(existsSync(join(dir, "s3:", "shares.spool"))).toBe(false);
    expect(f.spooledRecords).toBe(0);
    expect(count(/share records spooled to/)).toBe(1);
    expect(count(/spool replayed/)).toBe(1);
    await f.stop();
  });

  test("a Redis that stops answering: writes time out, go to the spool, and every record arrives once it answers again", async () => {
    const { f, count } = forwarder("s5:", { timeoutMs: 200 });
    await f.start();
    let n = 0;
    for (let i = 0; i < 100; i++) f.share(fields(++n));
    expect(await f.drained(5000)).toBe(true);
    await redis.client.call("CLIENT", "PAUSE", "1200", "WRITE"); // XADDs hang, the socket stays open
    for (let r = 0; r < 20; r++) {
      for (let i = 0; i < 20; i++) f.share(fields(++n));
      await Bun.sleep(10);
    }
    expect(await f.drained(10_000)).toBe(true);
    const got = await batches("s5:");
    const all = seqs(got);
    expect([...new Set(all)].sort((a, b) => a - b)).toEqual(range(n));
    // At least once: a write that timed out may have landed too, always under its own ids.
    const byId = new Map<number, string>();
    for (const r of got.flatMap((b) => b.records)) {
      const json = JSON.stringify(r);
      expect(byId.get(r.seq) ?? json).toBe(json);
      byId.set(r.seq, json);
    }
    expect(count(/share records spooled to .*expected a Redis reply within 200 ms/)).toBe(1);
    await f.stop();
  });

  test("a replay interrupted by a crash is replayed again: only duplicates with the same (session, seq) ids", async () => {
    const spool = join(dir, "crash");
    const down = forwarder("s4:", { url: `redis://127.0.0.1:${freePort()}/0`, spool, session: "0badcafe" });
    await down.f.start(50);
    for (let i = 1; i <= 300; i++) down.f.share(fields(i));
    await down.f.stop();
    expect(down.count(/share records spooled/)).toBe(1);
    copyFileSync(join(spool, "shares.spool"), join(spool, "copy"));

    const first = forwarder("s4:", { spool });
    await first.f.start();
    expect(await first.f.drained(5000)).toBe(true);
    await first.f.stop();
    expect(existsSync(join(spool, "shares.spool"))).toBe(false);
    // As if the process had died after Redis took the frames but before the spool was deleted.
    copyFileSync(join(spool, "copy"), join(spool, "shares.spool"));
    const second = forwarder("s4:", { spool });
    await second.f.start();
    expect(await second.f.drained(5000)).toBe(true);
    await second.f.stop();

    const got = await batches("s4:");
    expect(got.every((b) => b.session === "0badcafe")).toBe(true);
    const all = seqs(got);
    expect(all).toEqual([...range(300), ...range(300)]);
    const records = got.flatMap((b) => b.records);
    expect(records.slice(300)).toEqual(records.slice(0, 300));
  });

  describe("with redis.wait_replicas: 1", () => {
    test("no replica: records still reach the stream at once; copies are kept, sent again after a reconnect and spooled at stop", async () => {
      const spool = join(dir, "w1-spool");
      const { f, lines } = forwarder("w1:", { spool, session: "0000aaaa", waitReplicas: 1 });
      await f.start();
      for (let i = 1; i <= 200; i++) f.share(fields(i));
      await f.flush();
      // The primary has them (the core credits them now); the replicas never confirmed them.
      expect(seqs(await batches("w1:"))).toEqual(range(200));
      expect(await f.drained(300)).toBe(false);
      expect(lines.some((l) => l.includes("replicas are not confirming writes"))).toBe(true);
      // A new connection (a failover would be one): what the old one wrote unconfirmed goes again.
      f.link.client.disconnect(true);
      for (let i = 0; i < 200 && seqs(await batches("w1:")).length < 400; i++) await Bun.sleep(20);
      expect(seqs(await batches("w1:"))).toEqual([...range(200), ...range(200)]);
      expect(lines.some((l) => /200 writes the replicas had not confirmed are sent again|writes the replicas had not confirmed are sent again/.test(l))).toBe(true);
      // Stop: still unconfirmed, so spooled; the next start (same spool) sends them once more.
      await f.stop();
      expect(f.spooledRecords).toBeGreaterThan(0);
      const again = forwarder("w1:", { spool, session: "0000bbbb" });
      await again.f.start();
      expect(await again.f.drained(5000)).toBe(true);
      await again.f.stop();
      const all = seqs(await batches("w1:"));
      expect(all.slice(0, 400)).toEqual([...range(200), ...range(200)]);
      expect(new Set(all.slice(400))).toEqual(new Set(range(200)));
    });

    test("with a replica online, WAIT confirms and nothing is kept", async () => {
      const port = freePort();
      await redis.client.config("SET", "repl-diskless-sync-delay", "0"); // sync the replica at once
      const replicaDir = mkdtempSync(join(dir, "replica-"));
      const replica = Bun.spawn(["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", replicaDir, "--replicaof", "127.0.0.1", String(redis.port)], { stdout: "ignore", stderr: "ignore" });
      try {
        for (let i = 0; i < 800 && !(await redis.client.info("replication")).includes("state=online"); i++) await Bun.sleep(25);
        expect(await redis.client.info("replication")).toContain("state=online");
        // A generous WAIT: on a busy machine even an online replica can take over 100 ms to answer.
        const { f, lines } = forwarder("w2:", { waitReplicas: 1, waitTimeout: 5 });
        await f.start();
        const cand = f.candidate({ ...candidate, blockHash: "cc".repeat(32) });
        for (let i = 1; i <= 300; i++) f.share(fields(i));
        await cand;
        expect(await f.drained(5000)).toBe(true);
        await f.stop();
        expect(seqs(await batches("w2:"))).toEqual(range(300));
        expect(f.spooledRecords).toBe(0);
        expect(lines.some((l) => l.includes("not confirming"))).toBe(false);
      } finally {
        replica.kill("SIGKILL");
        await replica.exited;
      }
    }, 30_000);
  });
});
