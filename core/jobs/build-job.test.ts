import { describe, expect, test } from "bun:test";
import {
  addressToScript,
  bitsToTarget,
  bytesToHex,
  concatBytes,
  hexToBytes,
  MAX_COINBASE_SCRIPTSIG,
  parseTx,
  readBip34Height,
  rpcHexToBytes,
  stratumPrevhashHex,
} from "../../shared/bitcoin/index.ts";
import { jobCodec } from "../../shared/contract/index.ts";
import { buildJob, fitTag } from "./build-job.ts";
import { jobSettings, type JobCoinConfig } from "./settings.ts";
import { parseTemplate } from "./template.ts";
import { constructedTemplate, rawTemplate } from "./testing.ts";
import { computeWitnessCommitmentScript } from "./witness.ts";

const coin = (over: Partial<JobCoinConfig> = {}): JobCoinConfig => ({
  key: "BTC",
  currency: "BTC",
  algo: "sha256d",
  network: "bitcoin",
  pool_address: "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
  rules: ["segwit"],
  coinbase_tag: "/pp-test/",
  version_mask: 0x1fffe000,
  diff1: 0xffffn << 208n,
  pow_block_hash: false,
  ...over,
});
const settings = (over: Partial<JobCoinConfig> = {}) => jobSettings(coin(over), { extranonce_serv_size: 4, extranonce_size: 4 });

/** coinb1 ‖ extranonce ‖ coinb2 parsed, as a miner's coinbase would be. */
function minedCoinbase(coinb1: string, coinb2: string, extranonce = new Uint8Array(8).fill(0xee)) {
  return parseTx(concatBytes(hexToBytes(coinb1), extranonce, hexToBytes(coinb2)));
}

describe("buildJob: the published job", () => {
  const t = parseTemplate(constructedTemplate({ segwit: true }));
  const { stored } = buildJob(t, settings(), "0123456789abcdef0001", 0, undefined, 1234);
  const job = stored.job;

  test("notify fields in stratum byte order, schema-valid JobV1", () => {
    expect(jobCodec.decode(jobCodec.encode(job))).toEqual(job);
    expect(job).toMatchObject({ id: "0123456789abcdef0001", type: 0, height: 2_500_000, jobmanager: "BTC", coin: "BTC", bits: "207fffff", version: 0x20000000 });
    expect(job).toMatchObject({ ntime: 1_700_000_000, mintime: 1_699_999_000, versionMask: 0x1fffe000, extranonce1Size: 4, extranonce2Size: 4, aux: [], createdAt: 1234 });
    expect(job.prevhash).toBe(stratumPrevhashHex(t.previousblockhash));
    expect(BigInt(`0x${job.target}`)).toBe(bitsToTarget(0x207fffff));
    expect(BigInt(`0x${job.diff1}`)).toBe(0xffffn << 208n);
  });

  test("coinbase: BIP34 height first, extranonce right after coinb1, tag after it, payout then commitment", () => {
    const en = new Uint8Array(8).fill(0xee);
    const tx = minedCoinbase(job.coinb1, job.coinb2, en);
    const scriptSig = tx.inputs[0]!.scriptSig;
    expect(readBip34Height(scriptSig)).toBe(2_500_000);
    expect(bytesToHex(scriptSig)).toContain(`${bytesToHex(en)}09${Buffer.from("/pp-test/").toString("hex")}`);
    expect(tx.outputs[0]).toEqual({ value: 5_000_010_000n, script: addressToScript("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "bitcoin") });
    expect(tx.outputs[1]!.value).toBe(0n);
    expect(bytesToHex(tx.outputs[1]!.script)).toBe(t.defaultWitnessCommitment!);
    expect(stored.segwitActive).toBe(true);
  });

  test("merkle branch from the template txids (not sha256d of data: that is the wtxid)", () => {
    expect(job.branch[0]).toBe(bytesToHex(rpcHexToBytes(t.transactions[0]!.txid)));
    expect(t.transactions[1]!.txid).not.toBe(t.transactions[1]!.hash);
    expect(stored.txDataHex).toEqual(t.transactions.map((x) => x.data));
    expect(stored.fees).toBe(300n);
  });
});

describe("buildJob: payout to any address type (spec §15 item 6)", () => {
  test.each([
    ["p2pkh", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "76a914"],
    ["p2sh", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", "a914"],
    ["p2wpkh", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "0014"],
    ["p2wsh", "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3", "0020"],
    ["p2tr", "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0", "5120"],
  ])("%s", (_type, address, prefix) => {
    const { stored } = buildJob(parseTemplate(rawTemplate()), settings({ pool_address: address }), "00000000000000000001", 2);
    const out = minedCoinbase(stored.job.coinb1, stored.job.coinb2).outputs[0]!;
    expect(bytesToHex(out.script).startsWith(prefix)).toBe(true);
    expect(out.script).toEqual(addressToScript(address, "bitcoin"));
  });

  test("an address of another network is refused at start-up, naming the coin", () => {
    expect(() => settings({ pool_address: "ltc1qw508d6qejxtdg4y5r3zarvary0c5xw7kgmn4n9" })).toThrow(/coins\.BTC\.pool_address: expected an address of network "bitcoin"/);
  });
});

describe("buildJob: witness commitment and segwit", () => {
  test("ours equals the node's: no mismatch; the node's is used", () => {
    const built = buildJob(parseTemplate(constructedTemplate({ segwit: true })), settings(), "00000000000000000001", 0);
    expect(built.commitmentMismatch).toBeNull();
  });

  test("a node commitment that differs from ours is used and reported", () => {
    const t = parseTemplate(rawTemplate()); // its commitment is made up
    const built = buildJob(t, settings(), "00000000000000000001", 0);
    expect(built.commitmentMismatch).toEqual({ ours: bytesToHex(computeWitnessCommitmentScript(t)), node: t.defaultWitnessCommitment! });
    expect(bytesToHex(minedCoinbase(built.stored.job.coinb1, built.stored.job.coinb2).outputs[1]!.script)).toBe(t.defaultWitnessCommitment!);
  });

  test("no node commitment: ours when segwit is active, none before", () => {
    const active = parseTemplate(constructedTemplate({ segwit: true }));
    const withOurs = buildJob({ ...active, defaultWitnessCommitment: null }, settings(), "00000000000000000001", 0);
    expect(bytesToHex(minedCoinbase(withOurs.stored.job.coinb1, withOurs.stored.job.coinb2).outputs[1]!.script)).toBe(active.defaultWitnessCommitment!);
    const before = buildJob({ ...active, rules: ["csv"], defaultWitnessCommitment: null }, settings(), "00000000000000000001", 0);
    expect(minedCoinbase(before.stored.job.coinb1, before.stored.job.coinb2).outputs).toHaveLength(1);
    expect(before.stored.segwitActive).toBe(false);
  });

  test('a bare "segwit" rule (before activation) is not active: no witness reserved value in the block', () => {
    const { stored } = buildJob(parseTemplate(rawTemplate({ rules: ["segwit"] })), settings(), "00000000000000000001", 0);
    expect(stored.segwitActive).toBe(false);
  });
});

describe("buildJob: scriptSig budget, aux slot and MWEB", () => {
  test("a long tag is cut so the scriptSig stays ≤ 100 bytes with a 44-byte aux commitment and 16 extranonce bytes", () => {
    const s = { ...jobSettings(coin({ coinbase_tag: "x".repeat(40) }), { extranonce_serv_size: 8, extranonce_size: 8 }) };
    const aux = { extraScriptSig: new Uint8Array(44).fill(0xfa), targets: [] };
    const { stored } = buildJob(parseTemplate(rawTemplate({ height: 8_388_608 })), s, "00000000000000000001", 0, aux);
    const scriptSig = minedCoinbase(stored.job.coinb1, stored.job.coinb2, new Uint8Array(16)).inputs[0]!.scriptSig;
    expect(scriptSig.length).toBe(MAX_COINBASE_SCRIPTSIG);
    expect(bytesToHex(scriptSig)).toContain("fa".repeat(44));
    expect(fitTag("abc", 99)).toHaveLength(0);
    expect(fitTag("abc", 50)).toEqual(new TextEncoder().encode("abc"));
  });

  test("aux targets reach the job (hook for merge mining)", () => {
    const target = { currency: "NMC", chainId: 1, hash: "aa".repeat(32), target: "0f".repeat(32), height: 5, algo: "sha256d" };
    const { stored } = buildJob(parseTemplate(rawTemplate()), settings(), "00000000000000000001", 1, { targets: [target] });
    expect(stored.job.aux).toEqual([target]);
    expect(stored.job.type).toBe(1);
  });

  test("MWEB (simulation): the template's mweb is kept for the block; the HogEx stays last", () => {
    const t = parseTemplate(constructedTemplate({ segwit: true, mweb: "0badcafe" }));
    const { stored } = buildJob(t, settings(), "00000000000000000001", 0);
    expect(stored.mweb).toBe("0badcafe");
    expect(stored.txDataHex.at(-1)).toBe(t.transactions.at(-1)!.data);
    expect(() => buildJob({ ...t, transactions: [] }, settings(), "00000000000000000001", 0)).toThrow(/getblocktemplate\.mweb: expected the HogEx as the last of the transactions, got 0/);
  });
});
