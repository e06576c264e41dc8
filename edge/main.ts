/** `bun run edge -c config.yml --name <edge>`: args, config, wiring, signals. */
import { onShutdown, startProcess } from "../shared/cli.ts";
import { startEdge } from "./app.ts";

const { config, name, log } = await startProcess("edge", process.argv.slice(2));
let stop: () => Promise<void> = async () => {};
onShutdown(log, config.pool.term_timeout, () => stop());
try {
  const edge = await startEdge(config, name ?? "", log);
  stop = () => edge.stop();
  log.notice(`edge ${edge.name} is serving miners`);
} catch (e) {
  log.error(`edge ${name} could not start: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}
