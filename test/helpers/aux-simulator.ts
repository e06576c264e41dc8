/**
 * @module Tests only: an aux coinserver *simulator* (no real Namecoin daemon installs from npm). It
 * answers like Namecoin Core as described in /work/shared/spec/auxpow-notes.md:
 * - `createauxblock <address>` and wallet `getauxblock` return {hash, chainid, previousblockhash,
 *   coinbasevalue, bits, height, _target (byte-reversed)}; the same block while the tip and payout
 *   are unchanged; every created block is forgotten when the tip moves;
 * - `submitauxblock <hash> <auxpow>` / `getauxblock <hash> <auxpow>` answer true or false after the
 *   full rule check (aux-validator.ts); a forgotten hash gives RPC error -8 "block hash unknown";
 *   an accepted block becomes the tip.
 * `advanceTip()` moves the tip as another miner's block would.
 */
import { bitsToTarget, bytesToHex, bytesToRpcHex, concatBytes, rpcHexToBytes, sha256d, targetToLE32, u32ToHex, writeU32LE } from "../../shared/bitcoin/index.ts";
import { chainInfo, startRpcSimulator, type RpcSimulator, type SimAnswer } from "./rpc-simulator.ts";
import { validateAuxPow, type AuxPowVerdict } from "./aux-validator.ts";

/** 0xffff·2^240, the largest target compact bits encode without Namecoin's overflow flag: about 2^256. */
export const EASIEST_AUX_BITS = 0x2100ffff;

export interface AuxSimOptions {
  readonly chainId?: number;
  /** Compact bits of created blocks; default EASIEST_AUX_BITS. */
  readonly bits?: number;
  /** Tip height at start; default 100. */
  readonly height?: number;
  readonly coinbaseValue?: number;
  /** Address the "wallet" pays to with getauxblock. */
  readonly walletAddress?: string;
}

interface Created {
  readonly hash: string;
  readonly height: number;
  readonly version: number;
  readonly payout: string;
  readonly previousblockhash: string;
}

export interface AuxSubmission {
  readonly method: string;
  readonly hash: string;
  readonly verdict: AuxPowVerdict | "unknown";
}

export interface AuxSimulator {
  readonly rpc: RpcSimulator;
  readonly port: number;
  readonly chainId: number;
  readonly height: () => number;
  readonly tip: () => string;
  /** Every submit call and how the rules judged it. */
  readonly submissions: AuxSubmission[];
  /** Blocks accepted, in order (display hashes). */
  readonly accepted: string[];
  /** Another miner found a block: the tip moves and created blocks are forgotten. */
  advanceTip(): void;
  coinserver(name: string): { address: string; port: number; username: string; password: string; name: string };
  stop(): void;
}

export function startAuxSimulator(opts: AuxSimOptions = {}): AuxSimulator {
  const chainId = opts.chainId ?? 1;
  const bits = opts.bits ?? EASIEST_AUX_BITS;
  const wallet = opts.walletAddress ?? "wallet-key-1";
  let height = opts.height ?? 100;
  let tip = bytesToRpcHex(sha256d(Uint8Array.of(chainId, height)));
  let created = new Map<string, Created>();
  const byPayout = new Map<string, string>();
  let counter = 0;
  const submissions: AuxSubmission[] = [];
  const accepted: string[] = [];

  const moveTip = (hash: string) => {
    height++;
    tip = hash;
    // Rule: "The node keeps each created block until the chain tip moves, then forgets them all."
    created = new Map();
    byPayout.clear();
  };

  const create = (payout: string): SimAnswer => {
    let hash = byPayout.get(payout);
    if (!hash) {
      // A stand-in Namecoin header (version 0x00010104: chain ID 1, auxpow flag, base 4); its sha256d is the block hash.
      const version = (chainId << 16) | 0x104;
      const header = new Uint8Array(80);
      writeU32LE(header, 0, version);
      header.set(rpcHexToBytes(tip), 4);
      const body = concatBytes(header, new TextEncoder().encode(`${tip}:${payout}:${++counter}`));
      hash = bytesToRpcHex(sha256d(body));
      created.set(hash, { hash, height: height + 1, version, payout, previousblockhash: tip });
      byPayout.set(payout, hash);
    }
    const b = created.get(hash)!;
    return {
      result: {
        hash,
        chainid: chainId,
        previousblockhash: b.previousblockhash,
        coinbasevalue: opts.coinbaseValue ?? 5_000_000_000,
        bits: u32ToHex(bits),
        height: b.height,
        _target: bytesToHex(targetToLE32(bitsToTarget(bits))),
      },
    };
  };

  const submit = (method: string, hash: string, auxpow: string): SimAnswer => {
    const b = created.get(hash);
    if (!b) {
      submissions.push({ method, hash, verdict: "unknown" });
      return { error: { code: -8, message: "block hash unknown" } };
    }
    const verdict = validateAuxPow({ version: b.version, hash, bits, chainId }, auxpow);
    submissions.push({ method, hash, verdict });
    if (!verdict.ok) return { result: false };
    accepted.push(hash);
    moveTip(hash);
    return { result: true };
  };

  const rpc = startRpcSimulator((method, params) => {
    switch (method) {
      case "getblockchaininfo":
        return chainInfo(height);
      case "getnetworkinfo":
        return { result: { version: 310000, subversion: "/aux-simulator/", protocolversion: 70016, connections: 0 } };
      case "getblockcount":
        return { result: height };
      case "createauxblock":
        if (typeof params[0] !== "string") return { error: { code: -1, message: "createauxblock \"address\"" } };
        return create(params[0]);
      case "getauxblock":
        if (params.length === 0) return create(wallet);
        return submit(method, String(params[0]), String(params[1]));
      case "submitauxblock":
        return submit(method, String(params[0]), String(params[1]));
      default:
        return { error: { code: -32601, message: "Method not found" } };
    }
  });

  return {
    rpc,
    port: rpc.port,
    chainId,
    height: () => height,
    tip: () => tip,
    submissions,
    accepted,
    advanceTip: () => moveTip(bytesToRpcHex(sha256d(new TextEncoder().encode(`other-miner:${tip}`)))),
    coinserver: (name) => ({ address: "127.0.0.1", port: rpc.port, username: "u", password: "p", name }),
    stop: () => rpc.stop(),
  };
}
