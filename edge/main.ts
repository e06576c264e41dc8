/**
 * `bun run edge -c config.yml --name <edge>`: args, config, wiring, signals. With
 * `edges.<edge>.workers` > 1 this process supervises that many workers (edge/supervisor), each
 * this same entry with WORKER_ENV naming its index.
 */
import { availableParallelism } from "node:os";
import { onShutdown, startProcess } from "../shared/cli.ts";
import { startEdge } from "./app.ts";
import { EdgeSupervisor, reportReady, strandedSpools, superviseSignals, WORKER_SHUTDOWN, workerCount, workerIndexFromEnv, workerName } from "./supervisor/index.ts";

const { config, name, log } = await startProcess("edge", process.argv.slice(2));
const edgeName = name ?? "";
const workers = workerCount(config.edges[edgeName]?.workers ?? 1, availableParallelism());
let worker: number | undefined;
try {
  worker = workerIndexFromEnv(process.env, workers);
} catch (e) {
  log.error((e as Error).message);
  process.exit(2);
}

if (worker === undefined) {
  for (const file of strandedSpools(`.spool/${edgeName}`, workers)) {
    log.error(`${file} holds share records this layout (workers: ${workers}) does not replay: run the edge with the worker count that wrote it until it is gone`);
  }
}

if (worker === undefined && workers > 1) {
  const sup = new EdgeSupervisor({ edge: edgeName, workers, command: [process.execPath, Bun.main, ...process.argv.slice(2)], log, termTimeoutSeconds: config.pool.term_timeout });
  superviseSignals(sup, log);
  sup.start();
  process.exit(await sup.done);
} else {
  const wlog = worker === undefined ? log : log.child(String(worker));
  const self = worker === undefined ? edgeName : workerName(edgeName, worker);
  // Workers split the cores' hashing threads between them instead of each taking one per core.
  const opts = worker === undefined ? {} : { worker, powWorkers: Math.max(1, Math.floor(availableParallelism() / workers)) };
  const starting = startEdge(config, edgeName, wlog, opts).then(
    (edge) => {
      wlog.notice(`edge ${edge.name} is serving miners`);
      if (worker !== undefined) reportReady(edge.name);
      return edge;
    },
    (e: unknown) => {
      wlog.error(`edge ${self} could not start: ${e instanceof Error ? e.message : String(e)}`);
      process.exit(1);
    },
  );
  // A stop signal during start-up (a supervisor giving up on a sibling, say) waits for the start
  // to settle and then stops the edge, so its edge-id lease is released rather than left to expire.
  // Of term_timeout: 40 % for miners to leave on client.reconnect, 20 % to replay a spool, the rest
  // for share checks in flight and the final flush, so the exit is never cut short by the timeout.
  const termMs = config.pool.term_timeout * 1000;
  const stop = async () => (await starting).stop({ drainMs: termMs * 0.4, replayMs: termMs * 0.2 });
  // SIGHUP reloads the TLS certificates (issue 14) instead of stopping, as daemons' reload does.
  onShutdown(wlog, config.pool.term_timeout, stop, { ...(worker === undefined ? {} : WORKER_SHUTDOWN), signals: ["SIGINT", "SIGTERM"] });
  process.on("SIGHUP", () => {
    wlog.notice("SIGHUP: reloading TLS certificates");
    void starting.then((edge) => edge.stratum.reloadTls("SIGHUP"));
  });
}
