import { expect, test } from "bun:test";
import { prepareJob } from "../edge/jobs/prepared-job.ts";
import type { JobV1 } from "../shared/contract/index.ts";
import { readJobId, readNtime } from "./edge-load.ts";

test("the load generator reads a notify's job id and ntime from their places, as JSON.parse would", () => {
  const job = { v: 1, id: "core1", jobmanager: "BTC", coin: "BTC", currency: "BTC", algo: "sha256d", type: 0, height: 1, prevhash: "11".repeat(32), coinb1: "0200", coinb2: "ffff", branch: ["22".repeat(32), "33".repeat(32)], version: 0x20000000, versionMask: 0, bits: "17034219", ntime: 0x65a1b2c3, mintime: 0, target: "00".repeat(32), diff1: "ff".repeat(28), powBlockHash: false, extranonce1Size: 4, extranonce2Size: 4, aux: [], createdAt: 0 } as unknown as JobV1;
  const prepared = prepareJob(job, "1a2b3c", 0, 1);
  for (const [line, clean] of [[prepared.notifyLine(true), true], [prepared.notifyLine(false), false], [prepared.notifyLineWithId("1a2b3c.5f", true), true]] as const) {
    const to = line.length - 1; // before the newline
    const tail = to - `],"id":null,"method":"mining.notify"}`.length;
    const params = (JSON.parse(new TextDecoder().decode(line)) as { params: unknown[] }).params;
    expect([readJobId(line, 0, to), readNtime(line, 0, tail, clean)]).toEqual([params[0] as string, params[7] as string]);
  }
  expect(readJobId(new TextEncoder().encode(`{"id":1}`), 0, 8)).toBeUndefined();
});
