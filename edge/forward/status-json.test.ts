import { expect, test } from "bun:test";
import { edgeStatusCodec, type EdgeClientV1, type EdgeStatusV1 } from "../../shared/contract/index.ts";
import { encodeStatusYielding } from "./status-json.ts";

const client = (i: number, worker = `rig${i}`): EdgeClientV1 => ({
  extranonce1: (0x0100_0000 + i).toString(16).padStart(8, "0"), address: "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", worker, idle: i % 3 === 0, difficulty: 512, userAgent: "cgminer/4.12 \"quoted\"", ip: "198.51.100.7", connectedAt: 1_700_000_000_000, lastShareAt: i % 2 ? null : 1_700_000_001_000, acceptedDifficulty: i * 7.5, jobIds: 3, hashrate: i * 1e9,
});

function status(counts: (number | undefined)[]): EdgeStatusV1 {
  return {
    v: 1, edge: "eu1", session: "5eed0001", edgeId: 2, publicHost: "eu1.pool.example", startedAt: 1, time: 2, spooled: 0,
    ports: counts.map((n, p) => ({
      key: `p${p}`, listenPort: 3333 + p, jobmanager: "BTC", algo: "sha256d", clients: n ?? 0, authed: n ?? 0, idle: 0, agentClients: 0, hashrate: 5e12, hashrateSpanMs: 60_000,
      shares: { acc: 1, dup: 0, low: 0, stale: 0, invalid: 0 }, lastJobId: null, lastJobAt: null,
      ...(n === undefined ? {} : { clientList: Array.from({ length: n }, (_, i) => client(i)) }),
    })),
  };
}

test("the yielding encoder writes exactly the codec's text, a slice of clients per turn", async () => {
  for (const counts of [[0], [1], [499, 500, 501], [1234, undefined, 3], [undefined]]) {
    const s = status(counts);
    let turns = 0;
    const text = await encodeStatusYielding(s, async () => void turns++);
    expect(text).toBe(edgeStatusCodec.encode(s));
    expect(edgeStatusCodec.decode(text)).toEqual(s);
    expect(turns).toBe(counts.reduce<number>((a, n) => a + Math.max(0, Math.ceil((n ?? 0) / 500) - 1), 0));
  }
});

test("a worker name that spells a marker stays a worker name", async () => {
  const s = status([2, 2]);
  s.ports[0]!.clientList![1] = client(1, "\u0000clients1");
  const text = await encodeStatusYielding(s, async () => {});
  expect(text).toBe(edgeStatusCodec.encode(s));
});
