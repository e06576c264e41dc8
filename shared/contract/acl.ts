/**
 * @module Redis ACL users for the contract (issue 20 §2): what each process may do to the names in
 * names.ts, as Redis 7 ACL rules. An edge's user gets exactly what edge code sends, command by
 * command and key by key (Redis 7 selectors pair them), and nothing else:
 *
 *   jobs        XREAD, XREVRANGE on jobStream(jm); GET latestJob(jm) — for its ports' jobmanagers, read-only
 *   records     XADD to its own edgeStream(shares|candidates|agent, edge and edge/<worker>) — write-only;
 *               with `legacy`, also to the v1 shared streams (only while a v1 core still runs)
 *   contract    GET contractVersion (which stream version the core reads)
 *   status      SET (PX), DEL edgeStatus(edge) and edgeStatus(edge/<worker>)
 *   edge id     SET (PX), DEL its own edgeIdWant(edge and edge/<worker>) — write-only; GET, PTTL its own
 *               edgeIdGrant — read-only. The core assigns the ids (core/edge-ids/): no edge can take,
 *               renew or free another's. With `legacy` (edges that still lease ids themselves, for a
 *               rolling upgrade): GET, SET its edgeIdByName; GET, SET NX PX, EVAL (GET, PEXPIRE, SET,
 *               DEL inside) on every edgeIdLease(*) — a shared pool any such edge can exhaust
 *   connection  PING, INFO (ioredis's ready check; Sentinel's role check), CLIENT SETNAME, SELECT
 *
 * No KEYS, SCAN, FLUSH*, CONFIG, ACL, DEBUG, pub/sub, and no other key: not SimpleCoin's, not the
 * core's, not another edge's status or streams. The core takes an edge's identity from the stream an
 * entry is in, never from its payload, so these rules are what makes an edge's name its own.
 *
 * The core gets every key and channel and every command except the dangerous ones (FLUSHALL,
 * CONFIG, KEYS, DEBUG, SHUTDOWN, ACL …), INFO and CLIENT SETNAME excepted.
 */
import { createHash } from "node:crypto";
import { contractNames, EDGE_STREAM_KINDS } from "./names.ts";

export interface AclUser {
  readonly name: string;
  /** ACL rules in order; a selector is one rule, `(…)`. */
  readonly rules: readonly string[];
}

/** Commands every client of ours sends on connecting (ioredis). */
// (CLIENT SETINFO, which ioredis also sends, is Redis 7.2+: ioredis ignores its refusal, and 7.0 would reject the rule.)
const CONNECTION = ["+ping", "+info", "+client|setname", "+select"];

/** The password as an ACL rule: its SHA-256 (`#…`), so the ACL file holds no password. */
export function aclPassword(password: string | undefined): string {
  return password === undefined || password === "" ? "nopass" : `#${createHash("sha256").update(password).digest("hex")}`;
}

export interface EdgeAclOptions {
  /** Redis ACL user name. */
  readonly user: string;
  readonly password: string;
  /** Edge name in the config (its workers are `<edge>/<i>`). */
  readonly edge: string;
  /** Jobmanagers (coins, switchers) of the edge's ports: the job streams it may read. */
  readonly jobmanagers: readonly string[];
  readonly prefix: string;
  /**
   * Also allow XADD to the v1 shared streams and leasing edge ids from the shared pool, for a
   * rolling upgrade with a v1 core (or v1 edges) still running. Those streams carry the edge's name
   * in the payload only, and the pool is open to every edge: drop this once every core and edge is v2.
   */
  readonly legacy?: boolean;
}

export function edgeAclUser(o: EdgeAclOptions): AclUser {
  const n = contractNames(o.prefix);
  const self = (key: (edge: string) => string) => [`~${key(o.edge)}`, `~${key(`${o.edge}/`)}*`];
  const selector = (keys: readonly string[], commands: readonly string[]) => `(${[...keys, ...commands].join(" ")})`;
  return {
    name: o.user,
    rules: [
      "reset",
      "on",
      aclPassword(o.password),
      "resetchannels",
      "-@all",
      ...CONNECTION,
      // Share batches and candidates wait for a replica before the edge drops its copy (edge/forward/link.ts).
      "+wait",
      selector(
        o.jobmanagers.flatMap((jm) => [`%R~${n.jobStream(jm)}`, `%R~${n.latestJob(jm)}`]),
        ["+xread", "+xrevrange", "+get"],
      ),
      selector(
        EDGE_STREAM_KINDS.flatMap((kind) => self((edge) => n.edgeStream(kind, edge)).map((k) => `%W${k}`)),
        ["+xadd"],
      ),
      ...(o.legacy ? [selector([`%W~${n.shareStream}`, `%W~${n.candidateStream}`, `%W~${n.agentStream}`], ["+xadd"])] : []),
      selector([`%R~${n.contractVersion}`], ["+get"]),
      selector(self(n.edgeStatus), ["+set", "+del"]),
      // Its bans for the monitor, and the operator's lifts (edge/forward/bans.ts).
      selector(self(n.edgeBans), ["+set", "+del"]),
      selector(self(n.edgeClients), ["+set", "+del"]),
      selector([`%R~${n.banLiftStream}`], ["+xread", "+xrevrange"]),
      selector(self(n.edgeIdWant).map((k) => `%W${k}`), ["+set", "+del"]),
      selector(self(n.edgeIdGrant).map((k) => `%R${k}`), ["+get", "+pttl"]),
      ...(o.legacy
        ? [selector(self(n.edgeIdByName), ["+get", "+set"]), selector([`~${n.edgeIdLease(0).replace(/0$/, "*")}`], ["+get", "+set", "+eval", "+pexpire", "+del"])]
        : []),
    ],
  };
}

export function coreAclUser(user: string, password: string | undefined): AclUser {
  return { name: user, rules: ["reset", "on", aclPassword(password), "~*", "&*", "+@all", "-@dangerous", ...CONNECTION] };
}

/**
 * A user on the sentinels (their config's `user` lines) for a client of ours: find the master and
 * the other sentinels (ioredis), nothing else — no SENTINEL SET/FAILOVER/REMOVE/CONFIG, no ACL.
 */
export function sentinelAclUser(user: string, password: string | undefined): AclUser {
  return {
    name: user,
    rules: [
      "reset",
      "on",
      aclPassword(password),
      "resetchannels",
      "&+switch-master",
      "-@all",
      "+ping",
      "+client|setname",
      "+sentinel|get-master-addr-by-name",
      "+sentinel|sentinels",
      "+sentinel|slaves",
      "+sentinel|replicas",
      "+subscribe",
    ],
  };
}

/** One `user …` line of a Redis aclfile (`aclfile` in redis.conf, `ACL LOAD`). */
export function aclFileLine(u: AclUser): string {
  return `user ${u.name} ${u.rules.join(" ")}`;
}

/** The same as an `ACL SETUSER` command line for redis-cli (selectors quoted: they hold spaces). */
export function aclSetUserLine(u: AclUser): string {
  return `ACL SETUSER ${u.name} ${u.rules.map((r) => (r.includes(" ") ? `"${r}"` : r)).join(" ")}`;
}
