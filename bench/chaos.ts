/**
 * `bun run bench:chaos`: the whole pool on one machine, a few thousand simulated miners, and one
 * fault after another (issue 16 §5). Real processes throughout: two `bun run core` (active and
 * standby, a third started as the new standby after the first fault), two `bun run edge`, a Redis
 * primary + replica + three Sentinels (test/helpers/sentinel.ts), two bcoin regtest nodes (the
 * BTC coin's two coinservers). The miners are the test helpers' MiningRig (a cgminer-like loop in
 * this process, the one simulator here): mostly idle connections and a steady share rate, with a
 * block forced every few seconds.
 *
 * Faults, in order: the active core SIGKILLed; the next active core SIGSTOPped until the standby
 * leads, then SIGCONTed (it must step down, its writes fenced off); edge eu1 SIGTERMed (drain) and started again; edge
 * eu2 SIGKILLed and started again; the Redis primary SIGKILLed (Sentinel promotes the replica, the
 * old primary comes back as its replica); the serving coinserver SIGKILLed. After each, the miners
 * are paused until Redis has settled, and the table row compares what they were told with the
 * SimpleCoin records (per worker: lost = told "accepted" but not credited; doubled = credited more
 * often than accepted, beyond submits whose reply never came) and the blocks found with the block
 * records. Exit 1 if any fault lost or doubled a share, or left a found block unrecorded.
 *
 * Loopback only, free ports, a temporary directory; everything started is stopped at the end.
 * CHAOS_MINERS (default 2000) and CHAOS_SHARE_MS (each miner's pause between shares, default
 * 8000: ~250 shares/s) scale it; CHAOS_BLOCK_MS (default 3000, 0: none) spaces the forced blocks.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type Redis from "ioredis";
import { stratumPrevhashHex } from "../shared/bitcoin/bytes.ts";
import { jobCodec } from "../shared/contract/index.ts";
import { startBcoin, type BcoinNode } from "../test/helpers/bcoin.ts";
import { CoreProcess, EDGE_NAMES, EdgeProcess, MiningRig, REGTEST_ADDRESS, twoEdgeConfig, type PoolProcess } from "../test/helpers/edge-process.ts";
import { compareAccounting, Ledger, readAccounting } from "../test/helpers/ledger.ts";
import { freePort } from "../test/helpers/redis.ts";
import { sentinelRedisYaml, startSentinelTopology, type SentinelTopology } from "../test/helpers/sentinel.ts";

const MINERS = Number(process.env.CHAOS_MINERS ?? 2000);
const SHARE_MS = Number(process.env.CHAOS_SHARE_MS ?? 8000);
/** Below bcoin regtest's network difficulty (~4.7e-10): rigs submit non-block shares unless told to find a block. */
const DIFF = 1e-12;
const PREFIX = "chaos:";
const BLOCK_EVERY_MS = Number(process.env.CHAOS_BLOCK_MS ?? 3000);
/** Mining after each recovery, before the miners are paused for the count. */
const AFTER_MS = 8000;

const t0 = Date.now();
const say = (s: string) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${s}`);

async function until<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, ms = 60_000, everyMs = 25): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await Promise.resolve(probe()).catch(() => undefined);
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await Bun.sleep(everyMs);
  }
}

interface Row {
  fault: string;
  recovery: string;
  disconnected: number;
  reconnected: number;
  /** The most reconnects one miner made. */
  most: number;
  accepted: number;
  rejected: number;
  /** The rejections: stale / duplicate / low difficulty / other. */
  why: string;
  credited: number;
  lost: number;
  doubled: number;
  unansweredCredited: number;
  unanswered: number;
  found: number;
  /** Found blocks a running bcoin node has (submitted and kept); blocks of a dead node's chain cannot be asked about. */
  inNode: number;
  recordedAccepted: number;
  recordedRejected: number;
  missing: number;
}

const dir = mkdtempSync(join(tmpdir(), "pp-chaos-"));
const ports = { eu1: freePort(), eu2: freePort() };
const ledger = new Ledger();
const rigs: { rig: MiningRig; edge: string; field: string }[] = [];
const edges = new Map<string, EdgeProcess>();
const cores: PoolProcess[] = [];
let topo: SentinelTopology | undefined;
let nodes: BcoinNode[] = [];
let blockTimer: ReturnType<typeof setInterval> | undefined;

process.on("exit", () => {
  // A crash of this script must not leave pool processes behind (bcoin and Redis have their own hooks or die with their pipes).
  for (const p of [...edges.values(), ...cores]) if (p.pid !== undefined) process.kill(p.pid, "SIGKILL");
});

async function cleanup(): Promise<void> {
  if (blockTimer) clearInterval(blockTimer);
  await Promise.all(rigs.map((r) => r.rig.stop()));
  for (const p of [...edges.values(), ...cores]) await p.stop("SIGKILL");
  await Promise.all(nodes.map((n) => n.stop()));
  await topo?.stop();
  rmSync(dir, { recursive: true, force: true });
}

async function primary(): Promise<Redis> {
  return topo!.client(await topo!.primaryPort());
}

async function leader(): Promise<{ pid: number; epoch: number } | null> {
  const v = await (await primary()).get(`${PREFIX}core:leader`);
  const m = v ? /:(\d+) (\d+)$/.exec(v) : null;
  return m ? { pid: Number(m[1]), epoch: Number(m[2]) } : null;
}

async function currentJob(): Promise<{ id: string; height: number; prevhash: string } | null> {
  const raw = await (await primary()).get(`${PREFIX}job:BTC`);
  if (!raw) return null;
  const j = jobCodec.decode(raw);
  return { id: j.id, height: j.height, prevhash: j.prevhash };
}

const accepted = () => rigs.reduce((n, r) => n + r.rig.accepted, 0);
const rejected = () => rigs.reduce((n, r) => n + r.rig.rejected, 0);
/** Rejections by kind as the ledger has them (stale, duplicate, low difficulty); the rest are other errors. */
const rejectedKinds = () => {
  const k = { stale: 0, dup: 0, low: 0 };
  for (const rec of ledger.shares.values()) for (const kind of ["stale", "dup", "low"] as const) k[kind] += rec[kind].length;
  return k;
};

/** Totals at the last count, so that each row shows its own fault's part. */
/** Found blocks already seen in a node. */
const seenInNode = new Set<string>();
const last = { inNode: 0, accepted: 0, rejected: 0, kinds: { stale: 0, dup: 0, low: 0 }, credited: 0, lost: 0, doubled: 0, unansweredCredited: 0, unanswered: 0, found: 0, recA: 0, recR: 0, missing: 0 };

/** Pauses the miners, waits for Redis to hold every accepted share (up to 60 s), counts, resumes. */
async function count(fault: string, recovery: string, { disconnected, reconnected, most }: { disconnected: number; reconnected: number; most: number }): Promise<Row> {
  await Promise.all(rigs.map((r) => r.rig.pause()));
  const unansweredBy = new Map(rigs.map((r) => [r.field, r.rig.unanswered]));
  let lost = 0;
  let doubled = 0;
  let unansweredCredited = 0;
  let credited = 0;
  /** Differences in the records of rejected shares (min_stale, min_dup, min_low against the ledger). */
  let rejectedDiffs: string[] = [];
  const deadline = Date.now() + 60_000;
  for (;;) {
    const got = await readAccounting(await primary(), { algo: "sha256d", chain: 1 });
    lost = doubled = unansweredCredited = 0;
    for (const [field, rec] of ledger.shares) {
      const want = rec.acc.length;
      const have = Math.round((got.sums.get(field)?.acc ?? 0) / DIFF);
      lost += Math.max(0, want - have);
      const extra = Math.max(0, have - want);
      const unanswered = unansweredBy.get(field) ?? 0;
      doubled += Math.max(0, extra - unanswered);
      unansweredCredited += Math.min(extra, unanswered);
    }
    credited = [...got.slices.values()].reduce((a, b) => a + b, 0);
    rejectedDiffs = compareAccounting(ledger, got).filter((d) => /^min_(stale|dup|low) /.test(d));
    if ((lost === 0 && credited >= accepted()) || Date.now() > deadline) break;
    await Bun.sleep(250);
  }
  // Blocks: every accepted share that met its job's network target, against the core's records.
  const found = rigs.flatMap((r) => r.rig.blocks);
  const p = await primary();
  const wait = Date.now() + 30_000;
  let recA = 0;
  let recR = 0;
  let missing = 0;
  for (;;) {
    recA = recR = missing = 0;
    for (const h of found) {
      const [a, r] = await Promise.all([p.exists(`unproc_block_${h}`), p.exists(`rejected_block_${h}`)]);
      if (a) recA++;
      else if (r) recR++;
      else missing++;
    }
    if (missing === 0 || Date.now() > wait) break;
    await Bun.sleep(250);
  }
  for (const h of found) {
    if (seenInNode.has(h)) continue;
    for (const n of nodes) {
      if (n.running && (await n.rpc("getblockheader", [h, true]).catch(() => null)) !== null) {
        seenInNode.add(h);
        break;
      }
    }
  }
  const unanswered = rigs.reduce((n, r) => n + r.rig.unanswered, 0);
  const row: Row = {
    fault,
    recovery,
    disconnected,
    reconnected,
    most,
    accepted: accepted() - last.accepted,
    rejected: rejected() - last.rejected,
    why: (() => {
      const k = rejectedKinds();
      const [st, du, lo] = [k.stale - last.kinds.stale, k.dup - last.kinds.dup, k.low - last.kinds.low];
      const records = rejectedDiffs.length === 0 ? "recorded as such" : `${rejectedDiffs.length} records differ: ${rejectedDiffs.slice(0, 3).join("; ")}`;
      return `stale ${st}, duplicate ${du}, low ${lo}, other ${rejected() - last.rejected - st - du - lo} (cumulative: ${records})`;
    })(),
    credited: credited - last.credited,
    lost: lost - last.lost,
    doubled: doubled - last.doubled,
    unansweredCredited: unansweredCredited - last.unansweredCredited,
    unanswered: unanswered - last.unanswered,
    found: found.length - last.found,
    inNode: seenInNode.size - last.inNode,
    recordedAccepted: recA - last.recA,
    recordedRejected: recR - last.recR,
    missing: missing - last.missing,
  };
  Object.assign(last, { inNode: seenInNode.size, accepted: accepted(), rejected: rejected(), kinds: rejectedKinds(), credited, lost, doubled, unansweredCredited, unanswered, found: found.length, recA, recR, missing });
  for (const r of rigs) r.rig.resume();
  say(`${fault}: ${JSON.stringify(row)}`);
  return row;
}

/** Rigs whose connection dropped since `before` (reconnects grew, or not connected now), and how many of those are connected again. */
function disconnections(before: Map<MiningRig, number>): { disconnected: number; reconnected: number; most: number } {
  let disconnected = 0;
  let reconnected = 0;
  let most = 0;
  for (const { rig } of rigs) {
    most = Math.max(most, rig.reconnects - before.get(rig)!);
    if (rig.reconnects > before.get(rig)! || !rig.connected) {
      disconnected++;
      if (rig.connected) reconnected++;
    }
  }
  return { disconnected, reconnected, most };
}
const snapshot = () => new Map(rigs.map((r) => [r.rig, r.rig.reconnects]));
const ms = (a: number, b: number) => `${b - a} ms`;

async function main(): Promise<number> {
  say(`starting: Redis primary + replica + 3 Sentinels, 2 bcoin regtest nodes`);
  [topo, nodes] = await Promise.all([startSentinelTopology(), Promise.all([startBcoin(), startBcoin()])]);
  const [nodeA, nodeB] = nodes as [BcoinNode, BcoinNode];
  // Different heights, so that bcoin-b's tip is never one bcoin-a has (two regtest nodes mining the same template in the same second build the same block).
  await Promise.all([nodeA.mine(1), nodeB.mine(2)]);
  const a = nodeA.coinserver({ name: "bcoin-a", poll_priority: 10 });
  const b = nodeB.coinserver({ name: "bcoin-b", poll_priority: 5 });
  const cs = (c: typeof a) => `{address: ${c.address}, port: ${c.port}, username: pool, password: "${c.password}", name: ${c.name}, poll_priority: ${c.poll_priority}}`;
  const file = join(dir, "config.yml");
  writeFileSync(
    file,
    twoEdgeConfig({
      ports,
      difficulty: DIFF,
      procname: "chaos",
      coin: `    coinservs: [${cs(a)}, ${cs(b)}]\n    block_poll: 0.2`,
      redis: sentinelRedisYaml(topo, PREFIX),
    }),
  );

  say("starting core0 (becomes active) and core1 (standby), then edges eu1 and eu2");
  for (const n of [0, 1]) {
    const c = new CoreProcess(n, file, dir);
    cores.push(c);
    await c.start();
    if (n === 0) await until("core0 to take the lease", async () => (await leader())?.pid === c.pid);
  }
  await until("a job in Redis", currentJob);
  for (const name of EDGE_NAMES) {
    const e = new EdgeProcess(name, file, dir);
    edges.set(name, e);
    await e.start();
  }

  say(`connecting ${MINERS} miners (${MINERS / 2} per edge), one share per miner every ${SHARE_MS} ms`);
  for (let i = 0; i < MINERS; i++) {
    const edge = EDGE_NAMES[i % 2]!;
    const worker = `${edge}w${i}`;
    // The first share of each miner comes after a random part of the interval, so the rate is steady.
    const rig = new MiningRig({ port: () => ports[edge], user: `${REGTEST_ADDRESS}.${worker}`, address: REGTEST_ADDRESS, worker, ledger, pauseMs: SHARE_MS, blockEvery: Number.POSITIVE_INFINITY });
    rigs.push({ rig, edge, field: `${REGTEST_ADDRESS}.${worker}` });
    setTimeout(() => rig.start(), Math.random() * SHARE_MS);
  }
  await until("every miner connected", () => rigs.every((r) => r.rig.connected), 120_000, 200);
  say(`all ${MINERS} connected`);
  // A block every few seconds from a random connected miner.
  if (BLOCK_EVERY_MS > 0) blockTimer = setInterval(() => {
    const live = rigs.filter((r) => r.rig.connected);
    live[Math.floor(Math.random() * live.length)]?.rig.forceBlock();
  }, BLOCK_EVERY_MS);
  await Bun.sleep(AFTER_MS);
  const rows: Row[] = [await count("baseline (no fault)", "-", { disconnected: 0, reconnected: 0, most: 0 })];

  // 1. The active core, SIGKILL.
  {
    const before = snapshot();
    const held = (await leader())!;
    const victim = cores.find((c) => c.pid === held.pid)!;
    const standby = cores.find((c) => c !== victim && c.pid !== undefined)!;
    const jobBefore = (await currentJob())!;
    say(`fault 1: SIGKILL ${victim.name} (pid ${held.pid}, epoch ${held.epoch})`);
    const at = Date.now();
    await victim.stop("SIGKILL");
    await until("the standby to take the lease", async () => (await leader())?.pid === standby.pid, 30_000);
    const leaseAt = Date.now();
    await until("a job from the new leader", async () => (await currentJob())?.id.slice(0, 12) !== jobBefore.id.slice(0, 12), 30_000);
    const jobAt = Date.now();
    const fresh = new CoreProcess(2, file, dir);
    cores.push(fresh);
    await fresh.start();
    await Bun.sleep(AFTER_MS);
    const lostLines = cores.flatMap((c) => c.log.split("\n").filter((l) => l.includes("LOST")));
    if (lostLines.length) say(`core log lines naming LOST candidates:\n${lostLines.join("\n")}`);
    const d = disconnections(before);
    rows.push(await count("active core SIGKILL", `lease ${ms(at, leaseAt)}, new job ${ms(at, jobAt)}`, d));
  }

  // 1b. The new active core frozen (SIGSTOP) until the standby has taken over, then woken (SIGCONT):
  // whatever it had in hand is refused by the fence, and it stands by.
  {
    const before = snapshot();
    const held = (await leader())!;
    const victim = cores.find((c) => c.pid === held.pid)!;
    const standby = cores.find((c) => c !== victim && c.pid !== undefined)!;
    const jobBefore = (await currentJob())!;
    say(`fault 1b: SIGSTOP ${victim.name} (pid ${held.pid}, epoch ${held.epoch}) until ${standby.name} leads, then SIGCONT`);
    const at = Date.now();
    victim.pause("SIGSTOP");
    await until("the standby to take the lease", async () => (await leader())?.pid === standby.pid, 30_000);
    const leaseAt = Date.now();
    await until("a job from the new leader", async () => (await currentJob())?.id.slice(0, 12) !== jobBefore.id.slice(0, 12), 30_000);
    const jobAt = Date.now();
    const mark = victim.log.length;
    victim.pause("SIGCONT");
    await until(`${victim.name} to step down`, () => victim.log.slice(mark).includes("stepping down"), 30_000, 50);
    const downAt = Date.now();
    await Bun.sleep(AFTER_MS);
    const stillLeader = (await leader())?.pid === standby.pid;
    if (!stillLeader) say(`the lease moved again after ${victim.name} woke up`);
    const d = disconnections(before);
    rows.push(await count("active core SIGSTOP, then SIGCONT", `lease ${ms(at, leaseAt)}, new job ${ms(at, jobAt)}; woken core stepped down ${ms(at, downAt)}`, d));
  }

  // 2 and 3. An edge: SIGTERM (drain), then the other one SIGKILL; each started again.
  for (const [name, signal] of [["eu1", "SIGTERM"], ["eu2", "SIGKILL"]] as const) {
    const before = snapshot();
    const e = edges.get(name)!;
    const mine = rigs.filter((r) => r.edge === name);
    say(`fault: ${signal} edge ${name} (${mine.length} miners), then start it again`);
    const at = Date.now();
    const code = await e.stop(signal);
    const exitAt = Date.now();
    await e.start();
    const upAt = Date.now();
    await until(`every miner back on ${name}`, () => mine.every((r) => r.rig.connected && r.rig.reconnects > before.get(r.rig)!), 120_000, 100);
    const backAt = Date.now();
    const drained = /drained: .*/.exec(e.log)?.[0];
    if (signal === "SIGTERM") say(`${name} exited ${code}; ${drained ?? "no drain line"}`);
    await Bun.sleep(AFTER_MS);
    const d = disconnections(before);
    // Session resume: the extranonce1 after the reconnect is the one before it.
    const kept = mine.filter((r) => r.rig.extranonce1s.at(-1) === r.rig.extranonce1s.at(-2)).length;
    rows.push(await count(`edge ${signal}${signal === "SIGTERM" ? " (drain)" : ""} + restart`, `exit ${ms(at, exitAt)}, serving again ${ms(at, upAt)}, all miners back ${ms(at, backAt)}; extranonce1 kept by ${kept}`, d));
  }

  // 4. The Redis primary, SIGKILL.
  {
    const before = snapshot();
    const old = await topo.primaryPort();
    const logFrom = new Map([...edges.values()].map((e) => [e, e.log.length]));
    say(`fault 4: SIGKILL the Redis primary (port ${old})`);
    const at = Date.now();
    await topo.signal(old, "SIGKILL");
    const promoted = await topo.failedOver(old, 60_000);
    const promotedAt = Date.now();
    await until("both edges to reach the new primary", () => [...edges.values()].every((e) => /redis reachable again/.test(e.log.slice(logFrom.get(e)))), 60_000, 100);
    const edgesAt = Date.now();
    await topo.restartAsReplica(old, promoted);
    await topo.replicasOnline(promoted, 1, 60_000);
    await Bun.sleep(AFTER_MS);
    const d = disconnections(before);
    rows.push(await count("Redis primary SIGKILL", `promoted ${ms(at, promotedAt)}, edges writing ${ms(at, edgesAt)}`, d));
  }

  // 5. The serving coinserver, SIGKILL.
  {
    const before = snapshot();
    const heightB = Number(await nodeB.rpc("getblockcount"));
    const heightA = Number(await nodeA.rpc("getblockcount"));
    say(`fault 5: SIGKILL coinserver bcoin-a (serving, height ${heightA}; bcoin-b is at height ${heightB}); job height now ${(await currentJob())?.height}`);
    const at = Date.now();
    await nodeA.kill();
    // bcoin-b's tip does not move while bcoin-a serves (the nodes are not peers: blocks on bcoin-a's chain are orphans to it).
    const tipB = stratumPrevhashHex(String(await nodeB.rpc("getbestblockhash")));
    await until("a job on bcoin-b's tip", async () => (await currentJob())?.prevhash === tipB, 60_000);
    const jobAt = Date.now();
    say(`job height now ${(await currentJob())?.height}`);
    await Bun.sleep(AFTER_MS);
    const d = disconnections(before);
    rows.push(await count("coinserver SIGKILL", `job from the other node ${ms(at, jobAt)}`, d));
    say(`bcoin-b height now ${await nodeB.rpc("getblockcount")}`);
  }

  const cols = ["fault", "recovery", "miners disconnected / reconnected (most reconnects by one)", "shares accepted (rejected)", "credited", "lost", "doubled", "unanswered (of them credited)", "blocks found", "in a bcoin node", "recorded accepted / rejected", "unrecorded"];
  console.log(`\nchaos: ${MINERS} miners on 2 edges, ~${Math.round((MINERS * 1000) / SHARE_MS)} shares/s, a block every ~${BLOCK_EVERY_MS / 1000} s; 2 cores, Redis primary + replica + 3 Sentinels, 2 bcoin nodes\n`);
  console.log(`| ${cols.join(" | ")} |`);
  console.log(`| ${cols.map(() => "---").join(" | ")} |`);
  for (const r of rows) {
    console.log(`| ${r.fault} | ${r.recovery} | ${r.disconnected} / ${r.reconnected} (${r.most}) | ${r.accepted} (${r.rejected}) | ${r.credited} | ${r.lost} | ${r.doubled} | ${r.unanswered} (${r.unansweredCredited}) | ${r.found} | ${r.inNode} | ${r.recordedAccepted} / ${r.recordedRejected} | ${r.missing} |`);
  }
  console.log(`\nrejected shares per fault: ${rows.map((r) => `${r.fault}: ${r.why}`).join("; ")}`);
  const bad = rows.filter((r) => r.lost !== 0 || r.doubled !== 0 || r.missing !== 0);
  console.log(bad.length === 0 ? "\nOK: no fault lost or doubled a share, every found block is recorded" : `\nFAILED: ${bad.map((r) => r.fault).join("; ")}`);
  return bad.length === 0 ? 0 : 1;
}

let code = 1;
const onSignal = () => {
  say("interrupted: cleaning up");
  void cleanup().finally(() => process.exit(130));
};
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);
try {
  code = await main();
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  for (const p of [...edges.values(), ...cores]) console.error(`--- ${p.name}:\n${p.tail(15)}`);
} finally {
  say("cleaning up");
  await cleanup();
}
process.exit(code);
