import { describe, expect, test } from "bun:test";

import { POW_VECTORS } from "../shared/pow/vectors.ts";

const SCRIPT = new URL("./hash.ts", import.meta.url).pathname;

function run(...args: string[]) {
  const proc = Bun.spawnSync([process.execPath, SCRIPT, ...args]);
  return { code: proc.exitCode, out: proc.stdout.toString(), err: proc.stderr.toString() };
}

const vector = (id: string) => POW_VECTORS.find((v) => v.id === id)!;
const display = (internalHex: string) => Buffer.from(internalHex, "hex").reverse().toString("hex");
const hexOf = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("bun run hash <algo> <header-hex> [--ntime <unix>]", () => {
  for (const [algo, id] of [
    ["sha256d", "bitcoin-genesis"],
    ["sha256", "litecoin-genesis-id"],
    ["scrypt", "litecoin-genesis-pow"],
    ["scryptn", "vertcoin-genesis-pow"],
    ["x11", "dash-genesis"],
  ] as const) {
    test(`${algo}: ${id} in display order`, () => {
      const v = vector(id);
      const r = run(algo, hexOf(v.input));
      expect(r.err).toBe("");
      expect(r.code).toBe(0);
      expect(r.out).toBe(`${display(v.expected)}\n`);
    });
  }

  test("--ntime selects scrypt-N's N instead of the header's nTime", () => {
    const v = vector("vertcoin-genesis-pow");
    const header = Uint8Array.from(v.input);
    header.fill(0xff, 68, 72); // nTime 2^32-1 -> N = 2^20 unless overridden
    expect(run("scryptn", hexOf(header), "--ntime", "1389311371").out).not.toBe(`${display(v.expected)}\n`);
    expect(run("scryptn", hexOf(v.input), "--ntime=1389311371").out).toBe(`${display(v.expected)}\n`);
  });

  test("unknown algorithm: exit 2 and the list of names", () => {
    const r = run("sha3", "00");
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
    expect(r.err).toContain('unknown algorithm "sha3"; expected one of sha256d, sha256, scrypt, scryptn, x11');
  });

  for (const [hex, why] of [
    ["abc", "odd length 3"],
    ["00zz", 'non-hex character "z" at position 2'],
    ["", "an empty string"],
  ] as const) {
    test(`malformed hex ${JSON.stringify(hex)}: exit 2 (${why})`, () => {
      const r = run("x11", hex);
      expect(r.code).toBe(2);
      expect(r.out).toBe("");
      expect(r.err).toContain(why);
    });
  }

  test("usage errors: missing arguments, bad --ntime, scryptn without a time", () => {
    expect(run("x11").code).toBe(2);
    expect(run("scryptn", "00".repeat(80), "--ntime", "-5").code).toBe(2);
    expect(run("scryptn", "00".repeat(80), "--ntime", "4294967296").err).toContain("--ntime: expected an integer");
    expect(run("scryptn", "00ff").err).toContain("scryptn needs --ntime");
    expect(run("--help").code).toBe(0);
  });
});
