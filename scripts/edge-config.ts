/**
 * `bun run edge-config -c pool.yml --edge eu1 > eu1.yml`: an edge's config from the pool's, with
 * everything the edge must not hold removed (shared/config/edge-view.ts states the rule). The pool
 * config is validated as the core would first; the result is validated as the edge will.
 */
import { parseArgs } from "node:util";
import { stringify } from "yaml";
import { fail } from "../shared/cli.ts";
import { addressChecker } from "../shared/config/addresses.ts";
import { edgeConfigDocument } from "../shared/config/edge-view.ts";
import { parseConfig, parseEdgeConfig, readYaml } from "../shared/config/load.ts";
import { ConfigError } from "../shared/config/problems.ts";

const USAGE = "usage: bun run edge-config -c <pool.yml> --edge <edge> [> <edge>.yml]";

let values: { config?: string; edge?: string; help?: boolean };
try {
  ({ values } = parseArgs({ args: process.argv.slice(2), options: { config: { type: "string", short: "c" }, edge: { type: "string", short: "e" }, help: { type: "boolean", short: "h" } }, strict: true }));
} catch (e) {
  fail(`${(e as Error).message}\n${USAGE}`);
}
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
if (!values.config || !values.edge) fail(`missing ${values.config ? "--edge <edge>" : "-c <pool.yml>"}\n${USAGE}`);

const file = values.config;
const f = Bun.file(file);
if (!(await f.exists())) fail(`${file}: no such file`);
const text = await f.text();
try {
  const pool = parseConfig(text, file, { addresses: addressChecker });
  const doc = edgeConfigDocument(readYaml(text, file) as Record<string, unknown>, pool, values.edge);
  const header = [
    `# Edge ${values.edge}'s config, written by \`bun run edge-config\` from ${file}.`,
    "# It holds no coinserver entry or credential, reporter, monitor, datagram or core Redis",
    "# password (README, \"Security model\"). Regenerate it when the pool's config changes.",
    "",
  ].join("\n");
  const out = `${header}${stringify(doc, { lineWidth: 0 })}`;
  // What the edge will load must load: the edge's own checks, before anything is written.
  parseEdgeConfig(out, `${values.edge}.yml`, { addresses: addressChecker });
  process.stdout.write(out);
} catch (e) {
  if (e instanceof ConfigError) fail(e.message);
  throw e;
}
