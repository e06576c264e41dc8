/**
 * @module After submitting: where the block stands in the node's chain, and whether it counts.
 *
 * getbestblockhash says whether it is the tip; otherwise getblockheader(hash) says whether the node
 * knows it (an RPC error for an unknown hash) and at which height. Core gives confirmations −1 off
 * the main chain, but bcoin 1.0.2 counts confirmations from the height alone (tip − height + 1, on
 * any branch), so a positive count is checked against getblockhash(height): the block is in the
 * main chain only if it is the one at its height. ckpool does the same for unclear results
 * (style.md §1.5).
 */
import type { ChainPosition, ServerSubmitOutcome } from "./types.ts";

export interface ConfirmSource {
  call(method: string, params?: readonly unknown[]): Promise<unknown>;
}

export async function chainPosition(source: ConfirmSource, hash: string): Promise<ChainPosition> {
  try {
    if (String(await source.call("getbestblockhash")).toLowerCase() === hash) return "best";
    const header = await source.call("getblockheader", [hash, true]);
    const confirmations = typeof header === "object" && header !== null ? (header as Record<string, unknown>).confirmations : undefined;
    if (typeof confirmations !== "number") return "unknown";
    if (confirmations < 1) return "side-chain";
    const height = (header as Record<string, unknown>).height;
    if (typeof height !== "number") return "main-chain";
    return String(await source.call("getblockhash", [height])).toLowerCase() === hash ? "main-chain" : "side-chain";
  } catch {
    // An RPC error here is "block not found"; no live coinserver leaves it open too. Either way: unknown.
    return "unknown";
  }
}

export interface Decision {
  readonly accepted: boolean;
  readonly rejectReason: string | null;
}

/**
 * Accepted when any server took it, or when a "duplicate"/"inconclusive" block is in the main
 * chain after all. Otherwise the reason is the best-priority server's: its rejection reason, else
 * the unclear answer and where the block stands, else its error.
 */
export function decide(outcomes: readonly ServerSubmitOutcome[], position: ChainPosition): Decision {
  if (outcomes.some((o) => o.verdict === "accepted")) return { accepted: true, rejectReason: null };
  const unclear = outcomes.find((o) => o.verdict === "duplicate" || o.verdict === "inconclusive");
  if (unclear && (position === "best" || position === "main-chain")) return { accepted: true, rejectReason: null };
  const rejected = outcomes.find((o) => o.verdict === "rejected");
  if (rejected) return { accepted: false, rejectReason: rejected.reason ?? "rejected" };
  if (unclear) return { accepted: false, rejectReason: `${unclear.reason ?? unclear.verdict}; block is ${position === "side-chain" ? "off the main chain" : "not in the node's chain"}` };
  const failed = outcomes.find((o) => o.verdict === "error");
  if (failed) return { accepted: false, rejectReason: `no answer from any coinserver (${failed.server}: ${failed.reason ?? "error"})` };
  return { accepted: false, rejectReason: "no live coinserver to submit to" };
}
