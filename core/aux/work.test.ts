/** The aux work poller (`_target` reversal, change detection, flush flag) and the submitter's answers and retries. */
import { describe, expect, test } from "bun:test";
import { RpcError, RpcTransportError, type ServerOutcome } from "../coinserver/index.ts";
import { createLogger } from "../../shared/log.ts";
import { AuxSubmitter, type AuxChainHandle } from "./submit.ts";
import { AuxWorkPoller, parseAuxBlock, type AuxWorkEvent } from "./work.ts";

const log = createLogger("aux-test", { level: "error", format: "text", components: {}, write: () => {} });
const aux = { key: "NMC", currency: "NMC", algo: "sha256d", work_interval: 60, flush: true, payout: { method: "createauxblock" as const, address: "addr" } };
const block = (hash: string, height: number) => ({ hash, chainid: 1, bits: "207fffff", height, coinbasevalue: 5e9, _target: `${"00".repeat(31)}7f` });

describe("aux work", () => {
  test("_target is little-endian: reversed into the big-endian target", () => {
    const b = parseAuxBlock({ hash: "ab".repeat(32), chainid: 1, _target: `0102${"00".repeat(30)}` });
    expect(b.target).toBe(0x0201n);
    expect(() => parseAuxBlock({ hash: "ab".repeat(32), chainid: 1 })).toThrow(/_target/);
  });

  test("a new hash is new work; a new height is a new block and flushes when configured", async () => {
    const answers = [block("aa".repeat(32), 5), block("aa".repeat(32), 5), block("bb".repeat(32), 5), block("cc".repeat(32), 6)];
    const calls: unknown[][] = [];
    const pool = { call: async (m: string, p: readonly unknown[] = []) => (calls.push([m, ...p]), answers.shift()) };
    const poller = new AuxWorkPoller({ aux, pool, log });
    const events: AuxWorkEvent[] = [];
    poller.subscribe((e) => events.push(e));
    poller.start();
    for (let i = 0; i < 3; i++) {
      await Bun.sleep(20);
      poller.notify();
    }
    await Bun.sleep(20);
    poller.stop();
    expect(calls[0]).toEqual(["createauxblock", "addr"]);
    expect(events.map((e) => [e.work.hash.slice(0, 2), e.newBlock, e.flush])).toEqual([["aa", true, true], ["bb", false, false], ["cc", true, true]]);
    expect(poller.status().last_work).toMatchObject({ hash: "cc".repeat(32), target: `7f${"00".repeat(31)}`, height: 6 });
  });
});

describe("aux submission answers", () => {
  const outcome = (o: Partial<ServerOutcome> & { ok: boolean }): ServerOutcome => ({ server: "s1", priority: 0, result: null, rttMs: 1, ...o }) as ServerOutcome;
  const submitWith = async (answers: ServerOutcome[][]) => {
    const poller = new AuxWorkPoller({ aux, pool: { call: async () => block("aa".repeat(32), 5) }, log });
    const tries: number[] = [];
    const chain: AuxChainHandle = { key: "NMC", currency: "NMC", algo: "sha256d", method: "submitauxblock", poller, pool: { callAll: async () => (tries.push(1), answers.shift() ?? []) } };
    const s = new AuxSubmitter({ chains: new Map([["NMC", chain]]), job: () => undefined, log, onResult: () => {}, retryMs: 1, tries: 3 });
    // The private send() is what decides: reached through a cast in this test only.
    const r = await (s as unknown as { send(c: AuxChainHandle, h: string, a: string): Promise<{ verdict: string; tries: number }> }).send(chain, "aa".repeat(32), "00");
    return { ...r, calls: tries.length };
  };

  test("a transport failure is retried; then true is accepted", async () => {
    const r = await submitWith([[outcome({ ok: false, error: new RpcTransportError("s1", "submitauxblock", "refused", "refused") } as Partial<ServerOutcome> & { ok: false })], [outcome({ ok: true, result: true })]]);
    expect(r).toMatchObject({ verdict: "accepted", tries: 2, calls: 2 });
  });

  test("false is a refusal, -8 is stale, neither is retried", async () => {
    expect(await submitWith([[outcome({ ok: true, result: false })]])).toMatchObject({ verdict: "rejected", calls: 1 });
    expect(await submitWith([[outcome({ ok: false, error: new RpcError("s1", "submitauxblock", -8, "block hash unknown") } as Partial<ServerOutcome> & { ok: false })]])).toMatchObject({ verdict: "stale", calls: 1 });
  });

  test("true from any live server wins over another's -8 (createauxblock work is per node)", async () => {
    const r = await submitWith([[outcome({ ok: false, error: new RpcError("s2", "submitauxblock", -8, "block hash unknown") } as Partial<ServerOutcome> & { ok: false }), outcome({ ok: true, result: true })]]);
    expect(r.verdict).toBe("accepted");
  });

  test("no live server at all: retried, then an error", async () => {
    expect(await submitWith([])).toMatchObject({ verdict: "error", calls: 3 });
  });
});
