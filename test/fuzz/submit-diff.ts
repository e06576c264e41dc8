/**
 * @module Differential fuzzing of the fast submit path (submit-line.ts, `submitLine`, the checker's
 * `checkRaw`) against the JSON path: two identical ports with the real job cache and share checker,
 * one session each holding the same extranonce1. Every line goes to the fast port as a listener
 * gives it (bytes first, then JSON) and to the slow port through JSON only; replies, share
 * records, block candidates and counters must be identical. Lines are valid shares (some blocks),
 * and mutations of them: ids, key order and spacing, case, damaged bytes, hostile values.
 *
 * Sessions are driven in-process (no sockets): `jsonPath` repeats what edge/listener's
 * Connection.line does with a line the fast path leaves (that class needs a live socket).
 */
import { difficultyToTarget, hashBelowTarget, sha256dInto, targetToLE32, u32ToHex, writeU32LE } from "../../shared/bitcoin/index.ts";
import { spec16Job } from "../../shared/contract/testing.ts";
import { createShareKernel, DIFF1_SHA256D, loadPowNative } from "../../shared/pow/index.ts";
import { JobCache } from "../../edge/jobs/index.ts";
import { decodeLine } from "../../edge/listener/framing.ts";
import { EdgeShareChecker, powTable, sha256dPow } from "../../edge/shares/index.ts";
import { StratumPort } from "../../edge/stratum/port.ts";
import { idJson } from "../../edge/stratum/replies.ts";
import type { Session } from "../../edge/stratum/session.ts";
import type { Transport } from "../../edge/stratum/transport.ts";
import { captureLog } from "../helpers/log-capture.ts";
import { RecordingSink } from "../helpers/share-sink.ts";
import { buildHeader, type MinerJob, type Share } from "../helpers/miner.ts";
import { EASY, TestClock, testConfig } from "../helpers/stratum-env.ts";
import { Extranonce1AllocatorSimulator } from "../helpers/stratum-simulators.ts";
import { damage, hostileValue } from "./mutate.ts";
import type { Rng } from "./rng.ts";

class RecordingTransport implements Transport {
  readonly ip = "127.0.0.2";
  readonly connectedAt = 0;
  closed = false;
  readonly out: string[] = [];
  strikes = 0;
  private readonly decoder = new TextDecoder();
  send(data: string | Uint8Array): void {
    this.out.push(typeof data === "string" ? data : this.decoder.decode(data));
  }
  close(): void {
    this.closed = true;
  }
  strike(): void {
    this.strikes++;
  }
  ban(): void {
    this.closed = true;
  }  hold(): void {}
  markAuthorized(): void {}
  markHonest(): void {}
}

interface Side {
  readonly port: StratumPort;
  readonly sink: RecordingSink;
  readonly session: Session;
  readonly transport: RecordingTransport;
}

const NO_PARAMS: readonly unknown[] = [];

/** What edge/listener's Connection.line does with a line `requestLine` left (JSON.parse, shape checks, dispatch). */
function jsonPath(s: Session, t: RecordingTransport, bytes: Uint8Array, now: number): void {
  const trimmed = decodeLine(bytes, 0, bytes.length).trim();
  if (trimmed === "") return;
  let msg: unknown;
  try {
    msg = JSON.parse(trimmed);
  } catch {
    s.malformed("1", now);
    t.strike();
    return;
  }
  if (typeof msg !== "object" || msg === null || Array.isArray(msg)) return (s.malformed("1", now), t.strike());
  const req = msg as { id?: unknown; method?: unknown; params?: unknown };
  const id = idJson(req.id);
  if (typeof req.method !== "string") return (s.malformed(id, now), t.strike());
  const params = req.params === undefined || req.params === null ? NO_PARAMS : req.params;
  if (!Array.isArray(params)) return (s.malformed(id, now), t.strike());
  s.request(id, req.method.toLowerCase(), params, now);
}

function side(clock: TestClock, job: ReturnType<typeof spec16Job>, kernel: ReturnType<typeof createShareKernel>): Side {
  const { log } = captureLog("edge");
  const config = testConfig({ limits: { invalid_ratio: 0 } });
  const jobs = new JobCache({ log, idStart: 0x5000 });
  jobs.add(job);
  const sink = new RecordingSink();
  const checker = new EdgeShareChecker({ jobs, sink, pow: powTable({ sha256d: sha256dPow }), log, kernel });
  const port = new StratumPort(config, { config, key: "main", feed: jobs, checker, allocator: new Extranonce1AllocatorSimulator(), log, clock, random: () => 0 });
  const transport = new RecordingTransport();
  const session = port.accept(transport) as Session;
  return { port, sink, session, transport };
}

/** Grinds a share of `job` meeting `difficulty` (and missing `below`). */
function grind(r: Rng, job: MinerJob, en1: string, en2: number, difficulty: number, below?: number): Share {
  const target = targetToLE32(difficultyToTarget(difficulty, DIFF1_SHA256D));
  const notAbove = below === undefined ? undefined : targetToLE32(difficultyToTarget(below, DIFF1_SHA256D));
  const share = { jobId: job.id, extranonce2: en2.toString(16).padStart(8, "0"), ntime: job.ntime, nonce: "00000000" };
  const header = buildHeader(job, en1, share);
  const hash = new Uint8Array(32);
  for (let i = r.int(0x7fffffff); ; i++) {
    writeU32LE(header, 76, i >>> 0);
    sha256dInto(header, hash);
    if (hashBelowTarget(hash, target) && !(notAbove && hashBelowTarget(hash, notAbove))) return { ...share, nonce: u32ToHex(i >>> 0) };
  }
}

/** One submit as a line, in one of the forms miners send (and some they do not). */
function submitLine(r: Rng, s: Share, id: string): string {
  const params = ["w", s.jobId, s.extranonce2, s.ntime, s.nonce];
  const p = params.map((x) => JSON.stringify(x));
  const sp = r.chance(0.2) ? " " : "";
  const keys = [`"id":${sp}${id}`, `"method":${sp}"mining.submit"`, `"params":${sp}[${p.join(`,${sp}`)}]`];
  if (r.chance(0.3)) keys.reverse();
  if (r.chance(0.05)) keys.push(`"jsonrpc":"2.0"`);
  let line = `{${keys.join(`,${sp}`)}}`;
  if (r.chance(0.05)) line += "\r";
  return line;
}

export interface SubmitDiffResult {
  readonly lines: number;
  readonly fastLines: number;
  readonly records: number;
  readonly candidates: number;
  readonly accepted: number;
  readonly mismatches: string[];
}

/** Runs `count` lines through both paths; returns what was compared and every mismatch (first 10). */
export function runSubmitDiff(r: Rng, count: number): SubmitDiffResult {
  const clock = new TestClock();
  const kernel = createShareKernel(loadPowNative());
  // A network target four times the share difficulty: a quarter of the good shares are blocks.
  const job = spec16Job({ jobmanager: "BTC", coin: "BTC", currency: "BTC", diff1: DIFF1_SHA256D.toString(16).padStart(64, "0"), target: difficultyToTarget(EASY * 4, DIFF1_SHA256D).toString(16).padStart(64, "0") });
  const fast = side(clock, job, kernel);
  const slow = side(clock, job, kernel);
  const enc = new TextEncoder();
  let fastLines = 0;
  const both = (line: string) => {
    const bytes = enc.encode(line);
    if (fast.session.requestLine(bytes, 0, bytes.length, clock.now())) fastLines++;
    else jsonPath(fast.session, fast.transport, bytes, clock.now());
    jsonPath(slow.session, slow.transport, bytes, clock.now());
  };
  both('{"id":1,"method":"mining.subscribe","params":["fuzz/1"]}');
  both('{"id":2,"method":"mining.authorize","params":["1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa.w","x"]}');
  const notify = fast.transport.out.map((l) => JSON.parse(l) as { method?: string; params?: unknown[] }).find((m) => m.method === "mining.notify");
  if (!notify?.params) throw new Error("runSubmitDiff: expected a notify after authorize");
  const [id, prevhash, coinb1, coinb2, branch, version, nbits, ntime] = notify.params as [string, string, string, string, string[], string, string, string];
  const mj: MinerJob = { id, prevhash, coinb1, coinb2, branch, version, nbits, ntime, clean: false, difficulty: EASY };
  const en1 = fast.session.extranonce1Hex;
  const pool: Share[] = [];
  let en2 = 0;
  for (let i = 0; i < count; i++) {
    const lineId = r.chance(0.9) ? String(i + 10) : r.pick(['"s"', "null", "-7", "0", '"a b"']);
    let line: string;
    const k = r.int(10);
    if (k < 3 || pool.length === 0) {
      // A fresh good share (a block about one time in four), sometimes a low one.
      const s = r.chance(0.15) ? grind(r, mj, en1, en2++, 1e-300, EASY) : grind(r, mj, en1, en2++, EASY);
      pool.push(s);
      line = submitLine(r, s, lineId);
    } else if (k < 5) {
      // A share sent before (duplicate), maybe in other case or with version bits.
      const s = r.pick(pool);
      const t = r.chance(0.5) ? { ...s, nonce: s.nonce.toUpperCase(), extranonce2: s.extranonce2.toUpperCase() } : s;
      line = submitLine(r, t, lineId);
    } else if (k < 7) {
      line = damage(r, submitLine(r, r.pick(pool), lineId));
    } else if (k < 9) {
      // A hostile value in one param.
      const s = r.pick(pool);
      const params = ['"w"', JSON.stringify(s.jobId), JSON.stringify(s.extranonce2), JSON.stringify(s.ntime), JSON.stringify(s.nonce)];
      params[r.int(params.length)] = hostileValue(r);
      if (r.chance(0.3)) params.push(r.chance(0.5) ? '"00002000"' : hostileValue(r));
      line = `{"id":${lineId},"method":"mining.submit","params":[${params.join(",")}]}`;
    } else {
      line = submitLine(r, { ...r.pick(pool), jobId: r.pick(["ffff", "", "5000", `${mj.id}0`, mj.id.toUpperCase(), "x".repeat(65)]) }, lineId);
    }
    both(line);
  }
  const mismatches: string[] = [];
  const fo = fast.transport.out;
  const so = slow.transport.out;
  for (let i = 0; i < Math.max(fo.length, so.length) && mismatches.length < 10; i++) if (fo[i] !== so[i]) mismatches.push(`reply ${i}: fast ${fo[i]} slow ${so[i]}`);
  const fe = JSON.stringify(fast.sink.events);
  if (fe !== JSON.stringify(slow.sink.events)) mismatches.push(`records/candidates differ (${fast.sink.events.length} vs ${slow.sink.events.length})`);
  if (JSON.stringify(fast.port.counters) !== JSON.stringify(slow.port.counters)) mismatches.push(`counters differ: ${JSON.stringify(fast.port.counters)} vs ${JSON.stringify(slow.port.counters)}`);
  fast.port.stop();
  slow.port.stop();
  return {
    lines: count,
    fastLines,
    records: fast.sink.events.filter((e) => e.kind === "share").length,
    candidates: fast.sink.events.filter((e) => e.kind === "candidate").length,
    accepted: fast.port.counters.acc,
    mismatches,
  };
}
