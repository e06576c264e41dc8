/** chainPosition against the two ways nodes report a block off the main chain. */
import { describe, expect, test } from "bun:test";
import { chainPosition, type ConfirmSource } from "./confirm.ts";

const TIP = "aa".repeat(32);
const MAIN = "bb".repeat(32);
const SIDE = "cc".repeat(32);

/** A node at height 10 whose main chain has MAIN at height 9; SIDE is a competing block at height 9. */
function node(style: "core" | "bcoin"): ConfirmSource {
  return {
    async call(method, params = []) {
      if (method === "getbestblockhash") return TIP;
      if (method === "getblockhash") return params[0] === 9 ? MAIN : TIP;
      if (method === "getblockheader") {
        if (params[0] === MAIN) return { hash: MAIN, height: 9, confirmations: 2 };
        // Core: −1 off the main chain. bcoin 1.0.2: tip − height + 1 whatever the branch.
        if (params[0] === SIDE) return { hash: SIDE, height: 9, confirmations: style === "core" ? -1 : 2 };
      }
      throw new Error("Block not found");
    },
  };
}

describe("chainPosition", () => {
  for (const style of ["core", "bcoin"] as const) {
    test(`${style}: tip, main chain, side branch, unknown`, async () => {
      expect(await chainPosition(node(style), TIP)).toBe("best");
      expect(await chainPosition(node(style), MAIN)).toBe("main-chain");
      expect(await chainPosition(node(style), SIDE)).toBe("side-chain");
      expect(await chainPosition(node(style), "dd".repeat(32))).toBe("unknown");
    });
  }
});
