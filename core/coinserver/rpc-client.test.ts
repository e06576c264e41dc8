/**
 * RpcClient against the RPC *simulator* (test/helpers/rpc-simulator.ts) for what a real node cannot
 * be made to do; the same client against a real bcoin is in test/e2e/coinserver-bcoin.test.ts.
 */
import { describe, expect, test } from "bun:test";
import { freePort } from "../../test/helpers/redis.ts";
import { chainInfo, startRpcSimulator } from "../../test/helpers/rpc-simulator.ts";
import { isServerFailure, RpcError, RpcProtocolError, RpcTransportError } from "./errors.ts";
import { RpcClient, serverDisplayName } from "./rpc-client.ts";

const cfg = (port: number, extra: { name?: string; timeout?: number } = {}) => ({ address: "127.0.0.1", port, username: "u", password: "p", timeout: 5, ...extra });

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected a rejection");
}

describe("RpcClient", () => {
  test("sends a JSON-RPC 1.0 body with basic auth and returns the result", async () => {
    using sim = startRpcSimulator(() => chainInfo(5));
    const c = new RpcClient(cfg(sim.port, { name: "node-a" }));
    expect(await c.call("getblockchaininfo")).toMatchObject({ blocks: 5 });
    await c.call("getblockhash", [1]);
    expect(sim.requests[0]).toMatchObject({ jsonrpc: "1.0", method: "getblockchaininfo", params: [], auth: `Basic ${btoa("u:p")}` });
    expect(sim.requests[1]).toMatchObject({ method: "getblockhash", params: [1] });
    expect(sim.requests[1]?.id).not.toBe(sim.requests[0]?.id);
    expect(c.lastRttMs).toBeGreaterThan(0);
  });

  test("the display name is config name, else address:port", () => {
    expect(serverDisplayName({ address: "10.0.0.1", port: 9332 })).toBe("10.0.0.1:9332");
    expect(serverDisplayName({ address: "10.0.0.1", port: 9332, name: "ltc-a" })).toBe("ltc-a");
    expect(new RpcClient(cfg(1)).url).toBe("http://127.0.0.1:1/");
    expect(new RpcClient({ ...cfg(1), address: "::1" }).url).toBe("http://[::1]:1/");
  });

  test("a JSON error body (bitcoind sends it with HTTP 500) is an RpcError with code, message, server and method", async () => {
    using sim = startRpcSimulator(() => ({ error: { code: -8, message: "Block height out of range" }, status: 500 }));
    const err = await rejection(new RpcClient(cfg(sim.port, { name: "node-a" })).call("getblockhash", [99]));
    expect(err).toBeInstanceOf(RpcError);
    expect(err).toMatchObject({ code: "RPC_ERROR", rpcCode: -8, rpcMessage: "Block height out of range", server: "node-a", method: "getblockhash" });
    expect(err.message).toBe("node-a getblockhash: RPC error -8: Block height out of range");
    expect(isServerFailure(err)).toBe(false);
  });

  test("-28 (warming up) is an RpcError that counts as a server failure", async () => {
    using sim = startRpcSimulator(() => ({ error: { code: -28, message: "Loading block index..." } }));
    const err = await rejection(new RpcClient(cfg(sim.port)).call("getblockchaininfo"));
    expect(err).toMatchObject({ code: "RPC_ERROR", rpcCode: -28 });
    expect(isServerFailure(err)).toBe(true);
  });

  test("a server that never answers times out with a typed transport error", async () => {
    using sim = startRpcSimulator(() => "hang");
    const started = performance.now();
    const err = await rejection(new RpcClient(cfg(sim.port, { name: "slow" })).call("getblocktemplate", [], { timeoutMs: 200 }));
    expect(performance.now() - started).toBeLessThan(4000);
    expect(err).toBeInstanceOf(RpcTransportError);
    expect(err).toMatchObject({ code: "RPC_TRANSPORT", reason: "timeout", server: "slow", method: "getblocktemplate" });
    expect(err.message).toContain("slow getblocktemplate: no answer within 200 ms");
    expect(isServerFailure(err)).toBe(true);
  });

  test("the caller's abort is reason `aborted` and not a server failure", async () => {
    using sim = startRpcSimulator(() => "hang");
    const err = await rejection(new RpcClient(cfg(sim.port)).call("getblocktemplate", [], { signal: AbortSignal.timeout(50) }));
    expect(err).toMatchObject({ code: "RPC_TRANSPORT", reason: "aborted" });
    expect(isServerFailure(err)).toBe(false);
  });

  test("connection refused is a transport error naming the server", async () => {
    const port = freePort();
    const err = await rejection(new RpcClient(cfg(port)).call("getblockcount"));
    expect(err).toMatchObject({ code: "RPC_TRANSPORT", reason: "refused", server: `127.0.0.1:${port}` });
    expect(err.message).toStartWith(`127.0.0.1:${port} getblockcount: connection refused`);
  });

  test("HTTP errors without a JSON body are transport errors with the status", async () => {
    using sim = startRpcSimulator(() => ({ raw: "<html>502 Bad Gateway</html>", status: 502 }));
    const err = await rejection(new RpcClient(cfg(sim.port)).call("getblockcount"));
    expect(err).toMatchObject({ code: "RPC_TRANSPORT", reason: "http", status: 502 });
    expect(err.message).toContain("HTTP 502");
    expect(err.message).toContain("502 Bad Gateway");
    sim.answer = () => ({ raw: "", status: 401 });
    expect(await rejection(new RpcClient(cfg(sim.port)).call("getblockcount"))).toMatchObject({ reason: "http", status: 401 });
  });

  test("non-JSON, a missing result or a wrong id are protocol errors", async () => {
    using sim = startRpcSimulator(() => ({ raw: "hello" }));
    const c = new RpcClient(cfg(sim.port, { name: "odd" }));
    const notJson = await rejection(c.call("getblockcount"));
    expect(notJson).toBeInstanceOf(RpcProtocolError);
    expect(notJson.message).toBe('odd getblockcount: expected a JSON-RPC reply, got "hello"');
    sim.answer = () => ({ raw: JSON.stringify({ error: null, id: 1 }) });
    expect((await rejection(c.call("getblockcount"))).message).toContain('expected a "result" field');
    sim.answer = () => ({ raw: JSON.stringify({ result: 1, error: null, id: 12345 }) });
    expect((await rejection(c.call("getblockcount"))).message).toContain("expected reply id");
    sim.answer = () => ({ raw: JSON.stringify([1, 2]) });
    expect(await rejection(c.call("getblockcount"))).toMatchObject({ code: "RPC_PROTOCOL" });
    expect(isServerFailure(notJson)).toBe(true);
  });
});
