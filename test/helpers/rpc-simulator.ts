/**
 * @module A JSON-RPC *simulator* for the few behaviours a real bcoin cannot show on demand: never
 * answering (timeouts), non-JSON bodies, warm-up errors (-28), HTTP 5xx pages. Everything else is
 * tested against a real bcoin (test/helpers/bcoin.ts).
 */

export type SimAnswer =
  | { readonly result: unknown }
  | { readonly error: { readonly code: number; readonly message: string }; readonly status?: number }
  | { readonly raw: string; readonly status?: number }
  | "hang";

export interface RpcSimulator {
  readonly port: number;
  /** Every request body received, in order. */
  readonly requests: { method: string; params: unknown[]; id: unknown; auth: string | null; jsonrpc: unknown }[];
  /** Replaces how the simulator answers. */
  answer: (method: string, params: unknown[]) => SimAnswer;
  stop(): void;
  [Symbol.dispose](): void;
}

export function startRpcSimulator(answer: RpcSimulator["answer"]): RpcSimulator {
  const requests: RpcSimulator["requests"] = [];
  const sim: RpcSimulator = {
    port: 0,
    requests,
    answer,
    stop: () => server.stop(true),
    [Symbol.dispose]: () => server.stop(true),
  };
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const body = (await req.json()) as { method: string; params: unknown[]; id: unknown; jsonrpc: unknown };
      requests.push({ ...body, auth: req.headers.get("authorization") });
      const a = sim.answer(body.method, body.params);
      if (a === "hang") return new Promise<Response>(() => {});
      if ("raw" in a) return new Response(a.raw, { status: a.status ?? 200 });
      if ("error" in a) return Response.json({ result: null, error: a.error, id: body.id }, { status: a.status ?? 500 });
      return Response.json({ result: a.result, error: null, id: body.id });
    },
  });
  (sim as { port: number }).port = server.port ?? 0;
  return sim;
}

/** A getblockchaininfo answer for simulated nodes. */
export function chainInfo(blocks: number, chain = "regtest"): SimAnswer {
  return { result: { chain, blocks, bestblockhash: blocks.toString(16).padStart(64, "0") } };
}
