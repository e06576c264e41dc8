import { expect, test } from "bun:test";
import { edgeClientsCodec, type EdgeClientV1 } from "../../shared/contract/index.ts";
import { encodeClientList } from "./heartbeat.ts";

const client = (i: number): EdgeClientV1 => ({ extranonce1: (0x07000000 + i).toString(16).padStart(8, "0"), address: "LYExXWEPs5oWjScR1fYzwSuo8DcQWNcHpF", worker: `rig${i}`, idle: i % 3 === 0, difficulty: 16, userAgent: 'cgminer/4.12 "quoted"', ip: "10.0.0.2", connectedAt: 1, lastShareAt: i % 2 ? null : 2, acceptedDifficulty: i, jobIds: 3 });

test("the client list built in slices is the text the codec gives, for empty and multi-slice ports", async () => {
  const head = { v: 1 as const, edge: "eu1/0", session: "0badcafe", time: 5 };
  const ports = [
    { key: "main", clients: Array.from({ length: 4500 }, (_, i) => client(i)) },
    { key: "empty", clients: [] },
    { key: "small", clients: [client(9)] },
  ];
  const { text, longestSliceMs } = await encodeClientList(head, ports);
  expect(text).toBe(edgeClientsCodec.encode({ ...head, ports }));
  expect(edgeClientsCodec.decode(text).ports.map((p) => p.clients.length)).toEqual([4500, 0, 1]);
  expect(longestSliceMs).toBeGreaterThanOrEqual(0);
  expect((await encodeClientList(head, [])).text).toBe(edgeClientsCodec.encode({ ...head, ports: [] }));
});
