import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { agentRecordCodec, candidateCodec, contractNames, decodeShareBatch, EMPTY_PROOF, ShareBatchWriter, ShareResult, type AgentRecordV1, type BlockCandidateV1, type ShareBatch } from "../../shared/contract/index.ts";
import { edgeAclUser } from "../../shared/contract/acl.ts";
import { captureLog } from "../../test/helpers/log-capture.ts";
import { freePort, startRedis, type PrivateRedis } from "../../test/helpers/redis.ts";
import { Forwarder, REFUSED_V1_SPOOL, type ShareFields } from "./forwarder.ts";
import { Spool } from "./spool.ts";

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

const agentRecord: AgentRecordV1 = { v: 1, edge: "eu1", port: "scrypt_STRAT", address: "LYExXWEPs5oWjScR1fYzwSuo8DcQWNcHpF", worker: "rig1", type: "hashrate", data: { "sha256d": 1.5 }, stamp: 1_700_000_000 };

/** What a v1 batch (no proof) gives back for `fields(i)`. */
const v1Fields = (i: number) => ({ ...fields(i), ...EMPTY_PROOF });

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

/** Share batches of edge eu1 on the shared (v1) stream and on its own (v2), each with its stream, by entry id. */
async function located(prefix: string): Promise<{ id: string; own: boolean; batch: ShareBatch }[]> {
  const n = contractNames(prefix);
  const out: { id: string; own: boolean; batch: ShareBatch }[] = [];
  for (const own of [false, true]) {
    for (const [id, f] of await redis.client.xrangeBuffer(own ? n.edgeStream("shares", "eu1") : n.shareStream, "-", "+")) out.push({ id: String(id), own, batch: decodeShareBatch(new Uint8Array(f[1]!)) });
  }
  return out.sort((a, b) => compareIds(a.id, b.id));
}

/**
 * The seqs of batches on both streams, sorted, after checking each stream holds its own in order:
 * entry ids of two streams tie within a millisecond, so they do not order the streams' entries.
 */
function mergedSeqs(ls: readonly { own: boolean; batch: ShareBatch }[]): number[] {
  for (const own of [false, true]) {
    const one = seqs(ls.filter((l) => l.own === own).map((l) => l.batch));
    expect(one).toEqual([...one].sort((a, b) => a - b));
  }
  return seqs(ls.map((l) => l.batch)).sort((a, b) => a - b);
}

/** Every share batch of eu1, on either stream, in the order Redis took them. */
async function batches(prefix: string): Promise<ShareBatch[]> {
  return (await located(prefix)).map((l) => l.batch);
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
  for (const v of [1, 2] as const) {
    const where = v === 2 ? "its own share stream as v2, with their proofs (contract key 2)" : "the shared share stream as v1 (no contract key)";
    test(`records reach ${where}, decoded, in order, with contiguous seqs from 1`, async () => {
      const prefix = `s1v${v}:`;
      if (v === 2) await redis.client.set(contractNames(prefix).contractVersion, "2");
      const { f, count } = forwarder(prefix);
      await f.start();
      expect(f.contractMode).toBe(v);
      for (let i = 1; i <= 1000; i++) expect(f.share(fields(i))).toBe(i);
      await f.flush();
      const all = await located(prefix);
      expect(all.length).toBeGreaterThanOrEqual(10);
      expect(all.every((l) => l.own === (v === 2) && l.batch.v === v && l.batch.edge === "eu1" && l.batch.session === f.session)).toBe(true);
      const got = all.map((l) => l.batch);
      expect(seqs(got)).toEqual(range(1000));
      expect(got.flatMap((b) => b.records)[41]).toEqual({ seq: 42, ...(v === 2 ? fields(42) : v1Fields(42)) });
      expect(count(/writing contract v1 .*is not set/)).toBe(v === 1 ? 1 : 0);
      await f.stop();
    });

    test(`candidates go straight to ${v === 2 ? "its own" : "the shared"} candidate stream; PPAgent records to ${v === 2 ? "its own" : "the shared"} agent stream`, async () => {
      const prefix = `s2v${v}:`;
      const n = contractNames(prefix);
      if (v === 2) await redis.client.set(n.contractVersion, "2");
      const { f } = forwarder(prefix);
      await f.start();
      await f.candidate(candidate);
      const [[, fieldsOut] = ["", []]] = await redis.client.xrange(v === 2 ? n.edgeStream("candidates", "eu1") : n.candidateStream, "-", "+");
      expect(candidateCodec.decode(fieldsOut[1] ?? "")).toEqual(candidate);
      expect(await redis.client.xlen(v === 2 ? n.candidateStream : n.edgeStream("candidates", "eu1"))).toBe(0);
      expect(f.agent(agentRecord)).toBe(true);
      for (let i = 0; i < 200 && f.agentSent === 0; i++) await Bun.sleep(5);
      const [[, agentOut] = ["", []]] = await redis.client.xrange(v === 2 ? n.edgeStream("agent", "eu1") : n.agentStream, "-", "+");
      expect(agentRecordCodec.decode(agentOut[1] ?? "")).toEqual(agentRecord);
      await f.stop();
    });
  }

  test("a block's winning share: the candidate names its record's seq and is XADDed before the record's batch (on its own streams with contract v2)", async () => {
    const { f } = forwarder("s6:");
    await redis.client.set(contractNames("s6:").contractVersion, "2");
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
    expect(xadds[0]).toBe(names.edgeStream("candidates", "eu1"));
    expect(xadds.slice(1)).toEqual(xadds.slice(1).map(() => names.edgeStream("shares", "eu1")));
    const records = (await batches("s6:")).flatMap((b) => b.records);
    expect(records.map((r) => r.seq)).toEqual(range(9));
    expect(records[5]).toEqual({ seq: 6, ...fields(6) });
    const [[, fl] = ["", []]] = await redis.client.xrange(names.edgeStream("candidates", "eu1"), "-", "+");
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

/** A forwarder of edge eu1 logged in as an ACL user of `variant` (see `aclRules`). */
async function aclForwarder(prefix: string, variant: AclVariant, over: { spool?: string; timeoutMs?: number } = {}) {
  const user = `edge-${prefix.replace(/\W/g, "")}`;
  await setAcl(prefix, user, variant);
  return forwarder(prefix, { ...over, url: `redis://${user}:${ACL_PASSWORD}@127.0.0.1:${redis.port}/0` });
}

const ACL_PASSWORD = "edge-password-0123456789";
/**
 * v2: `bun run redis-acl` now; legacy: the same with the v1 shared streams (a rolling upgrade);
 * v1: an ACL from before contract v2 (shared streams, no own streams, no GET of the contract key);
 * v1+get: the shared streams and the contract key, but no own streams.
 */
type AclVariant = "v2" | "legacy" | "v1" | "v1+get";

async function setAcl(prefix: string, user: string, variant: AclVariant): Promise<void> {
  const n = contractNames(prefix);
  const { rules } = edgeAclUser({ user, password: ACL_PASSWORD, edge: "eu1", jobmanagers: ["LTC"], prefix, legacy: variant !== "v2" });
  const own = (r: string) => r.includes(n.edgeStream("shares", "eu1"));
  const contract = (r: string) => r.includes(n.contractVersion);
  const kept = rules.filter((r) => !((variant === "v1" || variant === "v1+get") && own(r)) && !(variant === "v1" && contract(r)));
  expect(kept.length).toBe(rules.length - (variant === "v1" ? 2 : variant === "v1+get" ? 1 : 0));
  await redis.client.call("ACL", "SETUSER", user, ...kept);
}

describe("contract version", () => {
  test("switching mid-run (the key set, then removed): the batch being filled is cut, seqs stay contiguous, nothing lost or repeated", async () => {
    const prefix = "m1:";
    const n = contractNames(prefix);
    const { f, count } = forwarder(prefix);
    await f.start();
    expect(f.contractMode).toBe(1);
    let i = 0;
    const produce = async (k: number) => {
      for (let j = 0; j < k; j++) f.share(fields(++i));
      await Bun.sleep(1);
    };
    await produce(150);
    await produce(150); // some may still be in the batch being filled when the mode changes
    await redis.client.set(n.contractVersion, "2");
    expect(await f.refreshContract()).toBe(2);
    await produce(300);
    await redis.client.del(n.contractVersion);
    expect(await f.refreshContract()).toBe(1);
    await produce(300);
    await f.flush();
    const all = await located(prefix);
    expect(mergedSeqs(all)).toEqual(range(900));
    // Each stream holds its version only; the own stream exactly the middle third.
    expect(all.every((l) => l.batch.v === (l.own ? 2 : 1))).toBe(true);
    expect(seqs(all.filter((l) => l.own).map((l) => l.batch))).toEqual(range(300).map((k) => k + 300));
    for (const r of all.flatMap((l) => l.batch.records)) expect(r).toEqual({ seq: r.seq, ...(r.seq > 300 && r.seq <= 600 ? fields(r.seq) : v1Fields(r.seq)) });
    expect(count(/writing contract v1 .*is not set/)).toBe(1); // once, though entered twice
    expect(count(/writing contract v2: share records with proofs to m1:shares:eu1/)).toBe(1);
    await f.stop();
  });

  for (const v of [1, 2] as const) {
    test(`spool replay ${v === 2 ? "with contract key 2" : "without the contract key"}: v1 frames to the shared stream, v2 frames ${v === 2 ? "to its own stream" : "downgraded to v1 on the shared stream"}`, async () => {
      const prefix = `r${v}:`;
      const n = contractNames(prefix);
      const spoolDir = join(dir, `replay-${v}`);
      const spool = new Spool(join(spoolDir, "shares.spool"), { fsync: "every", countRecords: () => 0, log: captureLog().log });
      spool.open();
      // An earlier run of this edge (session 0badf00d) switched v1 → v2 → v1 while Redis was away.
      for (const [version, from, to] of [[1, 1, 100], [2, 101, 200], [1, 201, 250]] as const) {
        const w = new ShareBatchWriter("eu1", "0badf00d", version);
        for (let k = from; k <= to; k++) w.add({ seq: k, ...fields(k) });
        spool.append(w.finish());
      }
      spool.close();
      if (v === 2) await redis.client.set(n.contractVersion, "2");
      const { f } = forwarder(prefix, { spool: spoolDir });
      await f.start();
      expect(await f.drained(5000)).toBe(true);
      for (let k = 1; k <= 10; k++) f.share(fields(k)); // this run's own session
      await f.stop();
      const all = await located(prefix);
      const old = all.filter((l) => l.batch.session === "0badf00d");
      expect(mergedSeqs(old)).toEqual(range(250));
      for (const l of old) {
        const fromV2 = l.batch.records[0]!.seq > 100 && l.batch.records[0]!.seq <= 200;
        expect({ own: l.own, v: l.batch.v }).toEqual(fromV2 && v === 2 ? { own: true, v: 2 } : { own: false, v: 1 });
        for (const r of l.batch.records) expect(r).toEqual({ seq: r.seq, ...(l.batch.v === 2 ? fields(r.seq) : v1Fields(r.seq)) });
      }
      const fresh = all.filter((l) => l.batch.session === f.session);
      expect(seqs(fresh.map((l) => l.batch))).toEqual(range(10));
      expect(fresh.every((l) => l.own === (v === 2))).toBe(true);
    });
  }

  describe("under Redis ACL users (shared/contract/acl.ts)", () => {
    test("the user `bun run redis-acl` makes, contract key 2: shares, candidates and agent records on its own streams, nothing refused", async () => {
      const prefix = "a1:";
      const n = contractNames(prefix);
      await redis.client.set(n.contractVersion, "2");
      const { f, lines } = await aclForwarder(prefix, "v2");
      await f.start();
      expect(f.contractMode).toBe(2);
      for (let i = 1; i <= 300; i++) f.share(fields(i));
      await f.candidate(candidate);
      expect(f.agent(agentRecord)).toBe(true);
      expect(await f.drained(5000)).toBe(true);
      for (let i = 0; i < 200 && f.agentSent === 0; i++) await Bun.sleep(5);
      const all = await located(prefix);
      expect(all.every((l) => l.own && l.batch.v === 2)).toBe(true);
      expect(mergedSeqs(all)).toEqual(range(300));
      expect(await redis.client.xlen(n.edgeStream("candidates", "eu1"))).toBe(1);
      expect(await redis.client.xlen(n.edgeStream("agent", "eu1"))).toBe(1);
      expect(f.spooledRecords).toBe(0);
      expect(lines.filter((l) => /WARN|ERROR|NOPERM/i.test(l))).toEqual([]);
      // The permission probe left no entry and made no stream.
      expect(await redis.client.exists(n.shareStream)).toBe(0);
      await f.stop();
    });

    test("a legacy user (v1 streams allowed too), no contract key: v1 on the shared streams, one warning why", async () => {
      const prefix = "a2:";
      const n = contractNames(prefix);
      const { f, count } = await aclForwarder(prefix, "legacy");
      await f.start();
      expect(f.contractMode).toBe(1);
      for (let i = 1; i <= 100; i++) f.share(fields(i));
      await f.candidate(candidate);
      expect(await f.drained(5000)).toBe(true);
      const all = await located(prefix);
      expect(all.every((l) => !l.own && l.batch.v === 1)).toBe(true);
      expect(mergedSeqs(all)).toEqual(range(100));
      expect(await redis.client.xlen(n.candidateStream)).toBe(1);
      expect(count(/WARN.*writing contract v1 .*is not set/)).toBe(1);
      await f.stop();
    });

    for (const variant of ["v1", "v1+get"] as const) {
      test(`contract key 2 but a user from before v2 (${variant === "v1" ? "GET of the key refused" : "its own streams refused"}): v1 on the shared streams, with a warning to run redis-acl again`, async () => {
        const prefix = variant === "v1" ? "a3:" : "a4:";
        await redis.client.set(contractNames(prefix).contractVersion, "2");
        const { f, count } = await aclForwarder(prefix, variant);
        await f.start();
        expect(f.contractMode).toBe(1);
        for (let i = 1; i <= 100; i++) f.share(fields(i));
        expect(await f.drained(5000)).toBe(true);
        const all = await located(prefix);
        expect(all.every((l) => !l.own && l.batch.v === 1)).toBe(true);
        expect(mergedSeqs(all)).toEqual(range(100));
        const why = variant === "v1" ? /WARN.*writing contract v1 .*GET a[34]:contract is refused \(NOPERM\).*bun run redis-acl/ : /WARN.*writing contract v1 .*XADD to a[34]:shares:eu1 is refused \(NOPERM\).*bun run redis-acl/;
        expect(count(why)).toBe(1);
        await f.stop();
      });
    }

    test("a v2 user and no contract key yet (the edge started before the core): v2 on its own streams, with a warning", async () => {
      const prefix = "a5:";
      const { f, count } = await aclForwarder(prefix, "v2");
      await f.start();
      expect(f.contractMode).toBe(2);
      for (let i = 1; i <= 100; i++) f.share(fields(i));
      expect(await f.drained(5000)).toBe(true);
      const all = await located(prefix);
      expect(all.every((l) => l.own && l.batch.v === 2)).toBe(true);
      expect(mergedSeqs(all)).toEqual(range(100));
      expect(count(/WARN.*writing contract v2 .*may not write the shared v1 streams/)).toBe(1);
      await f.stop();
    });

    test("the ACL narrowed to v1 mid-run: the refused batches are spooled and replayed as v1 on the shared stream, every seq exactly once", async () => {
      const prefix = "a6:";
      const user = `edge-${prefix.replace(/\W/g, "")}`;
      await redis.client.set(contractNames(prefix).contractVersion, "2");
      const { f, count } = await aclForwarder(prefix, "legacy");
      await f.start();
      expect(f.contractMode).toBe(2);
      let i = 0;
      for (; i < 200; ) f.share(fields(++i));
      expect(await f.drained(5000)).toBe(true);
      await setAcl(prefix, user, "v1");
      for (let r = 0; r < 10; r++) {
        for (let k = 0; k < 30; k++) f.share(fields(++i));
        await Bun.sleep(2);
      }
      expect(await f.drained(10_000)).toBe(true);
      expect(f.contractMode).toBe(1);
      const all = await located(prefix);
      expect(mergedSeqs(all)).toEqual(range(500));
      expect(all.every((l) => l.batch.v === (l.own ? 2 : 1))).toBe(true);
      expect(seqs(all.filter((l) => l.own).map((l) => l.batch))).toEqual(range(200));
      expect(count(/WARN.*writing contract v1 .*GET a6:contract is refused \(NOPERM\)/)).toBe(1);
      await f.stop();
    });

    test("the ACL remade for v2 (no legacy access) while v1 batches are on their way: v2 on its own stream from then on; the refused v1 batches are set aside, not holding up the rest", async () => {
      const prefix = "a7:";
      const user = `edge-${prefix.replace(/\W/g, "")}`;
      const spool = join(dir, "a7-spool");
      const { f, count } = await aclForwarder(prefix, "legacy", { spool });
      await f.start();
      expect(f.contractMode).toBe(1);
      let i = 0;
      for (; i < 200; ) f.share(fields(++i));
      expect(await f.drained(5000)).toBe(true);
      await setAcl(prefix, user, "v2");
      for (let r = 0; r < 10; r++) {
        for (let k = 0; k < 30; k++) f.share(fields(++i));
        await Bun.sleep(2);
      }
      expect(await f.drained(10_000)).toBe(true);
      expect(f.contractMode).toBe(2);
      await f.stop();
      const all = await located(prefix);
      // Set aside: a valid spool of the v1 batches the shared stream refused.
      const aside = new Spool(join(spool, REFUSED_V1_SPOOL), { fsync: "every", countRecords: () => 0, log: captureLog().log });
      aside.open();
      const refused = aside.peek(1000).map((fr) => decodeShareBatch(fr.payload));
      aside.close();
      expect(refused.length).toBeGreaterThan(0);
      expect(refused.every((b) => b.v === 1 && b.session === f.session)).toBe(true);
      expect([...mergedSeqs(all), ...seqs(refused)].sort((a, b) => a - b)).toEqual(range(500));
      expect(seqs(all.filter((l) => !l.own).map((l) => l.batch))).toEqual(range(200));
      expect(all.filter((l) => l.own).every((l) => l.batch.v === 2)).toBe(true);
      expect(count(/WARN.*writing contract v2 .*may not write the shared v1 streams/)).toBe(1);
      expect(count(/ERROR.*share records in \d+ v1 batches set aside in .*shares-v1-refused.spool/)).toBeGreaterThan(0);
    });
  });
});
