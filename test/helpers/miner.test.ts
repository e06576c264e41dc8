/** The test miner builds headers the way the spec says (§3.2), checked against the worked vector of §16. */
import { expect, test } from "bun:test";
import { bytesToHex, bytesToRpcHex, sha256d } from "../../shared/bitcoin/index.ts";
import { buildHeader, type MinerJob } from "./miner.ts";

test("buildHeader reproduces the spec §16 header vector (checklist 38, 39)", () => {
  const job: MinerJob = {
    id: "1",
    prevhash: "334455668f9011224b5c6d7e0718293ac3d4e5f60007a1b20000000000000000",
    coinb1: "02000000010000000000000000000000000000000000000000000000000000000000000000ffffffff0c0340420f",
    coinb2: "000000000100f90295000000001976a9148eca456fb9f8ebd231921cf82131b8e0521c354988ac00000000",
    branch: ["2354d25f811c11c40e636e528ea75a191a4d6ae623e2d2e7233b0c7dfa4eb983", "a7ea0d713a0cd4e39c0049716c4e5bebf7e2c637d1c8f81556328690e761bc1c"],
    version: "20000000",
    nbits: "1a0ffff0",
    ntime: "5c3a8f10",
    clean: false,
    difficulty: 1,
  };
  const header = buildHeader(job, "5193fc01", { jobId: "1", extranonce2: "00000001", ntime: "5c3a8f10", nonce: "b2957c02" });
  expect(bytesToHex(header)).toBe(
    "00000020665544332211908f7e6d5c4b3a291807f6e5d4c3b2a107000000000000000000d505b784960641f5687275dfb0e2492345281f4e1bc018c21e19f70470c88d71108f3a5cf0ff0f1a027c95b2",
  );
  expect(bytesToRpcHex(sha256d(header))).toBe("8a02cee2a337a9a0a720d759e986ab509d758da9a073ed62088fb2571115ae77");
});
