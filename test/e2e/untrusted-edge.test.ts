/**
 * Edges you do not have to trust (issue 20 §1–2), end to end: a pool config holding every kind of
 * secret; `bun run redis-acl` makes the Redis users and `bun run edge-config` the edge's config from
 * it; a real redis-server 7 speaks only TLS (client certificates required; optional in the Sentinel
 * variant, whose pool config has a CA file only) with those ACL users;
 * the core runs in this process as its own user, the edge as a real `bun run edge` process from the
 * generated file as its own user (directly: two workers, eu1/0 and eu1/1; through a TLS Sentinel:
 * one process); a bcoin regtest node is the coinserver. A miner on the edge finds
 * a block (every share is one on regtest), bcoin takes it and the accounting credits it. Then the
 * edge's credentials are tried as an attacker who took the edge would: NOPERM for everything
 * outside its rules.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type Redis from "ioredis";
import { startCore, type RunningCore } from "../../core/app.ts";
import type { BlockResult } from "../../core/blocks/index.ts";
import { candidateFor, solveJob } from "../../core/blocks/testing.ts";
import { edgeIdOfExtranonce1 } from "../../core/edge-ids/index.ts";
import { base58CheckDecode, base58CheckEncode, bytesToHex, bytesToRpcHex, concatBytes, hexToBytes, sha256d } from "../../shared/bitcoin/index.ts";
import { addressChecker } from "../../shared/config/addresses.ts";
import { parseConfig } from "../../shared/config/load.ts";
import { candidateCodec, contractNames, jobCodec, MESSAGE_FIELD, ShareBatchWriter, ShareResult, type JobV1 } from "../../shared/contract/index.ts";
import { createLogger } from "../../shared/log.ts";
import { startBcoin, type BcoinNode } from "../helpers/bcoin.ts";
import { readAccounting } from "../helpers/ledger.ts";
import { buildHeader, TestMiner } from "../helpers/miner.ts";
import { freePort } from "../helpers/redis.ts";
import { makeCerts, startTlsRedis, startTlsSentinel, type TestCerts, type TlsRedis, type TlsSentinel } from "../helpers/redis-tls.ts";
import { notableLines, untilWith } from "../helpers/until.ts";

const root = join(import.meta.dir, "..", "..");
const POOL_ADDRESS = "RAqS1bAuWqW2f6ufsU5H4XpKfy5Pqj2oHz";
const MINER = { address: base58CheckEncode(concatBytes(Uint8Array.of(0x3c), new Uint8Array(20).fill(0x44))), worker: "rig1" };
/** Whoever took the edge wants its own address paid: a valid one on the coin, not the honest miner's. */
const ATTACKER_HASH160 = new Uint8Array(20).fill(0x66);
const ATTACKER = base58CheckEncode(concatBytes(Uint8Array.of(0x3c), ATTACKER_HASH160));
const DIFF = 1e-8;
const PREFIX = "ue:";
const EU1 = { user: "edge-eu1", password: "eu1-redis-password-9f8e7d6c" };
const US1 = { user: "edge-us1", password: "us1-redis-password-1a2b3c4d" };
const CORE = { user: "core", password: "core-redis-password-5e6f7a8b" };
const DATAGRAM_SECRET = "datagram-secret-77aa";
/** The core's password on the sentinels (Sentinel variant). */
const CORE_SENTINEL_PASSWORD = "core-sentinel-password-c0ffee";

const logLines: string[] = [];
const log = createLogger("ue", { level: "info", format: "text", components: {}, write: (l) => logLines.push(l) });
const until = untilWith(() => notableLines(logLines), { ms: 60_000 });

/** Runs one of the package's commands (`bun scripts/…`) and returns its stdout; throws with its stderr on failure. */
function run(script: string, ...args: string[]): { stdout: string; stderr: string } {
  const p = Bun.spawnSync([process.execPath, join(root, script), ...args], { cwd: root, stdout: "pipe", stderr: "pipe" });
  if (p.exitCode !== 0) throw new Error(`${script} ${args.join(" ")} exited ${p.exitCode}: ${p.stderr.toString()}`);
  return { stdout: p.stdout.toString(), stderr: p.stderr.toString() };
}

for (const mode of ["url", "sentinel"] as const) {
  describe(`an edge without core secrets, on least-privilege Redis over TLS (${mode === "url" ? "rediss:// url" : "Sentinel, TLS to sentinels and servers"})`, () => {
    const workers = mode === "url" ? 2 : 1;
    const selves = workers === 1 ? ["eu1"] : ["eu1/0", "eu1/1"];
    let dir: string;
    let certs: TestCerts;
    let node: BcoinNode;
    let redis: TlsRedis;
    let sentinel: TlsSentinel | undefined;
    let core: RunningCore;
    let edge: Bun.Subprocess<"ignore", "pipe", "pipe"> | undefined;
    let edgeYaml = "";
    let aclNotes = "";
    let coinserverPassword = "";
    const edgeOutput: string[] = [];
    const blocks: BlockResult[] = [];
    let stratumPort = 0;
    let miner: TestMiner | undefined;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), "pp-untrusted-edge-"));
      certs = makeCerts(dir);
      node = await startBcoin();
      await node.mine(1);
      const cs = node.coinserver({ name: "bcoin-regtest" });
      coinserverPassword = cs.password;
      const redisPort = freePort();
      const sentinelPort = freePort();
      stratumPort = freePort();
      // Directly: client certificates required; through Sentinel: optional, and the pool has none (CA only).
      const authClients = mode === "url" ? "yes" : "optional";
      const tls = mode === "url" ? `{ca_file: ${certs.ca}, cert_file: ${certs.clientCert}, key_file: ${certs.clientKey}}` : `{ca_file: ${certs.ca}}`;
      // Through Sentinel the edge is one process; directly, two workers (identities eu1/0, eu1/1).
      const redisTarget =
        mode === "url"
          ? `url: "rediss://${CORE.user}:${CORE.password}@127.0.0.1:${redisPort}/0"`
          : `sentinel: {name: ppmaster, sentinels: [{host: 127.0.0.1, port: ${sentinelPort}}], username: ${CORE.user}, password: ${CORE.password}, sentinel_username: ${CORE.user}, sentinel_password: ${CORE_SENTINEL_PASSWORD}}`;
      const pool = `
pool:
  procname: untrusted
  datagram: {enabled: false, secret: ${DATAGRAM_SECRET}}
  term_timeout: 20
coins:
  BTC:
    algo: sha256d
    network: bcoin-regtest
    pool_address: ${POOL_ADDRESS}
    coinservs:
      - {address: ${cs.address}, port: ${cs.port}, username: pool, password: "${cs.password}", name: ${cs.name}}
    block_poll: 0.2
stratum:
  main: {address: 127.0.0.1, port: ${stratumPort}, start_difficulty: ${DIFF}, minimum_manual_diff: 1.0e-9, vardiff: {enabled: false, minimum_difficulty: 1.0e-9, maximum_difficulty: 1}}
edges:
  eu1: {workers: ${workers}, redis: {username: ${EU1.user}, password: ${EU1.password}}}
  us1: {redis: {username: ${US1.user}, password: ${US1.password}}}
reporters:
  redis: {type: redis, chain: 1}
redis: {${redisTarget}, prefix: "${PREFIX}", tls: ${tls}}
monitor: {enabled: true, address: 127.0.0.1, port: ${freePort()}}
logging: {level: info}
# Audit every accepted share (p = 1), so an edge's invented shares are caught by its first batch:
# the test must not depend on a random draw. The defaults (sha256d per_hour 7200, min_fraction
# 0.01) also give p = 1 to an edge this slow (p = per_hour / its shares an hour), but p drops
# once a burst counts as a high rate; in production they catch an edge inventing 1% of its shares
# with ≥ 99.9% probability within about 900 audits.
audit: {sha256d: {min_fraction: 1}}
`;
      writeFileSync(join(dir, "pool.yml"), pool);
      const acl = run("scripts/redis-acl.ts", "-c", join(dir, "pool.yml"));
      aclNotes = acl.stderr;
      writeFileSync(join(dir, "users.acl"), acl.stdout);
      redis = await startTlsRedis({ certs, aclfile: join(dir, "users.acl"), port: redisPort, authClients });
      if (mode === "sentinel") {
        const users = run("scripts/redis-acl.ts", "-c", join(dir, "pool.yml"), "--for", "sentinel").stdout;
        sentinel = await startTlsSentinel({ certs, masterPort: redisPort, name: "ppmaster", port: sentinelPort, users, authClients });
      }

      edgeYaml = run("scripts/edge-config.ts", "-c", join(dir, "pool.yml"), "--edge", "eu1").stdout;
      writeFileSync(join(dir, "eu1.yml"), edgeYaml);

      core = await startCore(parseConfig(pool, "pool.yml", { addresses: addressChecker }), log.child("core"), { consumer: "ue-core", monitor: { port: 0 } });
      core.onBlock((b) => blocks.push(b));

      edge = Bun.spawn([process.execPath, join(root, "edge/main.ts"), "-c", join(dir, "eu1.yml"), "--name", "eu1"], { cwd: dir, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
      for (const stream of [edge.stdout, edge.stderr]) {
        void (async () => {
          for await (const chunk of stream) for (const l of new TextDecoder().decode(chunk).split("\n")) if (l) edgeOutput.push(l), logLines.push(`[edge] ${l}`);
        })();
      }
      await until("the edge process to serve miners", () => edgeOutput.filter((l) => l.includes("is serving miners")).length >= workers || (edge!.exitCode !== null && Promise.reject(new Error(`edge exited ${edge!.exitCode}: ${edgeOutput.join("\n")}`))));
    }, 120_000);

    afterAll(async () => {
      miner?.[Symbol.dispose]();
      if (edge && edge.exitCode === null) {
        edge.kill("SIGTERM");
        await edge.exited;
      }
      await core?.stop().catch(() => {});
      await sentinel?.stop();
      await redis?.stop();
      await node?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    test("the generated edge config holds no secret of the pool config", () => {
      for (const [what, secret] of Object.entries({ coinserverPassword, core: CORE.password, coreOnSentinels: CORE_SENTINEL_PASSWORD, otherEdge: US1.password, datagram: DATAGRAM_SECRET })) {
        expect({ what, leaked: edgeYaml.includes(secret) }).toEqual({ what, leaked: false });
      }
      const body = edgeYaml.replace(/^#.*\n/gm, "");
      for (const key of ["coinservs", "pool_address", "reporters", "monitor", "datagram", "us1"]) expect({ key, present: body.includes(key) }).toEqual({ key, present: false });
      if (mode === "url") expect(edgeYaml).toContain(`rediss://${EU1.user}:${EU1.password}@127.0.0.1:${redis.port}/0`);
      else {
        expect(edgeYaml).toMatch(new RegExp(`username: ${EU1.user}\\n\\s+password: ${EU1.password}\\n`));
        expect(edgeYaml).toMatch(new RegExp(`sentinel_username: ${EU1.user}\\n\\s+sentinel_password: ${EU1.password}\\n`));
      }
      // The edge warned about nothing: its file holds no core-only secret.
      expect(edgeOutput.filter((l) => l.includes("core-only secrets"))).toEqual([]);
      // The ACL file holds password hashes, never a password.
      const aclFile = readFileSync(join(dir, "users.acl"), "utf8");
      for (const p of [EU1.password, US1.password, CORE.password]) expect(aclFile.includes(p)).toBe(false);
      expect(aclNotes).toContain("contract v2");
    });

    test("a miner on the edge finds a block through TLS Redis: bcoin takes it and the share is credited", async () => {
      miner = await TestMiner.connect(stratumPort);
      const user = `${MINER.address}.${MINER.worker}`;
      expect((await miner.cpuMinerHandshake(user)).authorize.result).toBe(true);
      const start = (await node.rpc("getblockcount")) as number;
      let hash = "";
      for (let attempt = 0; attempt < 5 && !hash; attempt++) {
        const job = miner.lastJob!;
        const share = miner.mineShare(job);
        const reply = await miner.submit(share, { user });
        if (reply.result === true) hash = bytesToRpcHex(sha256d(buildHeader(job, miner.extranonce1, share, miner.versionMask)));
        else await until("a newer job after a stale answer", () => miner!.lastJob !== job);
      }
      expect(hash).not.toBe("");
      const block = await until(`the block result for ${hash}`, () => blocks.find((b) => b.hash === hash));
      expect(block).toMatchObject({ accepted: true, chain: "best", address: MINER.address, worker: MINER.worker });
      expect(selves).toContain(block.edge);
      expect(await node.rpc("getblockcount")).toBe(start + 1);
      const accounted = await until("the share in the accounting", async () => {
        const a = await readAccounting(redis.admin, { algo: "sha256d", chain: 1 });
        return (a.sums.get(user)?.acc ?? 0) > 0 && a;
      });
      expect(accounted.sums.get(user)?.acc).toBe(DIFF);
      // The core's monitor reads Redis under the core's user too.
      for (const path of ["", "main/", "dashboard/data", "metrics"]) expect({ path, status: (await fetch(`${core.monitor!.url}${path}`)).status }).toEqual({ path, status: 200 });
      // Neither process was refused anything it does.
      expect(logLines.filter((l) => /NOPERM|no permissions/i.test(l))).toEqual([]);
      // The edge's (or each worker's) status record was written under its own user; the core remembers its edge id.
      for (const self of selves) {
        expect(await until(`${self}'s status record`, async () => (await redis.admin.exists(`${PREFIX}edge:${self}`)) === 1)).toBe(true);
        expect(await redis.admin.get(`${PREFIX}edge-name:${self}`)).not.toBeNull();
      }
    });

    describe("with the edge's Redis credentials", () => {
      let attacker: Redis;
      beforeAll(async () => {
        attacker = redis.as(EU1.user, EU1.password);
        await attacker.connect();
        await redis.admin.set(`${PREFIX}edge:us1`, "us1's status");
      });

      const noperm = async (what: string, p: Promise<unknown>) => {
        const err = await p.then(
          (v) => new Error(`${what}: expected NOPERM, got ${JSON.stringify(v)}`),
          (e: Error) => e,
        );
        expect({ what, error: err.message.split(" ")[0] }).toEqual({ what, error: "NOPERM" });
      };

      test("administration and enumeration are refused: FLUSHALL, FLUSHDB, CONFIG, KEYS, SCAN, ACL, BGSAVE, CLIENT, SHUTDOWN", async () => {
        await noperm("FLUSHALL", attacker.flushall());
        await noperm("FLUSHDB", attacker.flushdb());
        await noperm("CONFIG GET", attacker.config("GET", "*"));
        await noperm("CONFIG SET", attacker.config("SET", "appendonly", "no"));
        await noperm("KEYS", attacker.keys("*"));
        await noperm("SCAN", attacker.scan(0));
        await noperm("ACL LIST", attacker.call("ACL", "LIST"));
        await noperm("BGSAVE", attacker.bgsave());
        await noperm("CLIENT LIST", attacker.client("LIST"));
        await noperm("CLIENT KILL", attacker.client("KILL", "TYPE", "normal"));
        await noperm("SHUTDOWN", attacker.call("SHUTDOWN"));
        await noperm("SUBSCRIBE-free PUBLISH", attacker.publish("anything", "x"));
        expect(await redis.admin.dbsize()).toBeGreaterThan(0);
      });

      test("SimpleCoin's and the core's keys can be neither read nor written", async () => {
        const scKeys = await redis.admin.keys("min_*");
        expect(scKeys.length).toBeGreaterThan(0);
        await noperm("HGETALL a SimpleCoin one-minute key", attacker.hgetall(scKeys[0]!));
        await noperm("HINCRBYFLOAT a SimpleCoin one-minute key", attacker.hincrbyfloat(scKeys[0]!, `${MINER.address}.${MINER.worker}`, 1e12));
        await noperm("SET a SimpleCoin block key", attacker.set("unproc_block_BTC", "x"));
        await noperm("RPUSH a share slice", attacker.rpush("chain_1_slice", "attacker:1000000"));
        await noperm("GET the core's seen-set", attacker.smembers(`${PREFIX}seen:eu1:x`));
        await noperm("XREAD the share stream", attacker.xread("STREAMS", `${PREFIX}shares`, "0"));
        await noperm("XRANGE the candidate stream", attacker.xrange(`${PREFIX}candidates`, "-", "+"));
        await noperm("DEL the share stream", attacker.del(`${PREFIX}shares`));
        await noperm("XTRIM the share stream", attacker.xtrim(`${PREFIX}shares`, "MAXLEN", 0));
        await noperm("XADD a job", attacker.xadd(`${PREFIX}jobs:BTC`, "*", "m", "forged job"));
        await noperm("SET the latest job", attacker.set(`${PREFIX}job:BTC`, "forged job"));
      });

      test("another edge's status and edge-name keys are out of reach", async () => {
        await noperm("GET another edge's status", attacker.get(`${PREFIX}edge:us1`));
        await noperm("SET another edge's status", attacker.set(`${PREFIX}edge:us1`, "forged"));
        await noperm("DEL another edge's status", attacker.del(`${PREFIX}edge:us1`));
        await noperm("SET another edge's remembered id", attacker.set(`${PREFIX}edge-name:us1`, "7"));
        await noperm("SET an edge id lease", attacker.set(`${PREFIX}edge-id:200`, "eu1:x", "PX", 1000, "NX"));
        await noperm("DEL an edge id lease", attacker.del(`${PREFIX}edge-id:0`));
        await noperm("ask for another edge's id", attacker.set(`${PREFIX}edge-id-want:us1`, "deadbeef"));
        await noperm("write its own grant", attacker.set(`${PREFIX}edge-id-of:eu1`, "0:deadbeef"));
        await noperm("SET a look-alike edge's status", attacker.set(`${PREFIX}edge:eu10`, "forged"));
        expect(await redis.admin.get(`${PREFIX}edge:us1`)).toBe("us1's status");
      });

      test("what the edge needs still works: its own streams (contract v2), not the shared v1 ones nor another edge's", async () => {
        const n = contractNames(PREFIX);
        expect(await attacker.get(`${PREFIX}job:BTC`)).not.toBeNull();
        expect(await attacker.set(`${PREFIX}edge:eu1/3`, "worker status", "PX", 1000)).toBe("OK");
        expect(await attacker.get(n.contractVersion)).toBe("2");
        for (const kind of ["shares", "candidates", "agent"] as const) {
          expect(typeof (await attacker.xadd(n.edgeStream(kind, "eu1/3"), "*", "m", "not a record"))).toBe("string");
          await noperm(`XADD the shared ${kind} stream`, attacker.xadd(kind === "shares" ? n.shareStream : kind === "candidates" ? n.candidateStream : n.agentStream, "*", "m", "forged"));
          await noperm(`XADD another edge's ${kind} stream`, attacker.xadd(n.edgeStream(kind, "us1"), "*", "m", "forged"));
          await noperm(`XADD a look-alike edge's ${kind} stream`, attacker.xadd(n.edgeStream(kind, "eu10"), "*", "m", "forged"));
        }
      });

      if (mode === "sentinel") {
        test("on the sentinels it may find the master and nothing else: SENTINEL SET, FAILOVER, REMOVE, CONFIG, ACL get NOPERM", async () => {
          const s = redis.as(EU1.user, EU1.password, { port: sentinel!.port });
          await s.connect();
          expect(await s.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "ppmaster")).toEqual(["127.0.0.1", String(redis.port)]);
          await noperm("SENTINEL SET", s.call("SENTINEL", "SET", "ppmaster", "quorum", "2"));
          await noperm("SENTINEL FAILOVER", s.call("SENTINEL", "FAILOVER", "ppmaster"));
          await noperm("SENTINEL REMOVE", s.call("SENTINEL", "REMOVE", "ppmaster"));
          await noperm("SENTINEL CONFIG", s.call("SENTINEL", "CONFIG", "GET", "*"));
          await noperm("SENTINEL MONITOR", s.call("SENTINEL", "MONITOR", "evil", "127.0.0.1", "1", "1"));
          await noperm("ACL LIST", s.call("ACL", "LIST"));
        });
      }

      if (mode === "url") {
        test("without a client certificate the server refuses the TLS connection", async () => {
          const nocert = redis.as(EU1.user, EU1.password, { clientCert: false });
          const err = await nocert
            .connect()
            .then(
              () => nocert.ping(),
              (e: Error) => e,
            )
            .catch((e: Error) => e);
          // The server drops the handshake (the same user with the certificate is connected above).
          expect((err as Error).message).toMatch(/closed|reset|handshake|certificate/i);
        });
      } else {
        test("client certificates optional: without one, the password still decides", async () => {
          const wrong = redis.as(EU1.user, "not-the-password", { clientCert: false });
          const errors: string[] = [];
          wrong.on("error", (e: Error) => errors.push(e.message));
          expect(await wrong.connect().then(() => "connected", () => "refused")).toBe("refused");
          expect(errors.some((m) => m.startsWith("WRONGPASS"))).toBe(true);
          const right = redis.as(EU1.user, EU1.password, { clientCert: false });
          await right.connect();
          expect(await right.ping()).toBe("PONG");
          await noperm("FLUSHALL without a certificate", right.flushall());
        });
      }
    });

    // Issue 20's "done when": the attacker holds everything the edge has — its generated config (no
    // coinserver or core secret: the first test) and its Redis user — and uses that user directly.
    // One variant only (the Sentinel one shows the same rules over other transport).
    if (mode === "url") {
      describe("a fully compromised edge: its config and its Redis credentials in an attacker's hands", () => {
        const n = contractNames(PREFIX);
        let attacker: Redis;
        /** One honest miner on each worker (identity) of the real edge: `credit` shares must end up credited; `held` are held by a quarantine. */
        const honest = new Map<string, { miner: TestMiner; user: string; credit: number; held: number }>();
        /** The attacker's entry of invented shares in eu1/0's stream. */
        let inventedEntry = "";
        const accounting = () => readAccounting(redis.admin, { algo: "sha256d", chain: 1 });
        const sharesOf = async (user: string) => Math.round(((await accounting()).sums.get(user)?.acc ?? 0) / DIFF);
        const attackerCredited = async () => {
          const a = await accounting();
          return [...[...a.sums.keys()].filter((f) => f.startsWith(`${ATTACKER}.`)), ...[...a.slices.keys()].filter((e) => e.startsWith(`${ATTACKER}:`))];
        };
        const monitor = (path: string, body?: unknown) =>
          fetch(`${core.monitor!.url}${path}`, body === undefined ? {} : { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
        const quarantineList = async () => ((await (await monitor("quarantine/")).json()) as { quarantined: { edge: string; reason: string; held: { total: number | null } | null; entry: string }[] }).quarantined;
        const latestJob = async (): Promise<JobV1> => jobCodec.decode((await attacker.get(n.latestJob("BTC")))!);
        const random = (len: number) => crypto.getRandomValues(new Uint8Array(len));
        const randomU32 = () => crypto.getRandomValues(new Uint32Array(1))[0]!;
        const field = (fields: string[], name: string) => fields[fields.indexOf(name) + 1];
        const deadLetters = async () => (await redis.admin.xrange(n.deadLetter("shares"), "-", "+")) as [string, string[]][];
        const noperm = async (what: string, p: Promise<unknown>) => {
          const err = await p.then(
            (v) => new Error(`${what}: expected NOPERM, got ${JSON.stringify(v)}`),
            (e: Error) => e,
          );
          expect({ what, error: err.message.split(" ")[0] }).toEqual({ what, error: "NOPERM" });
        };

        /** One accepted share through the real edge (each is a regtest block, so a stale answer means the next job came: try again). */
        async function mineOne(self: string, fate: "credit" | "held"): Promise<void> {
          const h = honest.get(self)!;
          for (let attempt = 0; attempt < 5; attempt++) {
            const job = h.miner.lastJob!;
            const reply = await h.miner.submit(h.miner.mineShare(job), { user: h.user });
            if (reply.result === true) {
              h[fate]++;
              return;
            }
            await until(`${self}: a newer job after a stale answer`, () => h.miner.lastJob !== job);
          }
          throw new Error(`${self}: no share accepted in 5 tries`);
        }

        /** Waits until the miner on `self` has its `credit` shares credited, then checks it has no more (exactly once). */
        async function credited(self: string): Promise<void> {
          const h = honest.get(self)!;
          await until(`${self}'s ${h.credit} shares credited`, async () => (await sharesOf(h.user)) >= h.credit);
          expect({ self, credited: await sharesOf(h.user) }).toEqual({ self, credited: h.credit });
        }

        /** A v2 batch naming `edge` of `count` accepted shares to the attacker, each with a plausible proof on the current job: big difficulty, random nonces (real work would be needed to meet it). */
        function inventedBatch(job: JobV1, edge: string, session: string, count: number, difficulty: number): Buffer {
          const w = new ShareBatchWriter(edge, session, 2);
          const id = core.edgeIds!.grantedId("eu1/0") ?? 0;
          for (let seq = 1; seq <= count; seq++) {
            const extranonce1 = random(job.extranonce1Size);
            // Its own edge id in front, as the real edge's extranonce1s have it (1 byte, 2 from 6-byte extranonce1s).
            if (job.extranonce1Size >= 6) extranonce1.set([id >> 8, id & 0xff]);
            else extranonce1[0] = id;
            w.add({
              seq,
              result: ShareResult.acc,
              difficulty,
              time: Date.now(),
              jobmanager: job.jobmanager,
              jobId: job.id,
              currency: job.currency,
              algo: job.algo,
              port: "main",
              address: ATTACKER,
              worker: "stolen",
              aux: [],
              extranonce1,
              extranonce2: random(job.extranonce2Size),
              ntime: job.ntime,
              nonce: randomU32(),
              version: job.version,
            });
          }
          return Buffer.from(w.finish());
        }

        beforeAll(async () => {
          attacker = redis.as(EU1.user, EU1.password);
          await attacker.connect();
          // The kernel spreads connections over the workers (SO_REUSEPORT): connect until one lands on each (extranonce1 starts with the worker's edge id).
          const ids = new Map(selves.map((self) => [core.edgeIds!.grantedId(self), self]));
          for (let i = 0; i < 40 && honest.size < selves.length; i++) {
            const miner = await TestMiner.connect(stratumPort);
            const user = `${MINER.address}.c${i}`;
            expect((await miner.cpuMinerHandshake(user)).authorize.result).toBe(true);
            const self = ids.get(edgeIdOfExtranonce1(hexToBytes(miner.extranonce1)));
            if (self === undefined || honest.has(self)) {
              miner.close();
              continue;
            }
            await until(`${self}: a job for the miner`, () => miner.lastJob);
            honest.set(self, { miner, user, credit: 0, held: 0 });
          }
          expect([...honest.keys()].sort()).toEqual(selves);
        });

        afterAll(() => {
          for (const h of honest.values()) h.miner[Symbol.dispose]();
          attacker?.disconnect();
        });

        test("honest miners on both of the edge's workers are credited", async () => {
          for (const self of selves) await mineOne(self, "credit");
          for (const self of selves) await credited(self);
        });

        test("shares it invents under its own name are caught by the audit: eu1/0 quarantined, nothing credited to the attacker, eu1/1's miners still credited", async () => {
          const job = await latestJob();
          // Fresh session, seqs from 1, the real job, the job's extranonce sizes: only the PoW is missing.
          inventedEntry = (await attacker.xadd(n.edgeStream("shares", "eu1/0"), "*", MESSAGE_FIELD, inventedBatch(job, "eu1/0", bytesToHex(random(4)), 50, 1e6))) as string;
          await until("eu1/0's quarantine", async () => (await redis.admin.exists(n.quarantine("eu1/0"))) === 1);
          const q = await redis.admin.hgetall(n.quarantine("eu1/0"));
          expect(q).toMatchObject({ reason: "hash above target", stream: n.edgeStream("shares", "eu1/0"), entry: inventedEntry });
          const listed = await until("the monitor's /quarantine/ listing eu1/0", async () => (await quarantineList()).find((e) => e.edge === "eu1/0"));
          expect(listed).toMatchObject({ reason: "hash above target", entry: inventedEntry });
          await until("powerpool_edge_quarantined{edge=\"eu1/0\"} 1 in /metrics", async () => /^powerpool_edge_quarantined\{edge="eu1\/0"\} 1$/m.test(await (await monitor("metrics")).text()));

          // Its other worker (another identity) goes on being credited; eu1/0's own honest shares are held, not credited.
          await mineOne("eu1/1", "credit");
          await mineOne("eu1/0", "held");
          await credited("eu1/1");
          await until("eu1/0's held entries counted (the invented batch and the honest share)", async () => ((await quarantineList()).find((e) => e.edge === "eu1/0")?.held?.total ?? 0) >= 2);
          await credited("eu1/0");
          expect(await attackerCredited()).toEqual([]);
        });

        test("block candidates it forges are refused before any coinserver sees them: not submitted, not recorded, eu1/1 quarantined", async () => {
          const job = await latestJob();
          const blocksBefore = (await node.rpc("getblockcount")) as number;
          const resultsBefore = blocks.length;
          const before = core.blocks.status();
          const en1 = random(job.extranonce1Size);
          const who = { address: ATTACKER, worker: "stolen", edge: "eu1/1", session: bytesToHex(random(4)) };
          // 1. A header of the job whose hash misses the network target, claiming a block (main: true).
          const en2a = random(job.extranonce2Size);
          const weak = candidateFor(job, solveJob(job, en1, en2a, { miss: true }), en1, en2a, { ...who, shareSeq: 1 });
          // 2. A real proof of work, on a header that is not its job's: the coinbase pays the attacker instead of the pool.
          const poolHash = bytesToHex(base58CheckDecode(POOL_ADDRESS).subarray(1));
          expect(job.coinb2).toContain(poolHash);
          const theirs = { ...job, coinb2: job.coinb2.replace(poolHash, bytesToHex(ATTACKER_HASH160)) };
          const en2b = random(job.extranonce2Size);
          const stolen = candidateFor(theirs, solveJob(theirs, en1, en2b), en1, en2b, { ...who, shareSeq: 2 });
          // 3. A real block of the job, sent from its own stream in another edge's name.
          const en2c = random(job.extranonce2Size);
          const impostor = candidateFor(job, solveJob(job, en1, en2c), en1, en2c, { ...who, edge: "us1", shareSeq: 3 });
          for (const c of [weak, stolen, impostor]) await attacker.xadd(n.edgeStream("candidates", "eu1/1"), "*", MESSAGE_FIELD, candidateCodec.encode(c));

          await until("the three candidates handled", () => {
            const s = core.blocks.status();
            return (s.forged ?? 0) - (before.forged ?? 0) >= 2 && (s.refused ?? 0) - (before.refused ?? 0) >= 1;
          });
          expect(await redis.admin.hget(n.quarantine("eu1/1"), "reason")).toBe("forged block candidate");
          // Each for its own reason: checked against the job the core issued, not the candidate's word.
          const said = (hash: string, ...words: string[]) => logLines.some((l) => l.includes(`hash=${hash}`) && words.every((w) => l.includes(w)));
          expect(said(weak.blockHash, "FORGED", "above the network target")).toBe(true);
          expect(said(stolen.blockHash, "FORGED", "coinbase", "is not coinb1")).toBe(true);
          expect(said(impostor.blockHash, "REFUSED", `names edge "us1"`)).toBe(true);
          expect(await node.rpc("getblockcount")).toBe(blocksBefore);
          expect(blocks.slice(resultsBefore)).toEqual([]);
          for (const c of [weak, stolen, impostor]) {
            expect({ hash: c.blockHash, keys: [...(await redis.admin.keys(`rejected_block_${c.blockHash}*`)), ...(await redis.admin.keys(`unproc_block_${c.blockHash}*`))] }).toEqual({ hash: c.blockHash, keys: [] });
            expect(blocks.some((b) => b.hash === c.blockHash)).toBe(false);
          }
          await until("the monitor's /quarantine/ listing eu1/1", async () => (await quarantineList()).some((e) => e.edge === "eu1/1" && e.reason === "forged block candidate"));

          // Its real blocks still reach bcoin; its shares are held while the quarantine lasts.
          await mineOne("eu1/1", "held");
          // (Any chain: a share on a job a moment old may make a side-chain block.)
          await until("the honest eu1/1 block accepted by bcoin", () => blocks.slice(resultsBefore).some((b) => b.edge === "eu1/1" && b.accepted && b.address === MINER.address));
          await until("eu1/1's held share counted", async () => ((await quarantineList()).find((e) => e.edge === "eu1/1")?.held?.total ?? 0) >= 1);
          await credited("eu1/1");
        });

        test("it can neither poison nor impersonate: a batch naming us1 is dead-lettered; other edges', shared, verified and edge-id keys get NOPERM", async () => {
          const job = await latestJob();
          // In a stream of its own (its bare name), a batch naming us1 with a session and seqs us1 might use: if taken, us1's real seqs would later be dropped as replays.
          const session = "5eed0001";
          const entry = (await attacker.xadd(n.edgeStream("shares", "eu1"), "*", MESSAGE_FIELD, inventedBatch(job, "us1", session, 3, DIFF))) as string;
          const dead = await until("the batch naming us1 dead-lettered", async () => (await deadLetters()).find(([, f]) => field(f, "id") === entry));
          expect(field(dead[1], "source")).toBe(n.edgeStream("shares", "eu1"));
          expect(field(dead[1], "reason")).toContain(`edge name "us1" does not match its stream`);
          expect(await redis.admin.exists(n.seenSet("us1", session))).toBe(0);
          expect(await attackerCredited()).toEqual([]);

          for (const kind of ["shares", "candidates", "agent"] as const) {
            for (const edge of ["us1", "eu10", "us1/0"]) await noperm(`XADD ${n.edgeStream(kind, edge)}`, attacker.xadd(n.edgeStream(kind, edge), "*", MESSAGE_FIELD, "forged"));
          }
          for (const stream of [n.shareStream, n.candidateStream, n.agentStream, n.verifiedShareStream, n.verifiedAgentStream]) await noperm(`XADD ${stream}`, attacker.xadd(stream, "*", MESSAGE_FIELD, "forged", "edge", "us1"));
          // Its own stream is write-only: it cannot take back, acknowledge or read what it sent.
          const own = n.edgeStream("shares", "eu1/0");
          await noperm("XDEL its invented entry", attacker.xdel(own, inventedEntry));
          await noperm("XTRIM its own stream", attacker.xtrim(own, "MAXLEN", 0));
          await noperm("DEL its own stream", attacker.del(own));
          await noperm("XACK its own entries", attacker.xack(own, n.gateGroup, inventedEntry));
          await noperm("XGROUP SETID", attacker.xgroup("SETID", own, n.gateGroup, "$"));
          await noperm("XRANGE its own stream", attacker.xrange(own, "-", "+"));
          // Nor lift its quarantine, nor decide on it.
          await noperm("DEL its quarantine", attacker.del(n.quarantine("eu1/0")));
          await noperm("HSET a release on its quarantine", attacker.hset(n.quarantine("eu1/0"), "action", "release"));
          await noperm("HGETALL its quarantine", attacker.hgetall(n.quarantine("eu1/0")));
          // Edge ids: the core assigns them.
          for (const id of [0, 1, 200]) {
            await noperm(`GET ${n.edgeIdLease(id)}`, attacker.get(n.edgeIdLease(id)));
            await noperm(`SET ${n.edgeIdLease(id)}`, attacker.set(n.edgeIdLease(id), "eu1:deadbeef", "PX", 60_000));
          }
          await noperm("EVAL on an edge id lease", attacker.eval("return redis.call('SET', KEYS[1], ARGV[1])", 1, n.edgeIdLease(0), "eu1:deadbeef"));
          await noperm("EVAL without keys", attacker.eval(`return redis.call('SET', '${n.edgeIdLease(0)}', 'eu1:deadbeef')`, 0));
          await noperm("ask for us1's id", attacker.set(n.edgeIdWant("us1"), "deadbeef", "PX", 60_000));
          await noperm("DEL us1's id request", attacker.del(n.edgeIdWant("us1")));
          await noperm("read us1's grant", attacker.get(n.edgeIdGrant("us1")));
          await noperm("write its own grant", attacker.set(n.edgeIdGrant("eu1/0"), "0:deadbeef"));
          await noperm("write its remembered id", attacker.set(n.edgeIdByName("eu1/0"), "0"));
          await noperm("SET a seen-set of us1", attacker.set(n.seenSet("us1", session), "1-1000"));
          await noperm("announce contract v1", attacker.set(n.contractVersion, "1"));
          await noperm("DEL the dead letters", attacker.del(n.deadLetter("shares")));
        });

        test("the operator discards eu1/0's held entries: the invented ones are dead-lettered, never credited, and the real edge's miners are credited again", async () => {
          const r = await monitor("quarantine/discard", { edge: "eu1/0" });
          expect(r.status).toBe(200);
          await until("eu1/0's quarantine to end", async () => (await redis.admin.exists(n.quarantine("eu1/0"))) === 0);
          const discarded = (await deadLetters()).filter(([, f]) => field(f, "source") === n.edgeStream("shares", "eu1/0") && field(f, "reason")?.startsWith("discarded by the operator"));
          expect(discarded.map(([, f]) => field(f, "id"))).toContain(inventedEntry);
          // The invented batch and the honest share sent while held (the price of a quarantine: the operator could have released instead).
          expect(discarded.length).toBeGreaterThanOrEqual(2);
          expect((await quarantineList()).some((e) => e.edge === "eu1/0")).toBe(false);
          await mineOne("eu1/0", "credit");
          await credited("eu1/0");
          expect(await attackerCredited()).toEqual([]);
        });

        test("the operator releases eu1/1 (quarantined for a forged candidate): its held honest shares are credited exactly once", async () => {
          const h = honest.get("eu1/1")!;
          expect(h.held).toBeGreaterThan(0);
          const r = await monitor("quarantine/release", { edge: "eu1/1" });
          expect(r.status).toBe(200);
          await until("eu1/1's quarantine to end", async () => (await redis.admin.exists(n.quarantine("eu1/1"))) === 0);
          h.credit += h.held;
          h.held = 0;
          await credited("eu1/1");
          // A share after the release comes behind the released ones: once it is credited, so are they, once.
          await mineOne("eu1/1", "credit");
          await credited("eu1/1");
          expect(await attackerCredited()).toEqual([]);
          expect(await quarantineList()).toEqual([]);
        });
      });
    }

    test("the edge stops cleanly under its own user: exit 0, its status records and edge-id requests removed", async () => {
      edge!.kill("SIGTERM");
      expect(await edge!.exited).toBe(0);
      for (const self of selves) expect(await redis.admin.exists(`${PREFIX}edge:${self}`)).toBe(0);
      // The core keeps each id (edge-id:<n>) for the edge's next start until its TTL passes.
      expect(await redis.admin.keys(`${PREFIX}edge-id-want:*`)).toEqual([]);
      expect(logLines.filter((l) => /NOPERM|no permissions/i.test(l))).toEqual([]);
    });
  });
}
