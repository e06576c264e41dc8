/** `bun run edge -c config.yml --name <edge>`: args, config, wiring, signals. */
import { onShutdown, startProcess } from "../shared/cli.ts";
import { describeEdge } from "./plan.ts";

const { config, name, log } = await startProcess("edge", process.argv.slice(2));
const edge = name ?? "";
onShutdown(log, config.pool.term_timeout, async () => {});
log.info(`config ${config.file} is valid; edge ${edge} would run:`);
for (const line of describeEdge(config, edge)) log.info(line);
setInterval(() => {}, 1 << 30);
