/**
 * @module Network fuzz against a live edge: `bun edge/main.ts` as an operator runs it (its own
 * process, so its memory is its own), a private redis-server, a job published as the core does,
 * and the core's accounting in this process. While honest miners (127.0.0.1, each its own payout
 * address) mine and count the shares they were told were accepted, hostile clients from many
 * loopback addresses (127.0.0.2 …) send garbage, floods, huge and partial lines, slowloris
 * dribbles, every stratum method and PPAgent message with mutated params, and extreme
 * difficulties; hostile push-block datagrams hit a datagram listener meanwhile. Afterwards each
 * honest miner's credit in Redis must equal its accepted shares exactly, no honest miner may have
 * been disconnected or banned, and the edge must be back to the honest connections alone with its
 * memory near the baseline.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import Redis from "ioredis";
import { JobPublisher } from "../../core/jobs/publisher.ts";
import { pyNumber } from "../../core/accounting/index.ts";
import { startAccounting } from "../../core/ingest/index.ts";
import { drained, waitFor } from "../../core/ingest/testing.ts";
import { buildNotifyTargets, DatagramHandler } from "../../core/notify/index.ts";
import { startNotifyListener } from "../../core/notify/listener.ts";
import { addressChecker } from "../../shared/config/addresses.ts";
import { parseConfig } from "../../shared/config/load.ts";
import { base58CheckEncode, concatBytes } from "../../shared/bitcoin/index.ts";
import { contractNames, edgeStatusCodec, type JobV1 } from "../../shared/contract/index.ts";
import { spec16Job } from "../../shared/contract/testing.ts";
import { createLogger } from "../../shared/log.ts";
import { DIFF1_SHA256D } from "../../shared/pow/index.ts";
import { TestMiner } from "../helpers/miner.ts";
import { freePort, startRedis } from "../helpers/redis.ts";
import { AGENT_METHODS, damage, extremeDifficultyLine, hostileValue, mutatedRequest, STRATUM_METHODS } from "./mutate.ts";
import type { Rng } from "./rng.ts";

const root = join(import.meta.dir, "../..");
const PREFIX = "nf:";
/** Tiny, so honest miners find shares at once: sha256d's diff1 is 2^32 hashes. */
const DIFF = 2 ** -30;
/** No share at this network target is a block. */
const NETWORK_TARGET = "0000000000000000000342190000000000000000000000000000000000000000";
const regtestAddress = (n: number) => base58CheckEncode(concatBytes(Uint8Array.of(0x3c), new Uint8Array(20).fill(n & 0xff)));

export interface NetworkFuzzOptions {
  /** How long the hostile clients run. */
  readonly seconds: number;
  readonly honestMiners: number;
  /** Hostile clients at once. */
  readonly concurrency: number;
  /** Loopback source addresses for hostile clients: 127.0.0.2, 127.0.0.3 … (`loopback`). */
  readonly sources: number;
}

export interface NetworkFuzzResult {
  readonly hostileConnections: number;
  readonly hostileLines: number;
  readonly agentConnections: number;
  readonly datagrams: number;
  readonly honest: { readonly address: string; readonly accepted: number; readonly credited: number; readonly rejected: number }[];
  readonly edgeRssBaselineMb: number;
  readonly edgeRssPeakMb: number;
  readonly edgeRssAfterMb: number;
  readonly edgeClientsAfter: number;
  readonly bansOfHonest: number;
  /** Empty when every honest miner's credit equals its accepted shares and the edge is back to its baseline. */
  readonly problems: string[];
}

/** The i-th hostile source address: 127.0.0.2, 127.0.0.3 … then 127.0.1.1 … (all loopback on Linux). */
function loopback(i: number): string {
  const n = i + 2;
  return `127.0.${Math.floor(n / 254)}.${(n % 254) + (n >= 254 ? 1 : 0)}`;
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : 0;
}

/** A hostile client's raw socket from `source`; resolves when connected (or refused: null). */
function rawConnect(port: number, source: string): Promise<net.Socket | null> {
  return new Promise((resolve) => {
    const s = net.connect({ host: "127.0.0.1", port, localAddress: source });
    s.once("connect", () => resolve(s));
    s.once("error", () => resolve(null));
    s.on("data", () => {});
    s.on("error", () => {});
  });
}

/** One hostile session on the stratum port: returns the lines it sent. */
async function hostileStratum(r: Rng, port: number, source: string, user: string): Promise<number> {
  const s = await rawConnect(port, source);
  if (!s) return 0;
  let lines = 0;
  const send = (text: string) => {
    if (!s.destroyed) s.write(text);
  };
  try {
    switch (r.int(8)) {
      case 0: // garbage bytes
        send(Buffer.from(r.bytes(1 + r.int(2000))).toString("latin1"));
        lines++;
        break;
      case 1: // a flood of lines
        for (let i = 0; i < 300; i++, lines++) send(`${mutatedRequest(r, r.pick(STRATUM_METHODS))}\n`);
        break;
      case 2: // a huge line, with or without its end
        send(`{"id":1,"method":"mining.subscribe","params":["${"A".repeat(5000 + r.int(100_000))}"]${r.chance(0.5) ? "}\n" : ""}`);
        lines++;
        break;
      case 3: // slowloris: a partial line dribbled out
        for (let i = 0; i < 5; i++, lines++) {
          send('{"id":1,"meth'.slice(0, 1 + r.int(12)));
          await Bun.sleep(50 + r.int(200));
        }
        break;
      case 4: // extreme difficulties after a real subscribe
        send('{"id":1,"method":"mining.subscribe","params":[]}\n');
        for (let i = 0; i < 10; i++, lines++) send(`${extremeDifficultyLine(r, user)}\n`);
        break;
      case 5: // a handshake, then mutated submits (the four-line attack among them)
        send('{"id":1,"method":"mining.subscribe","params":[]}\n');
        send(`{"id":2,"method":"mining.authorize","params":[${JSON.stringify(user)},${JSON.stringify(r.pick(["x", "d=1e308", "d=0.5", "-d 1e-300"]))}]}\n`);
        for (let i = 0; i < 40; i++, lines++) send(`${r.chance(0.5) ? damage(r, '{"id":3,"method":"mining.submit","params":["x.w","ffff","00000000","00000000","00000000"]}') : mutatedRequest(r, "mining.submit", ["x.w", "5000", "00000000", "5c3a8f10", "00000000"])}\n`);
        break;
      case 6: // every method with mutated params
        for (const m of STRATUM_METHODS) {
          send(`${mutatedRequest(r, m, [user, "x"])}\n`);
          lines++;
        }
        break;
      default: // a reset right after connecting
        s.resetAndDestroy();
        return 1;
    }
    await Bun.sleep(r.int(100));
  } finally {
    if (r.chance(0.5)) s.resetAndDestroy();
    else s.end();
  }
  return lines;
}

/** One hostile PPAgent session: hello, authenticate (maybe as an honest miner), mutated submits. */
async function hostileAgent(r: Rng, port: number, source: string, users: readonly string[]): Promise<number> {
  const s = await rawConnect(port, source);
  if (!s) return 0;
  let lines = 0;
  const send = (text: string) => {
    if (!s.destroyed) s.write(`${text}\n`);
    lines++;
  };
  if (r.chance(0.8)) send(`{"method":"hello","params":[${hostileValue(r)}]}`);
  if (r.chance(0.8)) send(`{"method":"worker.authenticate","params":[${JSON.stringify(r.pick(users))}]}`);
  for (let i = 0; i < 20; i++) {
    const user = JSON.stringify(r.pick(users));
    const type = JSON.stringify(r.pick(["hashrate", "temp", "status", "thresholds", "x"]));
    send(r.chance(0.7) ? `{"method":"stats.submit","params":[${user},${type},${hostileValue(r)},${r.chance(0.5) ? hostileValue(r) : "1409899777"}]}` : damage(r, mutatedRequest(r, r.pick(AGENT_METHODS), [r.pick(users)])));
  }
  await Bun.sleep(r.int(50));
  s.resetAndDestroy();
  return lines;
}

/** Push-block datagrams from many sources: a few valid ones among hostile ones; returns [sent, valid]. */
async function datagrams(r: Rng, target: { host: string; port: number }, count: number, sources: number): Promise<[number, number]> {
  let valid = 0;
  const sockets = await Promise.all(Array.from({ length: Math.min(sources, 16) }, (_, i) => Bun.udpSocket({ hostname: loopback(i) })));
  for (let i = 0; i < count; i++) {
    const sock = r.pick(sockets);
    let d: string | Uint8Array;
    if (i % 10 === 0) {
      d = "BTC getblocktemplate secret=s3cret";
      valid++;
    } else {
      d = r.pick<() => string | Uint8Array>([
        () => r.bytes(r.int(600)),
        () => "BTC getblocktemplate secret=wrong",
        () => "BTC getblocktemplate",
        () => "NOPE getblocktemplate secret=s3cret",
        () => "BTC submitblock secret=s3cret",
        () => "BTC getblocktemplate secret=s3cret secret=s3cret",
        () => `BTC ${"x".repeat(600)}`,
        () => "BTC\u0000getblocktemplate secret=s3cret",
        () => `BTC getblocktemplat${r.pick(["", "E", "e\u00ff"])} secret=s3cret`,
        () => `BTC getblocktemplate secret=s3cre${r.pick(["", "T", "tt"])}`,
        () => "=BTC getblocktemplate secret=s3cret",
      ])();
    }
    sock.send(d, target.port, target.host);
    if (i % 50 === 0) await Bun.sleep(1);
  }
  for (const s of sockets) s.close();
  return [count, valid];
}

interface Honest {
  readonly address: string;
  readonly miner: TestMiner;
  accepted: number;
  rejected: number;
  stop: boolean;
  loop: Promise<void>;
}

export async function runNetworkFuzz(r: Rng, o: NetworkFuzzOptions): Promise<NetworkFuzzResult> {
  const dir = mkdtempSync(join(tmpdir(), "pp-netfuzz-"));
  const redis = await startRedis();
  const quiet = createLogger("fuzz", { level: "error", format: "text", components: {}, write: () => {} });
  const publisher = new JobPublisher({ redis: redis.client, prefix: PREFIX, log: quiet });
  const poolAddress = regtestAddress(0x30);
  const configYaml = (port: number, agentPort: number) => `
pool: {term_timeout: 5, datagram: {enabled: false}, extranonce_serv_size: 4, extranonce_size: 4}
logging: {level: notice}
coins:
  BTC: {algo: sha256d, network: bcoin-regtest, pool_address: ${poolAddress}, coinservs: [{address: 127.0.0.1, port: 8332}]}
stratum:
  main:
    address: 127.0.0.1
    port: ${port}
    start_difficulty: ${DIFF}
    minimum_manual_diff: ${DIFF}
    vardiff: {enabled: false, minimum_difficulty: ${DIFF}, maximum_difficulty: ${DIFF * 1024}}
    agent: {enabled: true, port_diff: ${agentPort - port}}
    # Short bans, so hostile addresses come back and keep hitting the edge (the default is 600 s).
    limits: {max_line_bytes: 4096, ban_seconds: 3}
edges:
  eu1: {}
reporters:
  redis: {type: redis}
redis: {url: "${redis.url}", prefix: "${PREFIX}"}
monitor: {enabled: false}
`;
  const file = join(dir, "config.yml");
  const now = Math.floor(Date.now() / 1000);
  const job: JobV1 = spec16Job({ jobmanager: "BTC", coin: "BTC", currency: "BTC", ntime: now, mintime: now - 3600, target: NETWORK_TARGET, diff1: DIFF1_SHA256D.toString(16).padStart(64, "0"), createdAt: Date.now() });
  await publisher.publish(job);

  // The edge, on free ports; another process may take a port between the check and the listen: a few tries.
  let log = "";
  let port = 0;
  let agentPort = 0;
  let edge: Subprocess<"ignore", "pipe", "pipe"> | undefined;
  for (let attempt = 1; !edge; attempt++) {
    port = freePort();
    agentPort = freePort();
    writeFileSync(file, configYaml(port, agentPort));
    log = "";
    const p = Bun.spawn([process.execPath, join(root, "edge/main.ts"), "-c", file, "--name", "eu1"], { cwd: dir, stdin: "ignore", stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1" } });
    void (async () => {
      for await (const chunk of p.stderr) log += new TextDecoder().decode(chunk);
    })();
    void (async () => {
      for await (const chunk of p.stdout) log += new TextDecoder().decode(chunk);
    })();
    const served = await waitFor("the edge to serve", () => log.includes("is serving miners") || p.exitCode !== null, 60_000).then(
      () => p.exitCode === null,
      () => (p.kill("SIGKILL"), false),
    );
    if (!served) await p.exited;
    if (p.exitCode === null) edge = p;
    else if (attempt === 3 || !log.includes("Failed to listen")) {
      await publisher.stop(500);
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`the edge exited with ${p.exitCode}:\n${log.slice(-3000)}`);
    }
  }
  const config = parseConfig(configYaml(port, agentPort), file, { addresses: addressChecker });
  const coreRedis = new Redis(redis.url, { maxRetriesPerRequest: null });
  const core = await startAccounting(config, coreRedis, quiet, { consumer: "fuzz-core", tuning: { blockMs: 50, tidyEveryMs: 0 } });
  const honest: Honest[] = [];
  const handler = new DatagramHandler({ targets: buildNotifyTargets({ BTC: { notify: () => notified++ } }), secret: "s3cret", log: quiet });
  let notified = 0;
  const udp = await startNotifyListener({ host: "127.0.0.1", port: 0, handler });
  const problems: string[] = [];
  try {
    // Honest miners: handshake, then a share every ~20 ms each (well under the request rate limit).
    for (let i = 0; i < o.honestMiners; i++) {
      const address = regtestAddress(0x40 + i);
      const miner = await TestMiner.connect(port);
      const h: Honest = { address, miner, accepted: 0, rejected: 0, stop: false, loop: Promise.resolve() };
      await miner.cpuMinerHandshake(`${address}.honest${i}`);
      h.loop = (async () => {
        while (!h.stop && !miner.closed) {
          const reply = await miner.submit(miner.mineShare(miner.lastJob!), { user: `${address}.honest${i}` });
          if (reply.result === true) h.accepted++;
          else h.rejected++;
          await Bun.sleep(15 + r.int(10));
        }
      })();
      honest.push(h);
    }
    await Bun.sleep(1000);
    const baseline = rssMb(edge.pid);
    let peak = baseline;
    const users = honest.map((h, i) => `${h.address}.honest${i}`);

    // The hostile clients, `concurrency` at a time, until the time is up.
    let hostileConnections = 0;
    let hostileLines = 0;
    let agentConnections = 0;
    const deadline = Date.now() + o.seconds * 1000;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(edge.pid))), 200);
    const dgram = datagrams(r, udp, Math.max(200, o.seconds * 200), o.sources);
    await Promise.all(
      Array.from({ length: o.concurrency }, async () => {
        while (Date.now() < deadline) {
          const source = loopback(r.int(o.sources));
          const user = r.chance(0.3) ? r.pick(users) : `${regtestAddress(0x90 + r.int(10))}.x`;
          if (r.chance(0.2)) {
            agentConnections++;
            hostileLines += await hostileAgent(r, agentPort, source, users);
          } else {
            hostileConnections++;
            hostileLines += await hostileStratum(r, port, source, user);
          }
        }
      }),
    );
    const [sent, valid] = await dgram;
    clearInterval(sampler);

    // Honest miners finish; the core drains the stream; credit is compared per miner.
    for (const h of honest) h.stop = true;
    await Promise.all(honest.map((h) => h.loop));
    const names = contractNames(PREFIX);
    await waitFor("every share record to reach the stream", async () => {
      const st = await redis.client.get(names.edgeStatus("eu1"));
      const acc = st ? edgeStatusCodec.decode(st).ports[0]?.shares.acc : -1;
      return acc === honest.reduce((n, h) => n + h.accepted, 0);
    }, 30_000);
    await Bun.sleep(1500); // the edge's batch flush
    await waitFor("the share stream to drain", () => drained(redis.client, names.verifiedShareStream, names.accountingGroup), 60_000);
    const slice = await redis.client.lrange("chain_1_slice", 0, -1);
    const minuteSums = new Map<string, number>();
    for (const key of await redis.client.keys("min_acc_*")) {
      for (const [field, v] of Object.entries(await redis.client.hgetall(key))) minuteSums.set(field, (minuteSums.get(field) ?? 0) + Number(v));
    }
    const results = honest.map((h, i) => {
      const credited = slice.filter((e) => e.startsWith(`${h.address}:`)).length;
      const sum = minuteSums.get(`${h.address}.honest${i}`) ?? 0;
      if (credited !== h.accepted) problems.push(`${h.address}: ${h.accepted} accepted, ${credited} credited on the slice`);
      // Redis prints HINCRBYFLOAT sums with 17 decimals: the minute sums agree to that, the slice exactly.
      if (Math.abs(sum - h.accepted * DIFF) > 1e-12 * (1 + h.accepted)) problems.push(`${h.address}: minute sums ${sum} != ${h.accepted} × ${DIFF}`);
      if (h.miner.closed) problems.push(`${h.address}: disconnected`);
      return { address: h.address, accepted: h.accepted, credited, rejected: h.rejected };
    });
    // Nothing but honest addresses and the pool's reports was credited on the slice.
    const strangers = slice.filter((e) => !honest.some((h) => e === `${h.address}:${pyNumber(DIFF)}`));
    if (strangers.length > 0) problems.push(`${strangers.length} slice entries for others, e.g. ${strangers[0]}`);
    if (notified !== valid) problems.push(`${notified} datagram refreshes for ${valid} valid datagrams`);
    if (log.includes("[ERROR]")) problems.push(`the edge logged errors: ${log.split("\n").filter((l) => l.includes("[ERROR]")).slice(0, 3).join(" | ")}`);

    // Back to baseline: only the honest connections left, memory near where it started.
    let clientsAfter = -1;
    await waitFor("the edge to be down to the honest connections", async () => {
      const st = await redis.client.get(names.edgeStatus("eu1"));
      clientsAfter = st ? (edgeStatusCodec.decode(st).ports[0]?.clients ?? -1) : -1;
      return clientsAfter === honest.length;
    }, 20_000).catch(() => problems.push(`${clientsAfter} clients left on the edge, expected the ${honest.length} honest ones`));
    await Bun.sleep(2000);
    const after = rssMb(edge.pid);
    if (after > baseline * 1.5 + 48) problems.push(`edge RSS ${after.toFixed(0)} MB after the fuzz, baseline ${baseline.toFixed(0)} MB`);
    return {
      hostileConnections,
      hostileLines,
      agentConnections,
      datagrams: sent,
      honest: results,
      edgeRssBaselineMb: baseline,
      edgeRssPeakMb: peak,
      edgeRssAfterMb: after,
      edgeClientsAfter: clientsAfter,
      bansOfHonest: honest.filter((h) => h.miner.closed).length,
      problems,
    };
  } finally {
    for (const h of honest) h.miner.close();
    udp.close();
    edge.kill("SIGTERM");
    await Promise.race([edge.exited, Bun.sleep(8000)]);
    if (edge.exitCode === null) edge.kill("SIGKILL");
    await core.stop();
    coreRedis.disconnect();
    await publisher.stop(500);
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
