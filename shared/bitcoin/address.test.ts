import { describe, expect, test } from "bun:test";
import * as bjs from "bitcoinjs-lib";
import { addressToScript, decodeAddress, parseAddress, scriptToAddress } from "./address.ts";
import { bytesToHex, hexToBytes } from "./bytes.ts";
import { NETWORKS, resolveNetwork, type Network } from "./networks.ts";

/** bitcoinjs-lib network objects for the oracle (only the address fields matter). */
function bjsNetwork(n: Network, scriptHash = n.scriptHash[0]!): bjs.networks.Network {
  return { ...bjs.networks.bitcoin, bech32: n.bech32, pubKeyHash: n.pubKeyHash[0]!, scriptHash };
}

/**
 * bitcoinjs-lib's toOutputScript, except for P2TR: v7 builds that through payments.p2tr, which needs an
 * ECC library we do not ship, so there the oracle is its bech32m decoder plus script.compile.
 */
function oracleScript(address: string, network: bjs.networks.Network): Uint8Array {
  if (!address.toLowerCase().startsWith(network.bech32 + "1p")) return bjs.address.toOutputScript(address, network);
  const { version, prefix, data } = bjs.address.fromBech32(address);
  expect(prefix).toBe(network.bech32);
  return bjs.script.compile([bjs.opcodes.OP_1 + version - 1, data]);
}

const H20 = hexToBytes("11".repeat(20));
const H32 = hexToBytes("22".repeat(32));

describe("all five address types on every network, against bitcoinjs-lib toOutputScript", () => {
  for (const net of Object.values(NETWORKS) as Network[])
    test(net.name, () => {
      const oracle = bjsNetwork(net);
      const addresses: [string, string][] = [
        [bjs.address.toBase58Check(H20, net.pubKeyHash[0]!), "p2pkh"],
        [bjs.address.toBase58Check(H20, net.scriptHash[0]!), "p2sh"],
        [bjs.address.toBech32(H20, 0, net.bech32), "p2wpkh"],
        [bjs.address.toBech32(H32, 0, net.bech32), "p2wsh"],
        [bjs.address.toBech32(H32, 1, net.bech32), "p2tr"],
      ];
      for (const [address, type] of addresses) {
        const decoded = decodeAddress(address, net);
        expect(decoded.type).toBe(type as never);
        expect(bytesToHex(decoded.script)).toBe(bytesToHex(oracleScript(address, oracle)));
        expect(scriptToAddress(decoded.script, net)).toBe(address);
        expect(parseAddress(address.toUpperCase(), net).ok).toBe(type.startsWith("p2w") || type === "p2tr");
      }
      for (const v of net.scriptHash.slice(1)) {
        const legacy = bjs.address.toBase58Check(H20, v);
        expect(bytesToHex(addressToScript(legacy, net))).toBe(bytesToHex(bjs.address.toOutputScript(legacy, bjsNetwork(net, v))));
      }
    });
});

describe("known addresses", () => {
  test("bcoin regtest examples (shared/spec/bcoin-regtest.md, hash160 0x11×20)", () => {
    const h = "11".repeat(20);
    expect(bytesToHex(addressToScript("RAqS1bAuWqW2f6ufsU5H4XpKfy5Pqj2oHz", "bcoin-regtest"))).toBe(`76a914${h}88ac`);
    expect(bytesToHex(addressToScript("GKQAMCcZtsJkfZqmLEkGPmq1psQeHtPeGZ", "bcoin-regtest"))).toBe(`a914${h}87`);
    expect(bytesToHex(addressToScript("rb1qzyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg328fddy", "bcoin-regtest"))).toBe(`0014${h}`);
  });
  test("spec §16 pool address (Litecoin P2PKH)", () => {
    const d = decodeAddress("LYExXWEPs5oWjScR1fYzwSuo8DcQWNcHpF", "litecoin");
    expect(d.type).toBe("p2pkh");
    expect(d.version).toBe(0x30);
    expect(bytesToHex(d.hash)).toBe("8eca456fb9f8ebd231921cf82131b8e0521c3549");
  });
  test("BIP350 test addresses", () => {
    expect(bytesToHex(addressToScript("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", "bitcoin"))).toBe("0014751e76e8199196d454941c45d1b3a323f1433bd6");
    const p2tr = decodeAddress("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0", "bitcoin");
    expect(p2tr.type).toBe("p2tr");
    expect(bytesToHex(p2tr.script)).toBe("512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798");
    const v16 = decodeAddress("BC1SW50QGDZ25J", "bitcoin");
    expect(v16.type).toBe("witness");
    expect(bytesToHex(v16.script)).toBe("6002751e");
  });
});

describe("invalid addresses say what is wrong", () => {
  const mainP2pkh = bjs.address.toBase58Check(H20, 0x00);
  const cases: [string, string, string][] = [
    ["bad base58 checksum", mainP2pkh.slice(0, -1) + (mainP2pkh.endsWith("1") ? "2" : "1"), "bad checksum"],
    ["unknown version for network", mainP2pkh, "unknown version for network bitcoin-testnet: expected one of 0x6f, 0xc4, got 0x00"],
    ["wrong HRP", "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7", 'wrong HRP: expected "bcrt", got "tb"'],
    ["bad witness program length", "bc1pw5dgrnzv", "bad witness program length: expected 2-40 bytes, got 1"],
    ["bech32 checksum on v1 (BIP350)", "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd", "expected bech32m checksum for witness v1"],
    ["bech32m checksum on v0 (BIP350)", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh", "expected bech32 checksum for witness v0"],
    ["not base58 at all", "hello world", "not base58check"],
    ["wrong payload length", bjs.address.toBase58Check(H20, 0).slice(0, 5), "base58"],
  ];
  for (const [name, address, message] of cases)
    test(name, () => {
      const net = message.includes("bitcoin-testnet") ? "bitcoin-testnet" : message.includes("bcrt") ? "bitcoin-regtest" : "bitcoin";
      const r = parseAddress(address, net);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toContain(message);
      expect(() => addressToScript(address, net)).toThrow(RangeError);
    });
  test("valid_address_versions narrows base58 versions", () => {
    const p2sh = bjs.address.toBase58Check(H20, 0x05);
    expect(parseAddress(p2sh, "bitcoin").ok).toBe(true);
    const r = parseAddress(p2sh, "bitcoin", { base58Versions: [0x00] });
    expect(r).toEqual({ ok: false, error: "decodeAddress(bitcoin): unknown version for network bitcoin: expected one of 0x00, got 0x05" });
  });
  test("non-string input", () => {
    expect(parseAddress(42 as unknown as string, "bitcoin").ok).toBe(false);
  });
});

describe("networks", () => {
  test("custom network from config", () => {
    const net = resolveNetwork({ name: "dogecoin", bech32: "doge", pubKeyHash: 0x1e, scriptHash: [0x16] });
    expect(net).toEqual({ name: "dogecoin", bech32: "doge", pubKeyHash: [0x1e], scriptHash: [0x16] });
    const addr = bjs.address.toBase58Check(H20, 0x1e);
    expect(addr.startsWith("D")).toBe(true);
    expect(decodeAddress(addr, net).type).toBe("p2pkh");
  });
  test("bad network specs", () => {
    expect(() => resolveNetwork("dogecoin")).toThrow('resolveNetwork: expected one of bitcoin, bitcoin-testnet, bitcoin-regtest, bcoin-regtest, litecoin, litecoin-testnet, litecoin-regtest, got "dogecoin"');
    expect(() => resolveNetwork({ bech32: "BC", pubKeyHash: 0, scriptHash: 5 })).toThrow(RangeError);
    expect(() => resolveNetwork({ bech32: "x", pubKeyHash: 256, scriptHash: 5 })).toThrow(RangeError);
    expect(() => resolveNetwork({ bech32: "x", pubKeyHash: [], scriptHash: 5 })).toThrow(TypeError);
    expect(() => resolveNetwork({ bech32: "x", pubKeyHash: 5, scriptHash: 5 })).toThrow("expected distinct P2PKH and P2SH versions");
  });
  test("scriptToAddress refuses non-standard scripts", () => {
    expect(() => scriptToAddress(hexToBytes("51"), "bitcoin")).toThrow("scriptToAddress: expected a P2PKH, P2SH or witness output script, got 1 bytes starting 0x51");
  });
});
