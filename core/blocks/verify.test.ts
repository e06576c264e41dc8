/**
 * The candidate check (verify.ts) on jobs built from constructed templates: candidates ground by
 * the edge-side miner from the JobV1 alone (testing.ts) pass; every way an edge could claim a
 * block no miner found is caught, with what differed. Hashing is the core's real PoW registry
 * (sha256d, and scrypt for Litecoin-style jobs).
 */
import { describe, expect, test } from "bun:test";
import { bytesToHex, bytesToRpcHex, hashToBigInt, hexToBytes, writeU32LE } from "../../shared/bitcoin/index.ts";
import type { BlockCandidateV1 } from "../../shared/contract/index.ts";
import { createPowRegistry, loadPowNative } from "../../shared/pow/index.ts";
import { buildJob, jobSettings, parseTemplate, type StoredJob } from "../jobs/index.ts";
import { constructedTemplate } from "../jobs/testing.ts";
import { checkCandidate } from "./verify.ts";
import { candidateFor, solveJob } from "./testing.ts";

const pow = createPowRegistry(["sha256d", "scrypt"], loadPowNative({ warn: () => {} }));
const scrypt = (h: Uint8Array) => {
  const out = new Uint8Array(32);
  pow.get("scrypt").hasher.hashInto(h, out);
  return out;
};
const EN1 = hexToBytes("00000001");
const EN2 = hexToBytes("000000aa");
const ADDRESS = "ltc1qw508d6qejxtdg4y5r3zarvary0c5xw7kgmn4n9";
/** 3·2^254: above the regtest network target (~2^255), as an easier aux chain's is; a quarter of all hashes miss it. */
const AUX_TARGET = 3n << 254n;

function job(algo: "scrypt" | "sha256d", opts: { powBlockHash?: boolean } = {}): StoredJob {
  const settings = jobSettings(
    {
      key: "LTC",
      currency: "LTC",
      algo,
      network: "litecoin",
      pool_address: ADDRESS,
      rules: ["segwit"],
      coinbase_tag: "/pp/",
      version_mask: 0x1fffe000,
      diff1: 0xffffn << 224n,
      pow_block_hash: opts.powBlockHash ?? false,
    },
    { extranonce_serv_size: 4, extranonce_size: 4 },
  );
  const aux = { targets: [{ currency: "DOGE", chainId: 98, hash: "ab".repeat(32), target: AUX_TARGET.toString(16).padStart(64, "0"), height: 7, algo }] };
  return buildJob(parseTemplate(constructedTemplate({ segwit: true })), settings, "00000000000000000001", 0, aux).stored;
}

/** A candidate ground from the published job alone, with the PoW hash `accept` wants (default: a main-chain block). */
function candidate(s: StoredJob, accept?: (hash: bigint) => boolean, extra: Partial<BlockCandidateV1> = {}): BlockCandidateV1 {
  const hash = s.job.algo === "scrypt" ? scrypt : undefined;
  const solved = solveJob(s.job, EN1, EN2, { ...(hash ? { pow: hash } : {}), ...(accept ? { accept: (h) => accept(hashToBigInt(h)) } : {}) });
  const c = candidateFor(s.job, solved, EN1, EN2, { address: ADDRESS, edge: "eu1" });
  if (s.job.powBlockHash) c.blockHash = c.powHash;
  return { ...c, ...extra };
}

const NETWORK = 0x7fffffn << 232n;
const check = (c: BlockCandidateV1, s: StoredJob) => checkCandidate(c, s, pow);

describe("checkCandidate: genuine blocks pass", () => {
  test("scrypt main-chain block; sha256d; pow_block_hash (block id = PoW hash)", () => {
    const ltc = job("scrypt");
    expect(check(candidate(ltc), ltc)).toEqual({ ok: true });
    const btc = job("sha256d");
    expect(check(candidate(btc), btc)).toEqual({ ok: true });
    const pbh = job("scrypt", { powBlockHash: true });
    expect(check(candidate(pbh), pbh)).toEqual({ ok: true });
  });

  test("an aux block alone, and main + aux together", () => {
    const s = job("scrypt");
    expect(check(candidate(s, (h) => h > NETWORK && h <= AUX_TARGET, { main: false, aux: ["DOGE"] }), s)).toEqual({ ok: true });
    expect(check(candidate(s, undefined, { aux: ["DOGE"] }), s)).toEqual({ ok: true });
  });
});

describe("checkCandidate: what an edge could forge is refused, saying what differed", () => {
  const s = job("scrypt");
  const good = candidate(s);

  test("a tampered nonce field: the rebuilt header differs in its nonce", () => {
    const r = check({ ...good, nonce: (good.nonce + 1) >>> 0 }, s);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.detail).toMatch(/^job 00000000000000000001: header is not the one rebuilt .*: nonce \(rebuilt [0-9a-f]{8}, claimed [0-9a-f]{8}\)$/);
  });

  test("nonce changed in header and field alike: the claimed PoW hash is not the header's", () => {
    const header = hexToBytes(good.header);
    writeU32LE(header, 76, good.nonce + 1);
    const r = check({ ...good, nonce: good.nonce + 1, header: bytesToHex(header) }, s);
    expect(!r.ok && r.detail).toMatch(/PoW hash \(scrypt\) is [0-9a-f]{64}, the candidate claims [0-9a-f]{64}$/);
  });

  test("a header on another previous block, or with a merkle root not of the coinbase", () => {
    const otherPrev = `${good.header.slice(0, 8)}${"11".repeat(32)}${good.header.slice(72)}`;
    const r1 = check({ ...good, header: otherPrev }, s);
    expect(!r1.ok && r1.detail).toMatch(/: previous block \(rebuilt [0-9a-f]{64}, claimed 1{64}\)$/);
    const badRoot = `${good.header.slice(0, 72)}${"00".repeat(32)}${good.header.slice(136)}`;
    const r2 = check({ ...good, header: badRoot }, s);
    expect(!r2.ok && r2.detail).toMatch(/: merkle root \(rebuilt [0-9a-f]{64}, claimed 0{64}\)$/);
  });

  test("a coinbase that is not the job's, and extranonces of the wrong size", () => {
    const r1 = check({ ...good, coinbase: `${good.coinbase}00` }, s);
    expect(!r1.ok && r1.detail).toMatch(/coinbase \(\d+ bytes\) is not coinb1 ‖ extranonce1 ‖ extranonce2 ‖ coinb2 \(\d+ bytes\)$/);
    const r2 = check({ ...good, extranonce2: `${good.extranonce2}00` }, s);
    expect(!r2.ok && r2.detail).toMatch(/extranonces of 4\+5 bytes, the job's are 4\+4$/);
  });

  test("a main-chain claim whose hash misses the network target", () => {
    const miss = candidate(s, (h) => h > NETWORK);
    const r = check(miss, s);
    expect(!r.ok && r.detail).toBe(`job 00000000000000000001: claims a LTC block, but PoW hash ${miss.powHash} is above the network target (bits 207fffff)`);
  });

  test("aux claims: above the aux target, a chain the job does not merge, the same chain twice", () => {
    const miss = candidate(s, (h) => h > AUX_TARGET, { main: false, aux: ["DOGE"] });
    expect(check(miss, s)).toMatchObject({ ok: false, detail: expect.stringMatching(/claims an aux DOGE block, but PoW hash [0-9a-f]{64} is above the aux target c000/) });
    const ok = candidate(s);
    expect(check({ ...ok, aux: ["NMC"] }, s)).toMatchObject({ ok: false, detail: expect.stringMatching(/claims an aux NMC block, but the job merges DOGE$/) });
    expect(check({ ...ok, aux: ["DOGE", "DOGE"] }, s)).toMatchObject({ ok: false, detail: expect.stringMatching(/claims aux DOGE twice$/) });
  });

  test("a block hash that is not the header's; another currency or algorithm than the job's", () => {
    expect(check({ ...good, blockHash: "00".repeat(32) }, s)).toMatchObject({ ok: false, detail: expect.stringMatching(/block hash is [0-9a-f]{64}, the candidate claims 0{64}$/) });
    expect(check({ ...good, currency: "DOGE" }, s)).toMatchObject({ ok: false, detail: 'job 00000000000000000001: currency "DOGE" is not the job\'s "LTC"' });
    expect(check({ ...good, algo: "sha256d" }, s)).toMatchObject({ ok: false, detail: 'job 00000000000000000001: algo "sha256d" is not the job\'s "scrypt"' });
  });

  test("a switching port's candidate names its switcher: accepted when the switcher mines the job's coin", () => {
    const viaSwitcher = { ...good, jobmanager: "multi" };
    expect(checkCandidate(viaSwitcher, s, pow, { multi: ["BTC", s.job.jobmanager] })).toEqual({ ok: true });
    expect(checkCandidate(viaSwitcher, s, pow, { multi: ["BTC"] })).toMatchObject({ ok: false, detail: `job 00000000000000000001: jobmanager "multi" is neither the job's "${s.job.jobmanager}" nor a switcher of it` });
    expect(check(viaSwitcher, s)).toMatchObject({ ok: false });
  });

  test("a genuine block hashed with sha256d where the job says scrypt is not a block", () => {
    // The edge-side miner's default hash is sha256d: a header meeting the target by sha256d, claimed as such.
    const solved = solveJob(s.job, EN1, EN2);
    const c = candidateFor(s.job, solved, EN1, EN2, { address: ADDRESS });
    expect(bytesToRpcHex(solved.hash)).toBe(c.powHash);
    expect(check(c, s)).toMatchObject({ ok: false, detail: expect.stringMatching(/PoW hash \(scrypt\) is/) });
  });
});
