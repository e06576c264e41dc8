/**
 * @module `bun run bench:block`: how long a new block takes from the coinserver to the last miner's
 * clean `mining.notify`, for each way the core can learn of it, in one run against real nodes.
 *
 * Rig: two connected Litecoin Core 0.21 regtest nodes (Debian's litecoind; the second is only the
 * peer getblocktemplate needs), a private Redis, one core and one edge in this process
 * (test/helpers/ltc-pool.ts), and N lean stratum clients (N = 1 and 1,000) in this process too.
 *
 * Per block: the block is mined with `generatetoaddress` on the pool's node, and the figure is
 * t0 → the clean notify on that block at the last of the N clients, where t0 is "the node has the
 * block":
 * - polling (`block_method: poll`, `block_poll: 0.2`, the default) and long polling (a held
 *   getblocktemplate, which the node answers at the tip update; polling off): t0 is the node's own
 *   timestamp of the tip update, its debug.log `UpdateTip` line (-logtimemicros; same machine, same clock);
 * - datagram and ZMQ (polling off): the bench sends the signal when generatetoaddress returns, as
 *   a blocknotify script or the node's -zmqpubhashblock would right after the tip update, and t0 is
 *   that moment (counting from UpdateTip would charge them the node's RPC reply, printed apart).
 *   Debian's litecoind is built without ZMQ: a real libzmq publisher (python3-zmq) sends hashblock.
 * The floor, measured in the same run, per block: the getblocktemplate round trip alone (a fresh
 * template, on the peer node once it has the block: the pool's node has by then cached the
 * template the pool fetched) plus the edge's fan-out (the core's XADD of the job → the last
 * client's notify) of that block.
 *
 * Options: --rounds <n> (blocks per method and N; default 20), --clients <list> (default 1,1000).
 */
import { createSocket } from "node:dgram";
import { bytesToRpcHex, stratumPrevhashToBytes } from "../shared/bitcoin/index.ts";
import { createLogger } from "../shared/log.ts";
import { LTC_REGTEST_ADDRESS, LTC_RULES, startLitecoinds, type LitecoindNode } from "../test/helpers/litecoind.ts";
import { startLtcPool } from "../test/helpers/ltc-pool.ts";
import { startZmqPublisher, type ZmqPublisher } from "../test/helpers/zmq-publisher.ts";

const argv = process.argv.slice(2);
const opt = (name: string, dflt: string) => (argv.includes(name) ? (argv[argv.indexOf(name) + 1] ?? dflt) : dflt);
const ROUNDS = Number(opt("--rounds", "20"));
const CLIENT_COUNTS = opt("--clients", "1,1000").split(",").map(Number);
const METHODS = ["polling", "datagram", "zmq", "longpoll"] as const;
type Method = (typeof METHODS)[number];
const LABEL: Record<Method, string> = { polling: "polling (block_poll 0.2)", datagram: "push-block datagram", zmq: "ZMQ hashblock", longpoll: "long polling" };

/** Lean stratum clients: one line parser each, counting clean notifies per prevhash. */
class Clients {
  private readonly sockets: Bun.Socket[] = [];
  /** Per prevhash: clients that got a clean notify on it, and when the last of them did. */
  private readonly seen = new Map<string, { count: number; last: number }>();
  private expect: { prevhash: string; done: (t: number) => void } | null = null;
  private ready = 0;
  private onReady: (() => void) | null = null;

  private constructor(private readonly n: number) {}

  static async open(port: number, n: number): Promise<Clients> {
    const c = new Clients(n);
    const all = new Promise<void>((resolve) => (c.onReady = resolve));
    for (let i = 0; i < n; i += 200) await Promise.all(Array.from({ length: Math.min(200, n - i) }, (_, j) => c.connect(port, i + j)));
    const timeout = Bun.sleep(60_000).then(() => "timeout" as const);
    if ((await Promise.race([all, timeout])) === "timeout") throw new Error(`only ${c.ready} of ${n} stratum clients got a first job within 60 s`);
    return c;
  }

  private async connect(port: number, i: number): Promise<void> {
    let buf = "";
    let first = true;
    const s = await Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        data: (_s, chunk) => {
          buf += chunk.toString();
          let nl: number;
          while ((nl = buf.indexOf("\n")) >= 0) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            if (!line.includes('"mining.notify"')) continue;
            const t = performance.now();
            const params = (JSON.parse(line) as { params: unknown[] }).params;
            if (first) {
              first = false;
              if (++this.ready === this.n) this.onReady?.();
              continue;
            }
            if (params[8] !== true) continue;
            const prev = String(params[1]);
            const got = this.seen.get(prev) ?? { count: 0, last: 0 };
            got.count++;
            got.last = t;
            this.seen.set(prev, got);
            const e = this.expect;
            if (e && prev === e.prevhash && got.count === this.n) {
              this.expect = null;
              e.done(t);
            }
          }
        },
      },
    });
    this.sockets.push(s);
    s.write(`{"id":1,"method":"mining.subscribe","params":["bench/1"]}\n{"id":2,"method":"mining.authorize","params":["${LTC_REGTEST_ADDRESS}.c${i}","x"]}\n`);
  }

  /** Resolves with the time the last client got a clean notify on `hash` (display hex). */
  waitFor(hash: string): Promise<number> {
    const prevhash = stratumPrevhash(hash);
    const got = this.seen.get(prevhash);
    // Long polling can beat the generatetoaddress reply to this process.
    if (got && got.count === this.n) return Promise.resolve(got.last);
    return new Promise((done) => (this.expect = { prevhash, done }));
  }

  close(): void {
    for (const s of this.sockets) s.end();
  }
}

/** Display hex → stratum's prevhash (each 4-byte word of the internal order byte-swapped). */
function stratumPrevhash(hash: string): string {
  const internal = Buffer.from(hash, "hex").reverse();
  const out = Buffer.alloc(32);
  for (let i = 0; i < 32; i += 4) internal.subarray(i, i + 4).reverse().copy(out, i);
  const s = out.toString("hex");
  if (bytesToRpcHex(stratumPrevhashToBytes(s)) !== hash) throw new Error("stratumPrevhash: round trip failed");
  return s;
}

function pct(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? Number.NaN;
}

const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(1).padStart(7) : "      –");

/** When the node made `hash` its tip, from its debug.log (microseconds), on performance.now()'s scale. */
async function tipUpdatedAt(node: LitecoindNode, hash: string): Promise<number> {
  const text = await Bun.file(`${node.datadir}/regtest/debug.log`).text();
  const at = text.lastIndexOf(`UpdateTip: new best=${hash}`);
  const lineStart = text.lastIndexOf("\n", at) + 1;
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{6})Z/.exec(text.slice(lineStart, at));
  if (at < 0 || !m) throw new Error(`no UpdateTip line with microseconds for ${hash} in ${node.name}'s debug.log`);
  return Date.parse(`${m[1]}Z`) + Number(m[2]) / 1000 - performance.timeOrigin;
}

/**
 * A fresh template's round trip: on the peer node, once it has `hash` and before anything asked it
 * for a template on that tip (the pool's node caches the template the pool just fetched).
 */
async function gbtRoundTrip(peer: LitecoindNode, hash: string): Promise<number> {
  while ((await peer.rpc("getbestblockhash")) !== hash) await Bun.sleep(1);
  const t = performance.now();
  await peer.rpc("getblocktemplate", [{ rules: LTC_RULES }]);
  return performance.now() - t;
}

interface Row {
  readonly method: Method;
  readonly n: number;
  readonly latency: number[];
  readonly fanout: number[];
  /** Per block: the getblocktemplate round trip measured after it plus that block's fan-out. */
  readonly floor: number[];
}

async function runMethod(method: Method, n: number, node: LitecoindNode, peer: LitecoindNode, pub: ZmqPublisher, gbt: number[]): Promise<Row> {
  const log = createLogger("bench", { level: "error", format: "text", components: {}, write: () => {} });
  const pool = await startLtcPool({
    node,
    blockMethod: method === "polling" || method === "datagram" ? "poll" : method,
    ...(method === "zmq" ? { zmq: pub.endpoint } : {}),
    blockPoll: method === "polling" ? 0.2 : 3600,
    datagram: method === "datagram",
    log,
    name: `bench-${method}-${n}`,
  });
  const ltc = pool.core.coins.get("LTC")!;
  const published = new Map<string, number>();
  // From the XADD of the job (the listener runs once Redis acknowledged it).
  ltc.jobs.subscribe((ev) => {
    if (ev.newBlock) published.set(ev.job.prevhash, performance.now() - ev.timing.publishMs);
  });
  const udp = createSocket("udp4");
  const row: Row = { method, n, latency: [], fanout: [], floor: [] };
  try {
    const deadline = Date.now() + 20_000;
    while (method !== "polling" && method !== "datagram" && ltc.watcher.status().method !== method) {
      if (Date.now() > deadline) throw new Error(`${method} did not come up: ${JSON.stringify(ltc.watcher.status().channel)}`);
      await Bun.sleep(20);
    }
    const clients = await Clients.open(pool.stratumPort, n);
    let seq = 0;
    for (let r = 0; r < ROUNDS; r++) {
      // A random phase against the polling timer, as real blocks have.
      await Bun.sleep(150 + Math.random() * 250);
      const [hash] = (await node.rpc("generatetoaddress", [1, LTC_REGTEST_ADDRESS])) as string[];
      const sentAt = performance.now();
      const last = clients.waitFor(hash!);
      if (method === "zmq") void pub.block(hash!, seq++);
      if (method === "datagram") udp.send("LTC getblocktemplate signal=1\n", pool.datagramPort!, "127.0.0.1");
      const timeout = Bun.sleep(10_000).then(() => Number.NaN);
      const t = await Promise.race([last, timeout]);
      if (Number.isNaN(t)) throw new Error(`${method} N=${n}: no clean notify on ${hash} within 10 s`);
      const tipAt = await tipUpdatedAt(node, hash!);
      replyGap.push(sentAt - tipAt);
      row.latency.push(t - (method === "zmq" || method === "datagram" ? sentAt : tipAt));
      const p = published.get(stratumPrevhash(hash!));
      const g = await gbtRoundTrip(peer, hash!);
      gbt.push(g);
      if (p !== undefined) {
        row.fanout.push(t - p);
        row.floor.push(g + (t - p));
      }
    }
    clients.close();
  } finally {
    udp.close();
    await pool.stop();
  }
  return row;
}

const group = await startLitecoinds(2, { debugLog: true });
const pub = await startZmqPublisher();
const node = group.nodes[0]!;
const gbt: number[] = [];
/** UpdateTip → generatetoaddress reply received: what ZMQ and datagram rows are not charged. */
const replyGap: number[] = [];
const rows: Row[] = [];
try {
  const version = ((await node.rpc("getnetworkinfo")) as { subversion: string }).subversion;
  console.log(`bench:block — ${version} regtest (2 connected nodes), 1 core + 1 edge + N stratum clients in this process, ${ROUNDS} blocks per row`);
  console.log("ZMQ: Debian's litecoind is built without ZMQ; a python3-zmq (libzmq) publisher sends the hashblock message the moment the node has the block.");
  console.log("t0: the node's UpdateTip (debug.log, µs) for polling and long polling; the moment the signal is sent for datagram and ZMQ");
  console.log("figure: t0 → clean mining.notify at the last of N clients (ms)\n");
  for (const n of CLIENT_COUNTS) for (const m of METHODS) {
    rows.push(await runMethod(m, n, node, group.nodes[1]!, pub, gbt));
    process.stderr.write(`  done: ${m} N=${n}\n`);
  }
} finally {
  await pub.kill();
  await group.stop();
}

const gbt50 = pct(gbt, 50);
console.log(`UpdateTip → generatetoaddress reply here: p50 ${pct(replyGap, 50).toFixed(2)} ms (not charged to datagram and ZMQ)`);
console.log(`getblocktemplate round trip alone (fresh template): p50 ${gbt50.toFixed(2)} ms, p90 ${pct(gbt, 90).toFixed(2)} ms (${gbt.length} calls)`);
console.log(`\n| method | N | p50 | p90 | max | p50 − floor |`);
console.log(`| --- | ---: | ---: | ---: | ---: | ---: |`);
for (const n of CLIENT_COUNTS) {
  const fan = rows.filter((r) => r.n === n).flatMap((r) => r.fanout);
  const floor = rows.filter((r) => r.n === n).flatMap((r) => r.floor);
  const floor50 = pct(floor, 50);
  console.log(`| floor (GBT round trip + fan-out ${pct(fan, 50).toFixed(1)} ms) | ${n} | ${ms(floor50)} | ${ms(pct(floor, 90))} | ${ms(Math.max(...floor))} | |`);
  for (const r of rows.filter((x) => x.n === n)) {
    const p50 = pct(r.latency, 50);
    console.log(`| ${LABEL[r.method]} | ${n} | ${ms(p50)} | ${ms(pct(r.latency, 90))} | ${ms(Math.max(...r.latency))} | ${(p50 - floor50 >= 0 ? "+" : "") + (p50 - floor50).toFixed(1)} |`);
  }
}
process.exit(0);
