/**
 * Stratum V2 end to end (issue 15): an edge with an SV2 listener beside its stratum port and a core,
 * in this process, joined by a real private Redis, with a real bcoin regtest node as coinserver.
 * The miners are `Sv2TestMiner` (test/helpers/sv2-miner.ts), an SV2 client written for these tests
 * from sv2-spec: Noise handshake with the certificate checked against the pool's authority key,
 * then SetupConnection, channels, jobs and shares, with headers and merkle roots built client-side.
 *
 * As in pool.test.ts, bcoin regtest's network target is ~2^255 and the share difficulty 1e-8, so
 * every accepted share is a block: each one must be accepted by bcoin, and the new block comes back
 * as a future job plus SetNewPrevHash. What Redis finally holds is compared with what the miners
 * were told (the ledger): every record exactly once.
 *
 * Hostile input (truncated and oversized frames, bad tags, replayed frames, messages before
 * SetupConnection, unsupported flags) closes only the offending connection: a v1 miner and an SV2
 * miner keep mining through it.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startCore, type RunningCore } from "../../core/app.ts";
import type { BlockResult } from "../../core/blocks/index.ts";
import { startEdge, type RunningEdge } from "../../edge/app.ts";
import { encryptFrame, writeHeader } from "../../edge/sv2/frame.ts";
import { certifyEdgeKey, newAuthorityKey } from "../../edge/sv2/keys.ts";
import * as M from "../../edge/sv2/messages.ts";
import { base58CheckEncode, bytesToRpcHex, concatBytes } from "../../shared/bitcoin/index.ts";
import { addressChecker } from "../../shared/config/addresses.ts";
import { parseConfig, type Config } from "../../shared/config/load.ts";
import { createLogger } from "../../shared/log.ts";
import { BCOIN_REGTEST_ADDRESS, startBcoin, type BcoinNode } from "../helpers/bcoin.ts";
import { compareAccounting, Ledger, readAccounting } from "../helpers/ledger.ts";
import { TestMiner } from "../helpers/miner.ts";
import { bcoinPoolYaml } from "../helpers/pool-config.ts";
import { startRedis, type PrivateRedis } from "../helpers/redis.ts";
import { notableLines, untilWith } from "../helpers/until.ts";
import { Sv2TestMiner, type ChannelState, type Sv2Share } from "../helpers/sv2-miner.ts";

const POOL_ADDRESS = "RAqS1bAuWqW2f6ufsU5H4XpKfy5Pqj2oHz";
const HOM_ADDRESS = base58CheckEncode(concatBytes(Uint8Array.of(0x3c), new Uint8Array(20).fill(0x33)));
const PROXY_ADDRESS = base58CheckEncode(concatBytes(Uint8Array.of(0x3c), new Uint8Array(20).fill(0x44)));
const V1_ADDRESS = BCOIN_REGTEST_ADDRESS;
const HOM = { address: HOM_ADDRESS, worker: "s9" };
const PROXY = { address: PROXY_ADDRESS, worker: "farm" };
const GROUPED = { address: PROXY_ADDRESS, worker: "dev1" };
const V1 = { address: V1_ADDRESS, worker: "cpu" };
const DIFF = 1e-8;
const ALGO = "sha256d";
const CHAIN = 1;

const logLines: string[] = [];
const log = createLogger("e2e-sv2", {
  level: "debug",
  format: "text",
  components: {},
  write: (line) => {
    logLines.push(line);
    if (process.env.E2E_LOG) process.stderr.write(`${line}\n`);
  },
});

const untilLogged = untilWith(() => notableLines(logLines, 20), { ms: 15_000 });
/** Polls `cond`; a timeout names what was awaited and shows the pool's last notable log lines. */
const until = (cond: () => boolean | Promise<boolean>, what: string, ms?: number) => untilLogged(what, async () => (await cond()) || undefined, ms);

const blockHash = (s: Sv2Share) => bytesToRpcHex(s.hash);

describe("Stratum V2 on the edge: handshake, standard, extended and grouped channels, bcoin regtest blocks", () => {
  let redis: PrivateRedis;
  let node: BcoinNode;
  let core: RunningCore;
  let edge: RunningEdge;
  let dir: string;
  let sv2Port: number;
  let authority: ReturnType<typeof newAuthorityKey>;
  let hom: Sv2TestMiner;
  let proxy: Sv2TestMiner;
  let homCh: ChannelState;
  let extCh: ChannelState;
  const blocks: BlockResult[] = [];
  const ledger = new Ledger();
  const resultFor = (hash: string) => blocks.find((b) => b.hash === hash);

  /** Waits for bcoin to take the block and for every given channel to be working on top of it. */
  async function blockAccepted(hash: string, channels: readonly ChannelState[]): Promise<void> {
    await until(() => resultFor(hash) !== undefined, `the core's block result for ${hash}`);
    expect(resultFor(hash)).toMatchObject({ accepted: true, hash, rejectReason: null });
    expect(await node.rpc("getbestblockhash")).toBe(hash);
    for (const ch of channels) await until(() => ch.prevHash !== undefined && bytesToRpcHex(ch.prevHash) === hash, `channel ${ch.channelId} on top of ${hash}`);
  }

  /** Mines and submits on the channel's active job until a share is accepted (a flush may race one: stale). */
  async function acceptedShare(m: Sv2TestMiner, ch: ChannelState, who: { address: string; worker: string }, versionBits?: number): Promise<Sv2Share> {
    for (let attempt = 0; attempt < 4; attempt++) {
      const s = m.mine(ch, versionBits === undefined ? {} : { versionBits });
      m.submit(s);
      const reply = await m.nextSubmitReply(ch.channelId);
      if (reply.msgType === M.MsgType.SubmitSharesSuccess) {
        expect(reply.fields).toMatchObject({ lastSequenceNumber: s.sequenceNumber, newSubmitsAcceptedCount: 1 });
        ledger.add(who, "acc", DIFF);
        return s;
      }
      expect(reply.fields.errorCode).toBe("stale-share");
      ledger.add(who, "stale", DIFF);
      const was = ch.activeJobId;
      await until(() => ch.activeJobId !== was, "a newer job after a stale answer");
    }
    throw new Error("acceptedShare: four stale answers in a row");
  }

  beforeAll(async () => {
    [redis, node] = await Promise.all([startRedis({ persistence: "aof" }), startBcoin()]);
    await node.mine(1);
    dir = mkdtempSync(join(tmpdir(), "pp-e2e-sv2-"));
    authority = newAuthorityKey();
    const now = Math.floor(Date.now() / 1000);
    writeFileSync(join(dir, "sv2-edge.json"), certifyEdgeKey(authority, now - 60, now + 30 * 86400));
    const cs = node.coinserver({ name: "bcoin" });
    const config: Config = parseConfig(
      bcoinPoolYaml({
        procname: "e2e-sv2",
        coinserver: cs,
        poolAddress: POOL_ADDRESS,
        difficulty: DIFF,
        redisUrl: redis.url,
        prefix: "e2e:",
        chain: CHAIN,
        port: `    sv2: {enabled: true, key_file: ${join(dir, "sv2-edge.json")}}`,
        edge: "{public_host: pool.example}",
      }),
      join(dir, "test.yml"),
      { addresses: addressChecker },
    );
    core = await startCore(config, log.child("core"), { consumer: "e2e-sv2-core" });
    core.onBlock((r) => blocks.push(r));
    edge = await startEdge(config, "e2e", log.child("edge"), { spoolDir: join(dir, "spool"), listenPorts: { main: 0 }, sv2ListenPorts: { main: 0 }, hostname: "127.0.0.1", powWorkers: 1 });
    sv2Port = edge.stratum.sv2.get("main")!.port;
    // The first job must be on the edge before channels open.
    await until(() => edge.stratum.ports.get("main")!.lastJob !== undefined, "the first job on the edge");
  });

  afterAll(async () => {
    hom?.close();
    proxy?.close();
    await edge?.stop().catch(() => {});
    await core?.stop().catch(() => {});
    await node?.stop();
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("the edge prints its stratum2+tcp URL; the handshake's certificate verifies with that authority key, not another", async () => {
    const url = edge.stratum.sv2.get("main")!.url;
    expect(url).toBe(`stratum2+tcp://pool.example:${sv2Port}/${authority.encoded}`);
    expect(logLines.some((l) => l.includes(url))).toBe(true);
    await expect(Sv2TestMiner.connect(sv2Port, newAuthorityKey().publicKey)).rejects.toThrow(/certificate refused: certificate signature does not verify/);
    hom = await Sv2TestMiner.connect(sv2Port, authority.publicKey);
    const ok = await hom.setup(M.SetupFlag.requiresStandardJobs | M.SetupFlag.requiresVersionRolling);
    expect(ok.msgType).toBe(M.MsgType.SetupConnectionSuccess);
    expect(ok.fields).toEqual({ usedVersion: 2, flags: 0 });
  });

  test("a standard channel (header-only mining) gets its own merkle root and finds a block bcoin accepts", async () => {
    homCh = await hom.openStandard(`${HOM.address}.${HOM.worker}`);
    expect(homCh.groupId).toBe(0);
    expect(homCh.extranoncePrefix.length).toBe(8); // extranonce1 (4) ‖ the extranonce2 zeros (4)
    const tip = (await node.rpc("getbestblockhash")) as string;
    expect(bytesToRpcHex(homCh.prevHash!)).toBe(tip);
    const s = await acceptedShare(hom, homCh, HOM);
    await blockAccepted(blockHash(s), [homCh]);
    await until(async () => (await redis.client.exists(`unproc_block_${blockHash(s)}`)) === 1, "the block's unproc_block record");
    const rec = await redis.client.hgetall(`unproc_block_${blockHash(s)}`);
    expect(rec).toMatchObject({ address: HOM.address, worker: HOM.worker });
    // Version rolling (BIP320 bits) on a standard channel: bcoin's block carries the bits.
    const rolled = await acceptedShare(hom, homCh, HOM, 0x00004000);
    await blockAccepted(blockHash(rolled), [homCh]);
    const header = (await node.rpc("getblockheader", [blockHash(rolled), true])) as { version: number };
    expect(header.version >>> 0).toBe(rolled.version);
    expect(rolled.version & 0x4000).toBe(0x4000);
  });

  test("an extended channel rolls its own extranonce; duplicate, low, stale and unknown-job shares get their error codes", async () => {
    proxy = await Sv2TestMiner.connect(sv2Port, authority.publicKey);
    expect((await proxy.setup(0)).msgType).toBe(M.MsgType.SetupConnectionSuccess);
    extCh = await proxy.openExtended(`${PROXY.address}.${PROXY.worker}`, 4);
    expect(extCh.extranonceSize).toBe(4);
    expect(extCh.extranoncePrefix.length).toBe(4);
    // The same pool-wide allocator as v1 and the standard channel: a prefix of its own.
    expect(Buffer.from(extCh.extranoncePrefix).toString("hex")).not.toBe(Buffer.from(homCh.extranoncePrefix.subarray(0, 4)).toString("hex"));
    await expect(proxy.openExtended(`${PROXY.address}.x`, 5)).rejects.toThrow(/min-extranonce-size-too-large/);

    const jobBefore = extCh.activeJobId!;
    const good = proxy.mine(extCh);
    // Low, and no block either: its hash is at or above 2^255, over regtest's network target too.
    const low = proxy.mine(extCh, { miss: true, target: new Uint8Array(32).fill(0xff).fill(0x7f, 31) });
    // Sent in one write: judged back to back, before the block `good` finds can flush the job.
    const frames = [good, good, low].map((s, i) =>
      proxy.encrypt(M.encodeSubmitShares({ channelId: s.channelId, sequenceNumber: 100 + i, jobId: s.jobId, nonce: s.nonce, ntime: s.ntime, version: s.version, extranonce: s.extranonce! })),
    );
    proxy.sendRaw(concatBytes(...frames));
    const r1 = await proxy.nextSubmitReply(extCh.channelId);
    const r2 = await proxy.nextSubmitReply(extCh.channelId);
    const r3 = await proxy.nextSubmitReply(extCh.channelId);
    // The batch owed for 100 is flushed before the error for 101, so acknowledgements stay in order.
    expect(r1).toMatchObject({ msgType: M.MsgType.SubmitSharesSuccess, fields: { lastSequenceNumber: 100, newSubmitsAcceptedCount: 1 } });
    expect(r2).toMatchObject({ msgType: M.MsgType.SubmitSharesError, fields: { sequenceNumber: 101, errorCode: "duplicate-share" } });
    expect(r3).toMatchObject({ msgType: M.MsgType.SubmitSharesError, fields: { sequenceNumber: 102, errorCode: "difficulty-too-low" } });
    ledger.add(PROXY, "acc", DIFF);
    ledger.add(PROXY, "dup", DIFF);
    ledger.add(PROXY, "low", DIFF);
    await blockAccepted(blockHash(good), [extCh, homCh]);

    // Stale: a share meeting the target on the job the block's flush ended.
    const stale = proxy.mine(extCh, { jobId: jobBefore });
    proxy.submit(stale);
    expect((await proxy.nextSubmitReply(extCh.channelId)).fields).toMatchObject({ errorCode: "stale-share" });
    ledger.add(PROXY, "stale", DIFF);
    // A job id this edge never issued: recorded as stale (as v1 does), answered invalid-job-id.
    proxy.submit({ ...proxy.mine(extCh), jobId: 0xdeadbeef });
    expect((await proxy.nextSubmitReply(extCh.channelId)).fields).toMatchObject({ errorCode: "invalid-job-id" });
    ledger.add(PROXY, "stale", DIFF);
    // An extranonce of the wrong size: invalid, not accounted (as v1's malformed submits).
    proxy.submit({ ...proxy.mine(extCh), extranonce: Uint8Array.of(1, 2) });
    expect((await proxy.nextSubmitReply(extCh.channelId)).fields).toMatchObject({ errorCode: "invalid-share" });
    // Shares on an unknown channel.
    proxy.submit({ ...proxy.mine(extCh), channelId: 777 });
    expect((await proxy.nextSubmitReply(777)).fields).toMatchObject({ errorCode: "invalid-channel-id" });

    const s = await acceptedShare(proxy, extCh, PROXY);
    await blockAccepted(blockHash(s), [extCh, homCh]);
  });

  test("standard channels on a proxy's connection form a group: one extended job for all, their own merkle roots", async () => {
    const before = proxy.inbox.length;
    const grouped = await proxy.openStandard(`${GROUPED.address}.${GROUPED.worker}`);
    expect(grouped.groupId).toBe(1);
    const s = await acceptedShare(proxy, grouped, GROUPED);
    await blockAccepted(blockHash(s), [grouped, extCh, homCh]);
    // The flush reached the group as one NewExtendedMiningJob (future) and one SetNewPrevHash addressed to channel 1.
    await until(() => proxy.inbox.slice(before).some((m) => m.msgType === M.MsgType.SetNewPrevHash && m.fields.channelId === 1), "a SetNewPrevHash to the group channel");
    expect(proxy.inbox.some((m) => m.msgType === M.MsgType.NewExtendedMiningJob && m.fields.channelId === 1 && m.fields.minNtime === undefined)).toBe(true);
    const again = await acceptedShare(proxy, grouped, GROUPED);
    await blockAccepted(blockHash(again), [grouped, extCh, homCh]);
  });

  test("SV2 channels appear in the edge's status beside v1 clients, marked sv2", async () => {
    const v1 = await TestMiner.connect(edge.stratum.listeners.get("main")!.port);
    await v1.cpuMinerHandshake(`${V1.address}.${V1.worker}`);
    const [st] = edge.stratum.status.ports();
    expect(st!.sv2Clients).toBe(3);
    const sv2 = st!.clientList!.filter((c) => c.protocol === "sv2");
    expect(sv2.map((c) => `${c.address}.${c.worker}`).sort()).toEqual([`${HOM.address}.${HOM.worker}`, `${PROXY.address}.${PROXY.worker}`, `${GROUPED.address}.${GROUPED.worker}`].sort());
    expect(sv2.every((c) => c.userAgent.startsWith("SV2 powerpool-tests"))).toBe(true);
    expect(st!.clientList!.filter((c) => c.protocol === undefined).map((c) => c.worker)).toEqual([V1.worker]);
    expect(st!.clients).toBe(3); // one v1 connection and two SV2 connections
    v1.close();
  });

  test("hostile input closes only the offending connection; v1 and SV2 miners keep mining", async () => {
    const counters = edge.stratum.sv2.get("main")!.counters;
    const badBefore = counters.badFrames;
    const raw = async (bytes: Uint8Array[], keepOpenMs = 300) => {
      let closed = false;
      const sock = await Bun.connect({ hostname: "127.0.0.1", port: sv2Port, socket: { data() {}, close() { closed = true; } } });
      for (const b of bytes) sock.write(b);
      await Bun.sleep(keepOpenMs);
      sock.end();
      return closed;
    };
    // Truncated act 1, then gone.
    await raw([new Uint8Array(10)]);
    // A random act 1 (any 64 bytes decode to a key), then a frame of garbage: the header's tag fails and the edge closes.
    expect(await raw([crypto.getRandomValues(new Uint8Array(64)), crypto.getRandomValues(new Uint8Array(22))], 1000)).toBe(true);

    const fresh = async () => {
      const m = await Sv2TestMiner.connect(sv2Port, authority.publicKey);
      return m;
    };
    // A message before SetupConnection.
    const early = await fresh();
    early.send(M.encodeOpenMiningChannel({ requestId: 1, userIdentity: "x", nominalHashRate: 0, maxTarget: new Uint8Array(32).fill(0xff) }));
    expect(await early.waitClosed()).toBe(true);
    // A frame over the cap: its (validly encrypted) header announces 1 MiB.
    const big = await fresh();
    const hdr = new Uint8Array(6);
    writeHeader(hdr, 0, 0, 0x00, 1 << 20);
    big.sendRaw((big as unknown as { keys: { send: { encryptWithAd(a: Uint8Array, p: Uint8Array): Uint8Array } } }).keys.send.encryptWithAd(new Uint8Array(0), hdr));
    expect(await big.waitClosed()).toBe(true);
    // A flipped bit in a frame's tag.
    const flipped = await fresh();
    const ct = flipped.encrypt(M.encodeSetupConnection({ protocol: 0, minVersion: 2, maxVersion: 2, flags: 0, endpointHost: "", endpointPort: 0, vendor: "x", hardwareVersion: "", firmware: "", deviceId: "" }));
    ct[ct.length - 1]! ^= 1;
    flipped.sendRaw(ct);
    expect(await flipped.waitClosed()).toBe(true);
    // A replayed frame: its nonce has passed, so its tag fails.
    const replay = await fresh();
    await replay.setup(0);
    const frame = replay.encrypt(M.encodeCloseChannel(999, "x"));
    replay.sendRaw(frame);
    replay.sendRaw(frame);
    expect(await replay.waitClosed()).toBe(true);
    // Truncated frame, then the client goes.
    const trunc = await fresh();
    trunc.sendRaw(trunc.encrypt(M.encodeSetupConnection({ protocol: 0, minVersion: 2, maxVersion: 2, flags: 0, endpointHost: "", endpointPort: 0, vendor: "x", hardwareVersion: "", firmware: "", deviceId: "" })).subarray(0, 30));
    trunc.close();
    // Unsupported flags and protocol: SetupConnection.Error naming them, then the close.
    const custom = await fresh();
    expect((await custom.setup(M.SetupFlag.requiresWorkSelection)).fields).toEqual({ flags: M.SetupFlag.requiresWorkSelection, errorCode: "unsupported-feature-flags" });
    expect(await custom.waitClosed()).toBe(true);
    const jd = await fresh();
    expect((await jd.setup(0, { protocol: 1 })).fields).toMatchObject({ errorCode: "unsupported-protocol" });
    expect(await jd.waitClosed()).toBe(true);
    // A malformed payload (a B0_32 longer than 32) in an otherwise valid frame.
    const malformed = await fresh();
    await malformed.setup(0);
    malformed.sendRaw(encryptFrame((malformed as unknown as { keys: { send: Parameters<typeof encryptFrame>[0] } }).keys.send, 0x8000, M.MsgType.SubmitSharesExtended, Uint8Array.of(...new Uint8Array(24), 40, ...new Uint8Array(40))));
    expect(await malformed.waitClosed()).toBe(true);

    expect(counters.badFrames - badBefore).toBeGreaterThanOrEqual(4);
    expect(hom.closed || proxy.closed).toBe(false);
    // The well-behaved miners never noticed.
    const s1 = await acceptedShare(hom, homCh, HOM);
    await blockAccepted(blockHash(s1), [homCh, extCh]);
    const s2 = await acceptedShare(proxy, extCh, PROXY);
    await blockAccepted(blockHash(s2), [homCh, extCh]);
    const v1 = await TestMiner.connect(edge.stratum.listeners.get("main")!.port);
    const hs = await v1.cpuMinerHandshake(`${V1.address}.${V1.worker}`);
    expect(hs.authorize.result).toBe(true);
    v1.close();
  });

  test("share records in Redis match what the SV2 miners were told, each exactly once", async () => {
    let diffs: string[] = [];
    await until(async () => (diffs = compareAccounting(ledger, await readAccounting(redis.client, { algo: ALGO, chain: CHAIN }))).length === 0, "the accounting to match the ledger", 20_000).catch((e: Error) => {
      throw new Error(`${e.message}: ${diffs.join("; ")}`);
    });
    // Every accepted share was a block bcoin took, with its unproc_block record.
    const accepted = [...ledger.shares.values()].reduce((n, r) => n + r.acc.length, 0);
    await until(() => blocks.filter((b) => b.accepted).length === accepted, `${accepted} accepted blocks`);
  });
});
