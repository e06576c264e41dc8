import { describe, expect, test } from "bun:test";
import { agentRecordCodec, type AgentRecordV1 } from "./agent-record.ts";
import { auxWorkCodec, type AuxWorkV1 } from "./aux-work.ts";
import { candidateCodec, type BlockCandidateV1 } from "./candidate.ts";
import { edgeClientsCodec, edgeStatusCodec, type EdgeClientsV1, type EdgeStatusV1 } from "./edge-status.ts";
import { ContractError } from "./error.ts";
import { jobCodec, type JobV1 } from "./job.ts";
import type { JsonCodec } from "./json-codec.ts";
import { spec16Job } from "./testing.ts";

const h32 = (b: string) => b.repeat(64);

/** The §16 job with a fixed id, as a scrypt job with one merged chain so the aux fields are exercised. */
const sampleJob: JobV1 = spec16Job({
  id: "65a1b2c300000001",
  algo: "scrypt",
  diff1: "0000ffff00000000000000000000000000000000000000000000000000000000",
  aux: [{ currency: "DOGE", chainId: 98, hash: h32("1"), target: "00000000000fffff000000000000000000000000000000000000000000000000", height: 5000000, algo: "scrypt" }],
});

const candidate: BlockCandidateV1 = {
  v: 1,
  edge: "eu1",
  session: "00c0ffee",
  shareSeq: 4711,
  jobmanager: "LTC",
  jobId: "65a1b2c300000001",
  coin: "LTC",
  currency: "LTC",
  algo: "scrypt",
  header: "00".repeat(80),
  coinbase: "01000000",
  extranonce1: "5193fc01",
  extranonce2: "00000001",
  ntime: 0x5c3a8f10,
  nonce: 0xb2957c02,
  version: 0x20000000,
  powHash: h32("0"),
  blockHash: h32("a"),
  main: true,
  aux: ["DOGE"],
  address: "LYExXWEPs5oWjScR1fYzwSuo8DcQWNcHpF",
  worker: "rig1",
  difficulty: 128,
  receivedAt: 1700000000123,
};

const status: EdgeStatusV1 = {
  v: 1,
  edge: "eu1",
  session: "00c0ffee",
  edgeId: 3,
  publicHost: null,
  startedAt: 1,
  time: 2,
  spooled: 0,
  ports: [
    {
      key: "scrypt_STRAT",
      listenPort: 3333,
      jobmanager: "LTC",
      algo: "scrypt",
      clients: 2,
      authed: 1,
      idle: 0,
      agentClients: 0,
      hashrate: 12345.5,
      shares: { acc: 1, dup: 0, low: 0, stale: 0, invalid: 0 },
      lastJobId: null,
      lastJobAt: null,
      clientList: [
        { extranonce1: "03000001", address: "donate", worker: "", idle: false, difficulty: 128, userAgent: "cpuminer/2.5.1", ip: "127.0.0.1", connectedAt: 1, lastShareAt: null, acceptedDifficulty: 0, jobIds: 1 },
      ],
    },
  ],
};

const auxWork: AuxWorkV1 = { v: 1, aux: "DOGE", currency: "DOGE", chainId: 98, hash: h32("1"), target: h32("0"), bits: "1b0404cb", height: 1, fetchedAt: 1 };
const agent: AgentRecordV1 = { v: 1, edge: "eu1", address: "LYExXWEPs5oWjScR1fYzwSuo8DcQWNcHpF", worker: "rig1", type: "hashrate", data: [1.5, 2.5], stamp: 1409899740 };

function roundTrip<T>(name: string, codec: JsonCodec<T>, message: T, breakers: [string, (m: Record<string, unknown>) => unknown, RegExp][]) {
  describe(name, () => {
    test("round-trips", () => {
      expect(codec.decode(codec.encode(message))).toEqual(message);
      expect(codec.decode(new TextEncoder().encode(codec.encode(message)))).toEqual(message);
    });
    test("rejects text that is not JSON", () => {
      expect(() => codec.decode("{nope")).toThrow(ContractError);
    });
    test("rejects another version", () => {
      expect(() => codec.decode(JSON.stringify({ ...message, v: 2 }))).toThrow(/expected version 1, got 2/);
      expect(() => codec.decode("null")).toThrow(/expected version 1, got undefined/);
    });
    for (const [what, mutate, err] of breakers) {
      test(`rejects ${what}`, () => {
        const m = structuredClone(message) as Record<string, unknown>;
        expect(() => codec.decode(JSON.stringify(mutate(m)))).toThrow(err);
      });
    }
  });
}

roundTrip("job", jobCodec, sampleJob, [
  ["a missing field", (m) => ({ ...m, coinb1: undefined }), /job: coinb1:/],
  ["upper-case hex", (m) => ({ ...m, prevhash: (m.prevhash as string).toUpperCase() }), /job: prevhash:/],
  ["a short branch hash", (m) => ({ ...m, branch: ["abcd"] }), /job: branch.0:/],
  ["an unknown job type", (m) => ({ ...m, type: 7 }), /job: type:/],
  ["a version above 32 bits", (m) => ({ ...m, version: 2 ** 32 }), /job: version:/],
  ["a bad aux target", (m) => ({ ...m, aux: [{ ...(m.aux as object[])[0], target: "zz" }] }), /job: aux.0.target:/],
]);
roundTrip("block candidate", candidateCodec, candidate, [
  ["a short header", (m) => ({ ...m, header: "00".repeat(79) }), /block candidate: header:/],
  ["a zero difficulty", (m) => ({ ...m, difficulty: 0 }), /block candidate: difficulty:/],
  ["no winning share id", (m) => ({ ...m, shareSeq: undefined }), /block candidate: shareSeq:/],
  ["a share id of 0", (m) => ({ ...m, shareSeq: 0 }), /block candidate: shareSeq:/],
]);
roundTrip("edge status", edgeStatusCodec, status, [["a negative client count", (m) => ({ ...m, ports: [{ ...(m.ports as object[])[0], clients: -1 }] }), /edge status: ports.0.clients:/]]);
const clientList: EdgeClientsV1 = { v: 1, edge: "eu1/0", session: "0badcafe", time: 2, ports: [{ key: "main", clients: status.ports[0]!.clientList! }] };
roundTrip("edge clients", edgeClientsCodec, clientList, [["a session that is not 4 bytes of hex", (m) => ({ ...m, session: "xyz" }), /edge clients: session:/]]);
roundTrip("aux work", auxWorkCodec, auxWork, [["a missing chain id", (m) => ({ ...m, chainId: undefined }), /aux work: chainId:/]]);
roundTrip("agent record", agentRecordCodec, agent, [["an unknown type", (m) => ({ ...m, type: "fan" }), /agent record: type:/]]);

test("encode refuses a message of another version", () => {
  expect(() => jobCodec.encode({ ...sampleJob, v: 2 as 1 })).toThrow(/expected v=1, got v=2/);
});
