/** `bun run core -c config.yml`: args, config, wiring, signals. */
import { onShutdown, startProcess } from "../shared/cli.ts";
import { describeCore } from "./plan.ts";

const { config, log } = await startProcess("core", process.argv.slice(2));
onShutdown(log, config.pool.term_timeout, async () => {});
log.info(`config ${config.file} is valid; ${config.procname} would run:`);
for (const line of describeCore(config)) log.info(line);
// Keep the event loop alive until a signal arrives.
setInterval(() => {}, 1 << 30);
