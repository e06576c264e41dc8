/** statsd datagrams received on a local UDP socket, in PowerPool's names (spec §10.2). */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { ShareResult } from "../../shared/contract/index.ts";
import { quietLogger, share, waitFor } from "../ingest/testing.ts";
import { startStats, type CoreStats } from "./index.ts";

let received: string[] = [];
let server: Bun.udp.Socket<"buffer">;
let stats: CoreStats;

beforeAll(async () => {
  server = await Bun.udpSocket({ hostname: "127.0.0.1", port: 0, socket: { data: (_s, data) => void received.push(data.toString()) } });
  stats = await startStats(
    { procname: "powerpool_0", coins: { LTC: { currency: "LTC", hashesPerShare: 65536 } }, algorithms: {}, pool: { events: { enabled: true, host: "localhost", port: server.port } } },
    quietLogger(),
    { autoRotate: false },
  );
});
afterAll(() => {
  stats.stop();
  server.close();
});

test("one datagram per share: count, difficulty and submit time", async () => {
  received = [];
  const now = Date.now();
  stats.shares.recordAll([share(1, { time: now - 25, difficulty: 128 }), share(2, { time: now - 40, result: ShareResult.low, difficulty: 512.5 })], now);
  await waitFor("two datagrams", () => received.length >= 2);
  expect(received.sort()).toEqual([
    "powerpool_0.acc_share:1|c\npowerpool_0.acc_share_n1:128|c\npowerpool_0.submit_time:25|ms",
    "powerpool_0.reject_low_share:1|c\npowerpool_0.reject_low_share_n1:512.5|c\npowerpool_0.submit_time:40|ms",
  ]);
});

test("block submission and job generation events", async () => {
  received = [];
  stats.blockSubmitted("LTC", 1234.4);
  stats.jobGenerated({ currency: "LTC", push: true, flush: true, newBlock: true, difficulty: 12.5, subsidy: 2_500_000_000n, generateMs: 7, height: 999_999 });
  await waitFor("eight datagrams", () => received.length >= 8);
  expect(received.sort()).toEqual(
    [
      "powerpool_0.block_submission_LTC:1234|ms",
      "powerpool_0.jobmanager.new_job:1|c",
      "powerpool_0.jobmanager.work_push:1|c",
      "powerpool_0.jobmanager.work_restart:1|c",
      "powerpool_0.LTC.difficulty:12.5|g",
      "powerpool_0.LTC.subsidy:2500000000|g",
      "powerpool_0.LTC.job_generate:7|g",
      "powerpool_0.LTC.height:999999|g",
    ].sort(),
  );
});
