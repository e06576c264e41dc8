/**
 * @module `bun bench/heartbeat.ts` (also the `heartbeat` phase of `bun run bench:edge`): what an
 * edge writes to Redis for the monitor, at 10 k and 100 k clients, before and after issue 16 moved
 * the client list out of the 5 s heartbeat into its own key (edge/forward/heartbeat.ts).
 *
 * The clients are real stratum sessions of a real StratumPort (subscribed, authorized, one accepted
 * share each, as cgminer would), on in-memory transports, so the status and client list are built
 * by the edge's own code (edge/stratum/status.ts, edge/forward/heartbeat.ts). Printed: bytes and
 * build+encode time per heartbeat (old: the clients inside it, one JSON.stringify holding the event
 * loop; new: without them) and per client-list write (built in slices: its total time and the
 * longest the event loop was held), and the bytes per second each layout sends Redis at the
 * default intervals.
 */
import { edgeClientsCodec, edgeStatusCodec, type EdgePortStatusV1, type EdgeStatusV1 } from "../shared/contract/index.ts";
import { createLogger } from "../shared/log.ts";
import { StratumPort } from "../edge/stratum/port.ts";
import type { Transport } from "../edge/stratum/transport.ts";
import { DEFAULT_CLIENTS_EVERY_BEATS, DEFAULT_HEARTBEAT_MS, encodeClientList } from "../edge/forward/heartbeat.ts";
import { BTC_ADDRESS, TestClock, testConfig } from "../test/helpers/stratum-env.ts";
import { Extranonce1AllocatorSimulator, JobFeedSimulator, ShareCheckerSimulator } from "../test/helpers/stratum-simulators.ts";

const SIZES = process.argv.includes("--quick") ? [10_000] : [10_000, 100_000];
const REPEAT = 5;

function transport(i: number, now: number): Transport {
  return { ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, connectedAt: now - 3_600_000, closed: false, send() {}, close() {}, strike() {}, ban() {}, hold() {}, markAuthorized() {}, markHonest() {} };
}

/** A port with `n` authorized cgminer sessions, each with one accepted share. */
function portWith(n: number): { port: StratumPort; clock: TestClock } {
  const config = testConfig();
  const feed = new JobFeedSimulator();
  const checker = new ShareCheckerSimulator(feed);
  const clock = new TestClock();
  const port = new StratumPort(config, { config, key: "main", feed, checker, allocator: new Extranonce1AllocatorSimulator(), log: createLogger("bench", { level: "error", format: "text", components: {} }), clock, random: () => 0 });
  for (let i = 0; i < n; i++) {
    const s = port.accept(transport(i, clock.now()));
    s.request("1", "mining.subscribe", ["cgminer/4.12.0"], clock.now());
    s.request("2", "mining.authorize", [`${BTC_ADDRESS}.rig${i}`, "x"], clock.now());
  }
  for (const s of port.sessions) {
    s.lastShareAt = clock.now() - 2000;
    s.acceptedDifficulty = 65_536;
  }
  return { port, clock };
}

/** Median of `REPEAT` runs of `f`, ms (and of the longest event-loop hold it reports). */
async function timed(f: () => string | Promise<{ text: string; longestSliceMs: number }>): Promise<{ ms: number; bytes: number; holdMs: number }> {
  const ms: number[] = [];
  const hold: number[] = [];
  let bytes = 0;
  for (let r = 0; r < REPEAT; r++) {
    const t0 = performance.now();
    const out = await f();
    ms.push(performance.now() - t0);
    const text = typeof out === "string" ? out : out.text;
    hold.push(typeof out === "string" ? ms[ms.length - 1]! : out.longestSliceMs);
    bytes = Buffer.byteLength(text);
  }
  ms.sort((a, b) => a - b);
  hold.sort((a, b) => a - b);
  return { ms: ms[REPEAT >> 1]!, bytes, holdMs: hold[REPEAT >> 1]! };
}

const fmtBytes = (b: number) => (b >= 1 << 20 ? `${(b / (1 << 20)).toFixed(2)} MiB` : b >= 1024 ? `${(b / 1024).toFixed(1)} KiB` : `${b} B`);

console.log(`heartbeat every ${DEFAULT_HEARTBEAT_MS / 1000} s; client list every ${DEFAULT_CLIENTS_EVERY_BEATS} beats (edges.<edge>.client_list_interval: ${(DEFAULT_CLIENTS_EVERY_BEATS * DEFAULT_HEARTBEAT_MS) / 1000} s)`);
console.log("| clients | old heartbeat (clients inside): bytes, event loop held | new heartbeat | new client-list write: bytes, total, longest hold | Redis bytes/s old → new |");
console.log("| --- | --- | --- | --- | --- |");
for (const n of SIZES) {
  const { port, clock } = portWith(n);
  if (port.authed !== n) throw new Error(`bench: expected ${n} authorized sessions, got ${port.authed}`);
  const status = (ports: EdgePortStatusV1[]): EdgeStatusV1 => ({ v: 1, edge: "eu1", session: "0a0b0c0d", edgeId: 1, publicHost: "eu1.pool.example", startedAt: clock.now() - 86_400_000, time: clock.now(), ports, spooled: 0 });
  const old = await timed(() => edgeStatusCodec.encode(status([port.status(clock.now(), true)])));
  const beat = await timed(() => edgeStatusCodec.encode(status([port.status(clock.now(), false)])));
  const list = await timed(() => encodeClientList({ v: 1, edge: "eu1", session: "0a0b0c0d", time: clock.now() }, [{ key: port.key, clients: port.clients() }]));
  if (edgeClientsCodec.decode((await encodeClientList({ v: 1, edge: "eu1", session: "0a0b0c0d", time: 1 }, [{ key: port.key, clients: port.clients() }])).text).ports[0]!.clients.length !== n) throw new Error("bench: the client list does not read back");
  const beatS = DEFAULT_HEARTBEAT_MS / 1000;
  const oldRate = old.bytes / beatS;
  const newRate = beat.bytes / beatS + list.bytes / (beatS * DEFAULT_CLIENTS_EVERY_BEATS);
  console.log(
    `| ${n.toLocaleString("en")} | ${fmtBytes(old.bytes)}, ${old.ms.toFixed(1)} ms | ${fmtBytes(beat.bytes)}, ${beat.ms.toFixed(2)} ms (${(old.bytes / beat.bytes).toFixed(0)}× smaller) | ${fmtBytes(list.bytes)}, ${list.ms.toFixed(1)} ms, ${list.holdMs.toFixed(1)} ms | ${fmtBytes(oldRate)}/s → ${fmtBytes(newRate)}/s (${(oldRate / newRate).toFixed(1)}× less) |`,
  );
  port.stop();
}
