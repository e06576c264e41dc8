/** `bun run core -c config.yml`: args, config, wiring, signals. */
import { onShutdown, startProcess } from "../shared/cli.ts";
import { startCore } from "./app.ts";

const { config, log } = await startProcess("core", process.argv.slice(2));
let stop: () => Promise<void> = async () => {};
onShutdown(log, config.pool.term_timeout, () => stop());
try {
  const core = await startCore(config, log);
  stop = () => core.stop();
  log.notice(`core is running: ${core.coins.size} coin(s)`);
} catch (e) {
  log.error(`core could not start: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}
