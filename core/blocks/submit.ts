/**
 * @module submitblock on every live coinserver at once (spec §5.9 step 3; §15 item 28), with
 * bounded retries per server, and the answers read the way Bitcoin Core and bcoin give them.
 *
 * Per server: up to `tries` attempts `retryMs` apart, retried only when no answer came (transport
 * or protocol failure: the node may be restarting; or a node busy for a whole call timeout). An RPC error is the node's answer and is not
 * retried, except "method not found" (-32601), where the BIP22 `getblocktemplate {mode: "submit"}`
 * form is used instead. Results (BIP22): null = accepted; "duplicate" / "inconclusive" need a
 * look at the chain; anything else is a rejection reason. bcoin prefixes its reasons with
 * "rejected: " (shared/spec/bcoin-regtest.md), Core does not: both are read.
 */
import { RpcError, type ServerOutcome } from "../coinserver/index.ts";
import type { ServerSubmitOutcome, SubmitVerdict } from "./types.ts";

export interface SubmitPool {
  callAll(method: string, params?: readonly unknown[], opts?: { readonly waitMs?: number; readonly urgent?: boolean }): Promise<ServerOutcome[]>;
  callServer(name: string, method: string, params?: readonly unknown[], opts?: { readonly urgent?: boolean }): Promise<ServerOutcome>;
}

export interface SubmitPolicy {
  /** Attempts per server while it does not answer. */
  readonly tries: number;
  readonly retryMs: number;
  /** How long to wait for a live coinserver before giving up (PowerPool: 200 × 0.1 s). */
  readonly waitForLiveMs: number;
}

export const DEFAULT_SUBMIT_POLICY: SubmitPolicy = { tries: 5, retryMs: 1000, waitForLiveMs: 20_000 };

const METHOD_NOT_FOUND = -32601;

/** One result value → verdict and reason. */
export function interpretSubmitResult(result: unknown): { verdict: SubmitVerdict; reason: string | null; raw: string | null } {
  if (result === null || result === undefined) return { verdict: "accepted", reason: null, raw: null };
  if (typeof result !== "string") return { verdict: "rejected", reason: `unexpected result ${JSON.stringify(result)}`, raw: null };
  const reason = result.startsWith("rejected: ") ? result.slice("rejected: ".length) : result;
  // "duplicate-invalid" is a known-bad block: a rejection. "duplicate-inconclusive" is Core's stored-but-unchecked.
  if (reason === "duplicate") return { verdict: "duplicate", reason, raw: result };
  if (reason === "inconclusive" || reason === "duplicate-inconclusive" || reason.startsWith("inconclusive")) return { verdict: "inconclusive", reason, raw: result };
  return { verdict: "rejected", reason, raw: result };
}

/**
 * Submits `blockHex` everywhere; resolves once every live server has a final outcome (best priority
 * first). `onAccepted` runs as soon as the first server accepts, so new work need not wait for the rest.
 */
export async function submitEverywhere(
  pool: SubmitPool,
  blockHex: string,
  policy: SubmitPolicy = DEFAULT_SUBMIT_POLICY,
  onAccepted?: (server: string) => void,
): Promise<ServerSubmitOutcome[]> {
  const started = Date.now();
  let firstAccepted = false;
  const settle = (o: ServerSubmitOutcome): ServerSubmitOutcome => {
    if (o.verdict === "accepted" && !firstAccepted) {
      firstAccepted = true;
      onAccepted?.(o.server);
    }
    return o;
  };
  // Urgent: a submission goes ahead of template fetches waiting for a slot on the same coinserver.
  const first = await pool.callAll("submitblock", [blockHex], { waitMs: policy.waitForLiveMs, urgent: true });
  return Promise.all(first.map(async (o) => settle(await followUp(pool, blockHex, policy, o, started))));
}

async function followUp(pool: SubmitPool, blockHex: string, policy: SubmitPolicy, first: ServerOutcome, started: number): Promise<ServerSubmitOutcome> {
  let outcome = first;
  let method: ServerSubmitOutcome["method"] = "submitblock";
  let tries = 1;
  for (;;) {
    const done = (verdict: SubmitVerdict, reason: string | null, raw: string | null): ServerSubmitOutcome => ({
      server: first.server,
      verdict,
      reason,
      raw,
      method,
      tries,
      ms: Date.now() - started,
    });
    if (outcome.ok) {
      const r = interpretSubmitResult(outcome.result);
      return done(r.verdict, r.reason, r.raw);
    }
    const err = outcome.error;
    if (err instanceof RpcError) {
      if (err.rpcCode === METHOD_NOT_FOUND && method === "submitblock") {
        method = "getblocktemplate";
        outcome = await pool.callServer(first.server, "getblocktemplate", [{ mode: "submit", data: blockHex }], { urgent: true });
        continue;
      }
      // The node read our request and refused it (e.g. -22 "Block decode failed"): its final answer.
      return done("rejected", `RPC error ${err.rpcCode}: ${err.rpcMessage}`, null);
    }
    if (tries >= policy.tries) return done("error", err.message, null);
    await Bun.sleep(policy.retryMs);
    tries++;
    outcome = await pool.callServer(first.server, method, method === "submitblock" ? [blockHex] : [{ mode: "submit", data: blockHex }], { urgent: true });
  }
}
