/**
 * `bun run core -c config.yml`: args, config, signals, and the leader lease. Any number of cores may
 * run with one config: the lease holder runs the core, the others stand by with their coinserver
 * connections warm (core/leader/supervisor.ts).
 */
import { hostname } from "node:os";
import type Redis from "ioredis";
import { onShutdown, startProcess } from "../shared/cli.ts";
import { connectRedis } from "../shared/redis.ts";
import { startCore } from "./app.ts";
import { createCoinserverPool, type CoinserverPool } from "./coinserver/index.ts";
import { CoreSupervisor } from "./leader/supervisor.ts";

const { config, log } = await startProcess("core", process.argv.slice(2));
let stop: () => Promise<void> = async () => {};
onShutdown(log, config.pool.term_timeout, () => stop());

// Unique per process: the lease names it, and it is the consumer name in the stream groups (the
// next leader claims whatever it left pending).
const id = `${hostname()}:${config.procname}:${process.pid}`;
// The lease has its own connection, so renewals never wait behind the core's writes. The core's
// accounting refuses a Cluster, so this is one primary (URL or Sentinel).
const leaseRedis = connectRedis(config.redis, { name: `core-lease:${config.procname}` }) as Redis;
leaseRedis.on("error", (e: Error) => log.debug(`leader lease connection: ${e.message}`));
const pools = new Map<string, CoinserverPool>();
for (const coin of Object.values(config.coins)) {
  const pool = createCoinserverPool(coin, log.child(coin.key).child("coinserver"));
  pool.start();
  pools.set(coin.key, pool);
}
const supervisor = new CoreSupervisor({
  redis: leaseRedis,
  prefix: config.redis.prefix,
  id,
  timing: { ttlMs: config.pool.leader.ttl * 1000, renewMs: config.pool.leader.renew * 1000 },
  log: log.child("leader"),
  async start(leadership) {
    const core = await startCore(config, log, { leadership, pools, consumer: id });
    log.notice(`core is running: ${core.coins.size} coin(s), leader at epoch ${leadership.fence.epoch}`);
    return core;
  },
  onStartFailed(e) {
    log.error(`core could not start: ${e.message}`);
    process.exit(1);
  },
  // A deposed core whose parts hang on an unreachable Redis: exit, and let systemd start a clean standby.
  stopTimeoutMs: config.pool.term_timeout * 1000,
  onStopTimeout() {
    log.error("exiting: the deposed core could not stop cleanly (systemd restarts it as a standby)");
    process.exit(1);
  },
});
supervisor.start();
stop = async () => {
  await supervisor.stop();
  for (const p of pools.values()) p.stop();
  leaseRedis.disconnect();
};
