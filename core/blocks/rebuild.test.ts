/**
 * Rebuilding blocks from candidates, checked with bitcoinjs-lib as an independent parser (merkle
 * root and witness commitment). The MWEB case is a simulation: a constructed Litecoin-style
 * template (no litecoind here), checked against the layout read from Litecoin Core's source
 * (core/jobs/mweb.ts).
 */
import { describe, expect, test } from "bun:test";
import * as bjs from "bitcoinjs-lib";
import { bytesToHex, hexToBytes, parseBlock, WITNESS_RESERVED_VALUE } from "../../shared/bitcoin/index.ts";
import { buildJob, jobSettings, parseTemplate, type StoredJob } from "../jobs/index.ts";
import { constructedTemplate } from "../jobs/testing.ts";
import { rebuildBlock } from "./rebuild.ts";
import { candidateFor, solveJob } from "./testing.ts";

const EN1 = hexToBytes("00000001");
const EN2 = hexToBytes("000000aa");
const settings = jobSettings(
  {
    key: "LTC",
    currency: "LTC",
    algo: "scrypt",
    network: "litecoin",
    pool_address: "ltc1qw508d6qejxtdg4y5r3zarvary0c5xw7kgmn4n9",
    rules: ["segwit", "mweb"],
    coinbase_tag: "/pp/",
    version_mask: 0x1fffe000,
    diff1: 0xffffn << 224n,
    pow_block_hash: false,
  },
  { extranonce_serv_size: 4, extranonce_size: 4 },
);

/** Template → job → the edge-side miner (JobV1 only) → candidate, and the job the core stored. */
function candidateAndJob(template: Record<string, unknown>): { stored: StoredJob; candidate: ReturnType<typeof candidateFor> } {
  const { stored } = buildJob(parseTemplate(template), settings, "00000000000000000001", 0);
  const solved = solveJob(stored.job, EN1, EN2);
  return { stored, candidate: candidateFor(stored.job, solved, EN1, EN2, { address: "ltc1qw508d6qejxtdg4y5r3zarvary0c5xw7kgmn4n9" }) };
}

describe("rebuildBlock", () => {
  test("segwit active: header ‖ n ‖ witness coinbase ‖ template txs; bitcoinjs-lib agrees on both roots", () => {
    const { stored, candidate } = candidateAndJob(constructedTemplate({ segwit: true }));
    const block = rebuildBlock(candidate, stored);
    expect(block.hex.startsWith(candidate.header)).toBe(true);
    const oracle = bjs.Block.fromHex(block.hex);
    expect(oracle.checkTxRoots()).toBe(true);
    expect(oracle.hasWitnessCommit()).toBe(true);
    expect(oracle.getId()).toBe(candidate.blockHash);
    const parsed = parseBlock(hexToBytes(block.hex));
    expect(parsed.txs).toHaveLength(1 + stored.txDataHex.length);
    expect(parsed.txs[0]!.inputs[0]!.witness).toEqual([WITNESS_RESERVED_VALUE]);
    expect(block.hex.endsWith(stored.txDataHex.join(""))).toBe(true);
  });

  test("segwit not active: the coinbase goes in exactly as the miner hashed it", () => {
    const { stored, candidate } = candidateAndJob(constructedTemplate({ segwit: false }));
    const block = rebuildBlock(candidate, stored);
    expect(block.hex).toContain(candidate.coinbase);
    expect(bjs.Block.fromHex(block.hex).checkTxRoots()).toBe(true);
  });

  test("MWEB (simulation): HogEx last, then 01 ‖ the template's mweb after the transactions", () => {
    const mweb = "0a".repeat(40);
    const { stored, candidate } = candidateAndJob(constructedTemplate({ segwit: true, mweb }));
    const block = rebuildBlock(candidate, stored);
    expect(block.hex.endsWith(`${stored.txDataHex.at(-1)}01${mweb}`)).toBe(true);
    // Without the MWEB part it is an ordinary segwit block with the HogEx (stand-in) as its last transaction.
    const oracle = bjs.Block.fromHex(block.hex.slice(0, -(2 + mweb.length)));
    expect(oracle.checkTxRoots()).toBe(true);
    expect(bytesToHex(oracle.transactions!.at(-1)!.toBuffer())).toBe(stored.txDataHex.at(-1)!);
  });
});
