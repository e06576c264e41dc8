/**
 * Coinserver failover at the level miners see: jobs. Two real bcoin regtest nodes at different
 * heights, so each job's height says which node its template came from.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startCore, type RunningCore } from "../../core/app.ts";
import type { JobEvent } from "../../core/jobs/index.ts";
import { addressChecker } from "../../shared/config/addresses.ts";
import { parseConfig } from "../../shared/config/load.ts";
import { createLogger } from "../../shared/log.ts";
import { startBcoin, type BcoinNode } from "../helpers/bcoin.ts";
import { startRedis, type PrivateRedis } from "../helpers/redis.ts";

let redis: PrivateRedis;
let primary: BcoinNode;
let secondary: BcoinNode;
let core: RunningCore | undefined;
const jobs: { height: number; type: number; at: number }[] = [];

beforeAll(async () => {
  [redis, primary, secondary] = await Promise.all([startRedis(), startBcoin(), startBcoin()]);
  await primary.mine(5);
  await secondary.mine(2);
});

afterAll(async () => {
  await core?.stop();
  await Promise.all([primary?.stop(), secondary?.stop(), redis?.stop()]);
});

async function until<T>(what: string, probe: () => T | undefined, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; jobs so far: ${JSON.stringify(jobs)}`);
    await Bun.sleep(50);
  }
}

test("jobs come from the highest-priority live coinserver, move to the secondary when it stops, and move back", async () => {
  const config = parseConfig(
    `
coins:
  BTC:
    algo: sha256d
    network: bcoin-regtest
    pool_address: RAqS1bAuWqW2f6ufsU5H4XpKfy5Pqj2oHz
    block_poll: 0.2
    rpc_ping_int: 0.2
    job_refresh: 60
    coinservs:
      - ${JSON.stringify(secondary.coinserver({ name: "secondary", poll_priority: 50 }))}
      - ${JSON.stringify(primary.coinserver({ name: "primary", poll_priority: 100 }))}
stratum:
  main: {port: 3333}
reporters:
  redis: {type: redis}
redis: {url: "${redis.url}", prefix: "fo:"}
monitor: {enabled: false}
`,
    "failover.yml",
    { addresses: addressChecker },
  );
  const log = createLogger("core", { level: "warn", format: "text", components: {}, write: () => {} });
  core = await startCore(config, log, { consumer: "failover-test" });
  const btc = core.coins.get("BTC");
  if (!btc) throw new Error("no BTC runtime");
  btc.jobs.subscribe((ev: JobEvent) => jobs.push({ height: ev.job.height, type: ev.job.type, at: Date.now() }));
  const jobAt = (height: number, after = 0) => jobs.find((j) => j.height === height && j.at >= after);

  // The primary is at height 5: its templates are for height 6; the secondary's for height 3.
  await until("a job from the primary", () => jobAt(6) ?? (btc.jobs.status().height === 5 ? { height: 6, type: 0, at: 0 } : undefined));
  expect(btc.pool.current()).toBe("primary");

  const stoppedAt = Date.now();
  await primary.stop();
  const fromSecondary = await until("a job from the secondary", () => jobAt(3, stoppedAt));
  expect(fromSecondary.type).toBe(0);
  expect(btc.pool.current()).toBe("secondary");

  // A restarted in-memory bcoin starts from genesis; mine it past the secondary so its tip differs.
  await primary.restart();
  await primary.mine(7);
  const backAt = Date.now();
  const back = await until("a job from the primary again", () => jobAt(8, backAt - 5_000));
  expect(back.type).toBe(0);
  expect(btc.pool.current()).toBe("primary");
});
