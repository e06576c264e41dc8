/**
 * `bun run redis-acl -c pool.yml [--format aclfile|commands] [--for servers|sentinel] [--legacy]`:
 * Redis ACL users for the core and every edge of the pool's config (shared/contract/acl.ts has the
 * rules and why). aclfile lines go to stdout (for `aclfile` in redis.conf and `ACL LOAD`; with
 * `--for sentinel`, `user` lines for sentinel.conf), or `ACL SETUSER` lines for redis-cli; notes
 * go to stderr, so stdout stays loadable as it is. `--legacy` adds to each edge what edges and cores
 * older than contract v2 need (the v1 shared streams, leasing edge ids themselves): for a rolling
 * upgrade only.
 */
import { parseArgs } from "node:util";
import { fail } from "../shared/cli.ts";
import { addressChecker } from "../shared/config/addresses.ts";
import { loadConfigFile, type Config } from "../shared/config/load.ts";
import { ConfigError } from "../shared/config/problems.ts";
import { aclFileLine, aclSetUserLine, coreAclUser, edgeAclUser, sentinelAclUser, type AclUser } from "../shared/contract/acl.ts";

const USAGE = "usage: bun run redis-acl -c <pool.yml> [--format aclfile|commands] [--for servers|sentinel] [--legacy] > users.acl";

let values: { config?: string; format?: string; for?: string; legacy?: boolean; help?: boolean };
try {
  ({ values } = parseArgs({ args: process.argv.slice(2), options: { config: { type: "string", short: "c" }, format: { type: "string", short: "f", default: "aclfile" }, for: { type: "string", default: "servers" }, legacy: { type: "boolean" }, help: { type: "boolean", short: "h" } }, strict: true }));
} catch (e) {
  fail(`${(e as Error).message}\n${USAGE}`);
}
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
if (!values.config) fail(`missing -c <pool.yml>\n${USAGE}`);
if (values.format !== "aclfile" && values.format !== "commands") fail(`--format expects aclfile or commands, got ${JSON.stringify(values.format)}`);
if (values.for !== "servers" && values.for !== "sentinel") fail(`--for expects servers or sentinel, got ${JSON.stringify(values.for)}`);
const forSentinel = values.for === "sentinel";
const legacy = values.legacy === true;
if (legacy && forSentinel) fail("--legacy is for the servers' users (the sentinels' rules have no contract version)");

let cfg: Config;
try {
  cfg = await loadConfigFile(values.config, { addresses: addressChecker });
} catch (e) {
  if (e instanceof ConfigError) fail(e.message);
  throw e;
}

/** The core's user and password as its own connection uses them. */
function coreCredentials(c: Config): { user: string; password: string | undefined } {
  const r = c.redis;
  if (forSentinel) return { user: r.sentinel?.sentinel_username ?? "default", password: r.sentinel?.sentinel_password };
  if (r.sentinel) return { user: r.sentinel.username ?? "default", password: r.sentinel.password };
  if (r.cluster) return { user: "default", password: r.cluster.password };
  const url = new URL(r.url ?? "redis://127.0.0.1:6379/0");
  return { user: decodeURIComponent(url.username) || "default", password: url.password === "" ? undefined : decodeURIComponent(url.password) };
}

if (forSentinel && !cfg.redis.sentinel) fail(`${cfg.file}: redis.sentinel: expected a Sentinel setup for --for sentinel`);
const users: AclUser[] = [];
const notes: string[] = [];
const core = coreCredentials(cfg);
if (core.user === "default") {
  notes.push(
    forSentinel
      ? "the core connects to the sentinels as their `default` user (no redis.sentinel.sentinel_username): give it its own, then turn `default` off"
      : "the core connects as Redis's `default` user, which these rules leave alone: give it its own (redis.url rediss://core:<password>@…) and then turn `default` off",
  );
} else {
  users.push(forSentinel ? sentinelAclUser(core.user, core.password) : coreAclUser(core.user, core.password));
  if (core.password === undefined) notes.push(`the core's user ${core.user} has no password in the config: its rule is nopass`);
}
const missing: string[] = [];
for (const [edge, e] of Object.entries(cfg.edges)) {
  if (!e.redis) {
    missing.push(edge);
    continue;
  }
  const ports = e.ports ?? Object.keys(cfg.stratum);
  const jobmanagers = [...new Set(ports.map((p) => cfg.stratum[p]?.jobmanager ?? "").filter(Boolean))];
  users.push(forSentinel ? sentinelAclUser(e.redis.username, e.redis.password) : edgeAclUser({ user: e.redis.username, password: e.redis.password, edge, jobmanagers, prefix: cfg.redis.prefix, legacy }));
}
if (missing.length > 0) fail(`${cfg.file}: edges.${missing.join(", edges.")}: expected redis: {username, password} for each edge (its own Redis user)`);

process.stdout.write(users.map((u) => (values.format === "aclfile" ? aclFileLine(u) : aclSetUserLine(u))).join("\n") + "\n");
if (forSentinel) {
  notes.push("sentinel users (append to every sentinel.conf): the core and each edge may ask for the master, the replicas and the other sentinels and hear of a switch, nothing else");
} else {
  notes.push(
    legacy
      ? "passwords appear as SHA-256 (#…); every edge may read its ports' jobs, append to its own share, candidate and agent streams and (--legacy) to the v1 shared ones, and write its own status and edge-id keys — nothing else"
      : "passwords appear as SHA-256 (#…); every edge may read its ports' jobs, append to its own share, candidate and agent streams, and write its own status and edge-id keys — nothing else",
    "per-edge identity (contract v2, issue 20): the core takes an edge's name from the stream it wrote, which only that edge's user may write",
    `edge ids: the core assigns them (core/edge-ids/); an edge may only ask for its own (edge-id-want:<edge>) and read its grant (edge-id-of:<edge>), never lease, renew or free an id${legacy ? " (but see --legacy below)" : ""}`,
    "SimpleCoin's frontend needs its own user for its keys; for the sentinels' own users: --for sentinel",
  );
  notes.push(
    legacy
      ? "--legacy: every edge may also XADD to the v1 shared streams, where the payload names the edge (any edge can write under another's name), and lease edge ids from the shared pool (any edge can exhaust it). For a rolling upgrade only: drop --legacy, run redis-acl again and ACL LOAD once every core is v2 (and every edge is too)"
      : "edges or cores older than contract v2 still running (a rolling upgrade)? they need --legacy until every core is v2",
  );
}
for (const n of notes) process.stderr.write(`# ${n}\n`);
