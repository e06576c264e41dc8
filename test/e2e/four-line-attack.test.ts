/**
 * Issue 19, end to end against a live edge (edge/app.ts with its real checker and forwarder), a
 * private redis-server, a job published as the core does and the core's accounting: the issue's
 * four lines from another address while an honest miner mines. The attacker gets a clear error,
 * nothing of it reaches the accounting, and the honest miner is credited every accepted share.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Redis from "ioredis";
import { JobPublisher } from "../../core/jobs/publisher.ts";
import { startAccounting, type CoreAccounting } from "../../core/ingest/index.ts";
import { drained, quietLogger, waitFor } from "../../core/ingest/testing.ts";
import { startEdge, type RunningEdge } from "../../edge/app.ts";
import { addressChecker } from "../../shared/config/addresses.ts";
import { parseConfig } from "../../shared/config/load.ts";
import { contractNames } from "../../shared/contract/index.ts";
import { spec16Job } from "../../shared/contract/testing.ts";
import { DIFF1_SHA256D } from "../../shared/pow/index.ts";
import { TestMiner } from "../helpers/miner.ts";
import { startRedis, type PrivateRedis } from "../helpers/redis.ts";

const PREFIX = "fl:";
const USER = "RAqS1bAuWqW2f6ufsU5H4XpKfy5Pqj2oHz";
const DIFF = 2 ** -30;
const names = contractNames(PREFIX);

let redis: PrivateRedis;
let publisher: JobPublisher;
let coreRedis: Redis;
let core: CoreAccounting;
let edge: RunningEdge;
let spool: string;

beforeAll(async () => {
  redis = await startRedis();
  const config = parseConfig(
    `
pool: {extranonce_serv_size: 4, extranonce_size: 4}
coins:
  BTC: {algo: sha256d, network: bcoin-regtest, pool_address: ${USER}, coinservs: [{address: 127.0.0.1, port: 8332}]}
stratum:
  main: {address: 127.0.0.1, port: 3333, start_difficulty: ${DIFF}, minimum_manual_diff: ${DIFF}, vardiff: {enabled: false, minimum_difficulty: ${DIFF}, maximum_difficulty: 1}}
edges:
  eu1: {}
reporters:
  redis: {type: redis}
redis: {url: "${redis.url}", prefix: "${PREFIX}"}
`,
    "four-lines.yml",
    { addresses: addressChecker },
  );
  const log = quietLogger();
  publisher = new JobPublisher({ redis: redis.client, prefix: PREFIX, log });
  const now = Math.floor(Date.now() / 1000);
  await publisher.publish(spec16Job({ jobmanager: "BTC", coin: "BTC", currency: "BTC", ntime: now, mintime: now - 3600, target: "0000000000000000000342190000000000000000000000000000000000000000", diff1: DIFF1_SHA256D.toString(16).padStart(64, "0"), createdAt: Date.now() }));
  coreRedis = new Redis(redis.url, { maxRetriesPerRequest: null });
  core = await startAccounting(config, coreRedis, log, { consumer: "fl-core", tuning: { blockMs: 50, tidyEveryMs: 0 } });
  spool = mkdtempSync(join(tmpdir(), "four-lines-"));
  edge = await startEdge(config, "eu1", quietLogger(), { spoolDir: spool, listenPorts: { main: 0 }, hostname: "127.0.0.1", powWorkers: 1 });
});

afterAll(async () => {
  await edge?.stop();
  await core?.stop();
  coreRedis?.disconnect();
  await publisher?.stop(500);
  await redis?.stop();
  if (spool) rmSync(spool, { recursive: true, force: true });
});

/** Sends the lines from 127.0.0.2 and collects the replies to the requests with ids. */
function attack(port: number, lines: readonly string[], replies: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const out: string[] = [];
    let buf = "";
    const s = net.connect({ host: "127.0.0.1", port, localAddress: "127.0.0.2" }, () => s.write(lines.map((l) => `${l}\n`).join("")));
    s.on("data", (d) => {
      buf += d.toString();
      for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line.includes('"id":') && !line.includes('"id":null') && !line.startsWith('{"id": 1,')) out.push(line);
        if (out.length === replies) {
          s.destroy();
          resolve(out);
        }
      }
    });
    s.on("error", reject);
  });
}

test("the issue's four lines get a clear error; the honest miner beside them is credited every accepted share", async () => {
  const port = edge.stratum.listeners.get("main")!.port;
  const honest = await TestMiner.connect(port);
  await honest.cpuMinerHandshake(`${USER}.honest`);
  let accepted = 0;
  const mine = async (n: number) => {
    for (let i = 0; i < n; i++) if ((await honest.submit(honest.mineShare(honest.lastJob!), { user: `${USER}.honest` })).result === true) accepted++;
  };
  await mine(10);
  const replies = await attack(
    port,
    [
      '{"id":1,"method":"mining.subscribe","params":[]}',
      '{"id":2,"method":"mining.authorize","params":["x.w","d=1e308"]}',
      '{"id":3,"method":"mining.submit","params":["x.w","ffff","00000000","00000000","00000000"]}',
      '{"id":4,"method":"mining.submit","params":["x.w","ffff","00000000","00000000","00000000"]}',
    ],
    3,
  );
  expect(replies).toEqual([
    `{"error":[20,"password -d: difficulty 1e+308 is above this port's maximum 1",null],"id":2,"result":null}`,
    `{"error":[24,"Unauthorized worker",null],"id":3,"result":null}`,
    `{"error":[24,"Unauthorized worker",null],"id":4,"result":null}`,
  ]);
  await mine(10);
  expect(accepted).toBe(20);

  await waitFor("the honest shares in the stream", async () => (await redis.client.xlen(names.verifiedShareStream)) > 0, 10_000);
  await waitFor("the share stream to drain", async () => (await drained(redis.client, names.verifiedShareStream, names.accountingGroup)) && (await redis.client.llen("chain_1_slice")) === 20, 15_000);
  expect(await redis.client.lrange("chain_1_slice", 0, -1)).toEqual(Array.from({ length: 20 }, () => `${USER}:9.313225746154785e-10`));
  expect(await redis.client.exists(names.deadLetter("shares"))).toBe(0);
  honest.close();
}, 60_000);
