/**
 * @module Test fixtures: a JobV1 built from PowerPool spec §16's worked header example (Litecoin-style
 * coinbase at height 1 000 000, three template transactions), and the values the spec computes from it.
 */
import type { JobV1 } from "./job.ts";

export const SPEC16 = {
  extranonce1: "5193fc01",
  extranonce2: "00000001",
  ntime: "5c3a8f10",
  nonce: "b2957c02",
  merkleRoot: "d505b784960641f5687275dfb0e2492345281f4e1bc018c21e19f70470c88d71",
  header:
    "00000020665544332211908f7e6d5c4b3a291807f6e5d4c3b2a107000000000000000000d505b784960641f5687275dfb0e2492345281f4e1bc018c21e19f70470c88d71108f3a5cf0ff0f1a027c95b2",
  blockHash: "8a02cee2a337a9a0a720d759e986ab509d758da9a073ed62088fb2571115ae77",
} as const;

let nextId = 1;

/** The §16 job; every call gets a fresh core id unless `over.id` says otherwise. */
export function spec16Job(over: Partial<JobV1> = {}): JobV1 {
  return {
    v: 1,
    id: `65a1b2c3${(nextId++).toString(16).padStart(8, "0")}`,
    jobmanager: "LTC",
    coin: "LTC",
    currency: "LTC",
    algo: "sha256d",
    type: 0,
    height: 1000000,
    prevhash: "334455668f9011224b5c6d7e0718293ac3d4e5f60007a1b20000000000000000",
    coinb1: "02000000010000000000000000000000000000000000000000000000000000000000000000ffffffff0c0340420f",
    coinb2: "000000000100f90295000000001976a9148eca456fb9f8ebd231921cf82131b8e0521c354988ac00000000",
    branch: ["2354d25f811c11c40e636e528ea75a191a4d6ae623e2d2e7233b0c7dfa4eb983", "a7ea0d713a0cd4e39c0049716c4e5bebf7e2c637d1c8f81556328690e761bc1c"],
    version: 0x20000000,
    versionMask: 0x1fffe000,
    bits: "1a0ffff0",
    ntime: 0x5c3a8f10,
    mintime: 0x5c3a8e00,
    target: "00000000000000000ffff0000000000000000000000000000000000000000000",
    diff1: "ff".repeat(32),
    powBlockHash: false,
    extranonce1Size: 4,
    extranonce2Size: 4,
    aux: [],
    createdAt: 1700000000000,
    ...over,
  };
}
