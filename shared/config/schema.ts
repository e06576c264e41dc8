/**
 * @module The pool's configuration schema: one YAML file for the core and every edge.
 *
 * Key names and defaults follow PowerPool (spec §12) where they still mean the same thing, so an
 * operator can carry values over; the layout groups components by kind (`coins`, `aux`, `stratum`,
 * `reporters` …) instead of PowerPool's flat `type:` dotted class paths.
 *
 * Validation library: zod. It reports every problem in one pass with its key path (the config
 * errors must list each mistake, not stop at the first), rejects unknown keys with strict objects,
 * fills defaults, and gives us the config's TypeScript type from the same declaration.
 */
import { isIP } from "node:net";
import { z } from "zod";

const port = z.number().int().min(1).max(65535);
const host = z.string().min(1);
const seconds = z.number().positive();
/** At most 2^64, what a share record may carry (shared/contract MAX_DIFFICULTY): sums of them stay finite. */
const difficulty = z.number().positive().finite().max(2 ** 64);
/** Unit-less names used inside Redis keys (SimpleCoin splits some keys on `_`, so algo names can't have one). */
const componentKey = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, "letters, digits, _ or -");
const currency = z.string().regex(/^[A-Za-z0-9]+$/, "letters and digits only (it appears inside Redis keys)");

/** Log levels; PowerPool's upper-case names (DEBUG, INFO, WARN, ERROR) are accepted too. */
export const LOG_LEVELS = ["debug", "info", "notice", "warn", "error"] as const;
const logLevel = z.preprocess((v) => (typeof v === "string" ? v.toLowerCase() : v), z.enum(LOG_LEVELS));

/** A 256-bit value written as hex (`0x0000ffff…`) or as a decimal integer. */
const bigHex = z
  .union([z.string().regex(/^(0x)?[0-9a-fA-F]{1,64}$/, "hex digits, optionally prefixed 0x"), z.number().int().positive()])
  .transform((v) => (typeof v === "number" ? BigInt(v) : BigInt(v.startsWith("0x") ? v : `0x${v}`)));

const coinserver = z.strictObject({
  address: host,
  port,
  username: z.string().default(""),
  password: z.string().default(""),
  /** Higher is preferred; the highest-priority live server serves templates (PowerPool had no default). */
  poll_priority: z.number().int().default(0),
  /** Per-call HTTP timeout for ordinary RPCs, seconds. */
  timeout: seconds.default(10),
  /** Optional display name in logs and the monitor; defaults to address:port. */
  name: z.string().optional(),
  /** The node's -rpcworkqueue (Core's default 16): the core keeps fewer calls than this in flight to it. */
  rpcworkqueue: z.number().int().min(1).max(1_000_000).default(16),
  /** The node's -zmqpubhashblock endpoint, tcp://host:port: new blocks are pushed from there. */
  zmq: z.string().regex(/^tcp:\/\/(\[[0-9a-fA-F:.]+\]|[^:/\s]+):\d{1,5}$/, "tcp://host:port").optional(),
});

const algorithm = z.strictObject({
  pow: z.enum(["sha256d", "scrypt", "scryptn", "x11"]),
  diff1: bigHex.optional(),
  hashes_per_share: z.number().positive().optional(),
  scryptn: z
    .strictObject({ chain_start_time: z.number().int().positive(), min_nfactor: z.number().int().min(1).max(30), max_nfactor: z.number().int().min(1).max(30) })
    .optional(),
});

/** A network's address encoding, for coins not in the built-in table. */
const customNetwork = z.strictObject({
  bech32: z.string().regex(/^[a-z0-9]{1,83}$/).optional(),
  pubkeyhash: z.number().int().min(0).max(255),
  scripthash: z.number().int().min(0).max(255),
});

const coin = z.strictObject({
  /** Used in Redis keys, statsd names and the monitor; defaults to the component key. */
  currency: currency.optional(),
  algo: z.string().min(1),
  /** Address encoding of pool_address and miners' usernames: a built-in network name or a custom table. */
  network: z.union([z.string().min(1), customNetwork]),
  pool_address: z.string().min(1),
  coinservs: z.array(coinserver).min(1),
  /** true/false forces getblockcount polling on/off; null polls unless push notifications are configured. */
  poll: z.boolean().nullable().default(null),
  block_poll: seconds.default(0.2),
  job_refresh: seconds.default(15),
  rpc_ping_int: seconds.default(2),
  /** With polling off: resume polling (and warn) when no push notification came for this long. */
  notify_timeout: seconds.default(300),
  /**
   * How the core learns of new blocks beside datagrams: `auto` = ZMQ if a coinserver has `zmq`,
   * else getblocktemplate long polling where the node supports it, else polling.
   */
  block_method: z.enum(["auto", "zmq", "longpoll", "poll"]).default("auto"),
  merged: z.array(componentKey).default([]),
  diff1: bigHex.optional(),
  hashes_per_share: z.number().positive().optional(),
  /** Default: the algorithm's (true for x11 coins such as Dash, false otherwise). */
  pow_block_hash: z.boolean().optional(),
  /** getblocktemplate rules; Litecoin-family coinservers need "mweb" too. */
  rules: z.array(z.string().min(1)).default(["segwit"]),
  /** Bytes placed in the coinbase scriptSig after the height, visible on block explorers. */
  coinbase_tag: z.string().max(40).default("/powerpool-bun/"),
  /** Version bits miners may roll (BIP310); exclude bits the coin gives meaning to (Namecoin: 0x0000e000). */
  version_mask: z.number().int().min(0).max(0xffffffff).default(0x1fffe000),
  /** Profit switching: the coin scores 0 at or above this height. */
  max_blockheight: z.number().int().positive().nullable().default(null),
});

const aux = z.strictObject({
  currency: currency.optional(),
  algo: z.string().min(1),
  coinservs: z.array(coinserver).min(1),
  work_interval: seconds.default(1),
  /** A new aux block makes the parent's miners drop their work (clean_jobs). */
  flush: z.boolean().default(false),
  /** Record accepted aux blocks in the accounting (PowerPool `send`). */
  send: z.boolean().default(true),
  rpc_ping_int: seconds.default(2),
  /** Wallet `getauxblock` (the node picks the payout key) or `createauxblock <address>` (no wallet needed). */
  payout: z
    .strictObject({ method: z.enum(["getauxblock", "createauxblock"]).default("getauxblock"), address: z.string().min(1).optional() })
    .prefault({}),
});

const switcher = z.strictObject({
  jobmanagers: z.array(componentKey).min(2),
  profit_poll_int: seconds.default(15),
  margin_switch: z.number().min(1).default(1.2),
});

const vardiff = z.strictObject({
  enabled: z.boolean().default(false),
  spm_target: z.number().positive().default(20),
  interval: seconds.default(30),
  tiers: z.array(difficulty).nullable().default(null),
  /** Lowest/highest difficulty on this port: bounds interpolated tiers and suggest_difficulty. */
  minimum_difficulty: difficulty.default(64),
  maximum_difficulty: difficulty.default(524288),
});

const agent = z.strictObject({
  enabled: z.boolean().default(false),
  port_diff: z.number().int().default(1111),
  timeout: seconds.default(120),
  accepted_types: z.array(z.enum(["temp", "status", "hashrate", "thresholds"])).default(["temp", "status", "hashrate", "thresholds"]),
});

/** A Stratum V2 listener beside the port (edge/sv2): same coin, share check, vardiff and limits. */
const sv2 = z.strictObject({
  enabled: z.boolean().default(false),
  /** Listens on the port's own number plus this (like agent.port_diff). */
  port_diff: z.number().int().default(2000),
  /** The edge's key file from `bun run sv2-keys certify`; relative paths are from the config file. */
  key_file: z.string().min(1).default("sv2-edge-key.json"),
  /** Largest message a miner may send; a larger frame closes the connection (SetupConnection, the largest, is ~1.3 KB). */
  max_frame_bytes: z.number().int().min(2048).max(1048576).default(16384),
  /** Handshakes (~4 ms of edge CPU each) one address may start per second, four seconds' worth at once; more wait their turn. */
  handshakes_per_second_per_ip: z.number().positive().default(50),
});

const stratumLimits = z.strictObject({
  /** Longest request line a miner may send; longer lines close the connection. */
  max_line_bytes: z.number().int().min(256).default(4096),
  /**
   * Connections from one address, all kinds: generous, as a farm behind one NAT address is normal
   * (authorised miners count only against this limit).
   */
  max_connections_per_ip: z.number().int().positive().default(5000),
  /** Connections from one address whose miner has not authorised (yet): tight, for scanners and floods. */
  max_unauthorized_per_ip: z.number().int().positive().default(256),
  /** An abusive connection is closed; this many within `ban_seconds` from one address ban the address (never while it has miners with accepted shares). */
  ip_ban_offences: z.number().int().positive().default(3),
  /** How long an address stays banned, and the window its offences are counted in. */
  ban_seconds: seconds.default(600),
  /** Ban when at least this share of the last `invalid_window` shares were invalid. */
  invalid_ratio: z.number().min(0).max(1).default(0.9),
  invalid_window: z.number().int().positive().default(100),
  /** Seconds a client may keep its socket blocked (not reading) before it is dropped. */
  blocked_write_timeout: seconds.default(60),
  /** Requests per second per connection; above it the edge reads that connection more slowly (never a penalty). */
  max_requests_per_second: z.number().positive().default(1000),
});

/** An address or CIDR block (`10.0.0.0/8`, `2001:db8::/32`, `127.0.0.1`). */
const cidr = z.string().refine((v) => {
  const [address = "", bits, extra] = v.split("/");
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  if (bits === undefined) return true;
  const n = /^\d{1,3}$/.test(bits) ? Number(bits) : -1;
  return n >= 0 && n <= (family === 4 ? 32 : 128);
}, "an IP address or CIDR block, e.g. 10.0.0.0/8");

/** PROXY protocol v1/v2 from load balancers (edge/listener/proxy-protocol.ts). */
const proxyProtocol = z.strictObject({
  enabled: z.boolean().default(false),
  /** Load balancers whose header is believed; a header from any other address closes the connection. */
  trusted: z.array(cidr).default([]),
  /** Every connection must come through a trusted proxy with a header. */
  required: z.boolean().default(false),
});

/** TLS stratum (stratum+ssl://) on this port (edge/listener/tls.ts). */
const stratumTls = z.strictObject({
  /** off: plain TCP; tls: TLS only; auto: TLS and plain text on one port (a first byte of 0x16 is a TLS ClientHello). */
  mode: z.enum(["off", "tls", "auto"]).default("off"),
  /** PEM file: the server certificate followed by its intermediates. Reloaded on SIGHUP and when the file changes. */
  cert: z.string().min(1).nullable().default(null),
  /** PEM file: the certificate's private key (unencrypted). */
  key: z.string().min(1).nullable().default(null),
});

const stratum = z.strictObject({
  /** A coin or a switcher; may be omitted when exactly one exists. */
  jobmanager: componentKey.optional(),
  /** A reporter; may be omitted when exactly one exists. */
  reporter: componentKey.optional(),
  address: host.default("0.0.0.0"),
  port: port.default(3333),
  start_difficulty: difficulty.default(128),
  minimum_manual_diff: difficulty.default(64),
  vardiff: vardiff.prefault({}),
  push_job_interval: seconds.default(30),
  idle_worker_threshold: seconds.default(300),
  idle_worker_disconnect_threshold: seconds.default(3600),
  /** Lower-case alphanumeric alias → payout address. */
  aliases: z.record(z.string().regex(/^[a-z0-9]+$/, "lower-case letters and digits"), z.string().min(1)).default({}),
  donate_key: z.string().min(1).default("donate"),
  /** Allowed base58 version bytes for miners' addresses; empty allows the network's own. */
  valid_address_versions: z.array(z.number().int().min(0).max(255)).default([]),
  agent: agent.prefault({}),
  sv2: sv2.prefault({}),
  limits: stratumLimits.prefault({}),
  proxy_protocol: proxyProtocol.prefault({}),
  tls: stratumTls.prefault({}),
});

const edge = z.strictObject({
  /** Stratum port keys this edge serves; all of them when omitted. */
  ports: z.array(componentKey).optional(),
  /** Host name miners use to reach this edge (shown in the monitor and the demo's stratum URL). */
  public_host: z.string().min(1).optional(),
  /**
   * Processes serving this edge's ports (SO_REUSEPORT): 1 is one process as before; more makes
   * `bun run edge` a supervisor of that many workers; 0 means one per CPU core.
   */
  workers: z.number().int().min(0).max(256).default(1),
  /**
   * This edge's own Redis ACL user (issue 20): `bun run edge-config` puts it in the edge's config
   * instead of the core's credentials, and `bun run redis-acl` prints its least-privilege rules.
   */
  redis: z.strictObject({ username: z.string().regex(/^[A-Za-z0-9_.:-]+$/), password: z.string().min(16) }).optional(),
  /**
   * Seconds between writes of the edge's client list (the monitor's /clients/ views) to its own
   * Redis key; the heartbeat itself (every 5 s) carries per-port figures only. An edge with fewer
   * than 1000 clients writes it with every heartbeat.
   */
  client_list_interval: seconds.default(30),
});

const poolReportConfig = z.strictObject({
  user: z.string().min(1),
  worker_format_string: z.string().min(1),
  report_merge: z.boolean().default(false),
});

const reporter = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("redis"),
    chain: z.number().int().min(0).default(1),
    pool_report_configs: z.array(poolReportConfig).default([]),
    attrs: z.record(z.string(), z.union([z.string(), z.number()])).default({}),
  }),
  z.strictObject({
    type: z.literal("celery"),
    /** Broker URL: a Redis broker (kombu's Redis transport), redis://[:password@]host:port/db or rediss://. */
    broker: z.string().regex(/^rediss?:\/\//, "a redis:// or rediss:// URL (only Redis brokers are supported)"),
    celery_task_prefix: z.string().regex(/^[\w.:-]+$/, "a Python dotted module path").default("simplecoin.tasks"),
    queue: z.string().min(1).default("celery"),
    /** Seconds between add_share batches (aligned to the clock); also sent at shutdown. */
    share_batch_interval: seconds.default(60),
    chain: z.number().int().min(0).default(1),
    pool_report_configs: z.array(poolReportConfig).default([]),
    attrs: z.record(z.string(), z.union([z.string(), z.number()])).default({}),
  }),
  z.strictObject({ type: z.literal("double"), reporters: z.array(componentKey).min(1) }),
]);

const sentinelNode = z.strictObject({ host, port });

/** TLS to Redis (issue 20): PEM files; a `rediss://` url or, with Sentinel, TLS to sentinels and servers alike. */
const redisTls = z.strictObject({
  /** CA certificate(s) the server's certificate must chain to; default: the system's. */
  ca_file: z.string().min(1).optional(),
  /** Client certificate and key, for servers that require one (`tls-auth-clients yes`). */
  cert_file: z.string().min(1).optional(),
  key_file: z.string().min(1).optional(),
  /** Name checked against the server's certificate when it differs from the host connected to. */
  server_name: z.string().min(1).optional(),
});

const redis = z
  .strictObject({
    /** A single server: redis://[:password@]host:port/db (rediss:// for TLS). */
    url: z.string().regex(/^rediss?:\/\//, "a redis:// or rediss:// URL").optional(),
    sentinel: z
      .strictObject({
        name: z.string().min(1),
        sentinels: z.array(sentinelNode).min(1),
        password: z.string().optional(),
        /** The servers' ACL user (with `password`); default: Redis's `default` user. */
        username: z.string().min(1).optional(),
        sentinel_password: z.string().optional(),
        /** The sentinels' ACL user (with `sentinel_password`), if they have users (`bun run redis-acl --for sentinel`). */
        sentinel_username: z.string().min(1).optional(),
        db: z.number().int().min(0).default(0),
      })
      .optional(),
    cluster: z.strictObject({ nodes: z.array(sentinelNode).min(1), password: z.string().optional() }).optional(),
    tls: redisTls.optional(),
    /** Prefix of the stream and key names the edges and the core use between them. */
    prefix: z.string().regex(/^[A-Za-z0-9:_-]*$/).default("pp:"),
    /**
     * Replicas that must confirm (WAIT) an edge's share batches and block candidates before the
     * edge forgets its copy; default 1 with `sentinel`, else 0 (no waiting).
     */
    wait_replicas: z.number().int().min(0).max(16).optional(),
    /** Seconds one WAIT may take before the write counts as not yet confirmed (default 1). */
    wait_timeout: seconds.optional(),
    /**
     * Core: read the v1 shared streams (edges that predate contract v2), where any edge may name any
     * other (default true); false dead-letters their entries, so only per-edge streams (identity bound by Redis) count.
     */
    accept_contract_v1: z.boolean().optional(),
  })
  .prefault({});

const udpTarget = (defaultPort: number) =>
  z.strictObject({ enabled: z.boolean().default(false), host: host.default("127.0.0.1"), port: port.default(defaultPort) });

const pool = z
  .strictObject({
    procname: z.string().regex(/^[A-Za-z0-9_.-]+$/).default("powerpool"),
    /** Offsets every listening port (stratum, agent, monitor, datagram) so processes can share one file. */
    server_number: z.number().int().min(0).default(0),
    term_timeout: seconds.default(10),
    /** Active/standby cores (core/leader/): the leader lease's lifetime and renewal interval, seconds. */
    leader: z
      .strictObject({ ttl: seconds.min(0.5).default(3), renew: seconds.min(0.05).default(0.5) })
      .refine((l) => l.renew * 2 <= l.ttl, { message: "renew must be at most half of ttl (the lease is renewed well inside its lifetime)" })
      .prefault({}),
    /** extranonce1 bytes: the edge id and a per-edge connection counter. */
    extranonce_serv_size: z.number().int().min(4).max(8).default(4),
    /** extranonce2 bytes that miners roll. */
    extranonce_size: z.number().int().min(2).max(8).default(4),
    algorithms: z.record(z.string().regex(/^[A-Za-z0-9]+$/, "letters and digits only (no _)"), algorithm).default({}),
    /** statsd target. */
    events: udpTarget(8125).prefault({}),
    /** Push-block datagrams from coinservers' blocknotify. */
    datagram: udpTarget(6855)
      .extend({ secret: z.string().min(8).optional() })
      .prefault({}),
  })
  .prefault({});

const logging = z
  .strictObject({
    level: logLevel.default("info"),
    format: z.enum(["text", "json"]).default("text"),
    /** Per-component levels, e.g. `{ stratum: debug }`. */
    components: z.record(z.string(), logLevel).default({}),
  })
  .prefault({});

const monitor = z
  .strictObject({ enabled: z.boolean().default(true), address: host.default("127.0.0.1"), port: port.default(3855) })
  .prefault({});

/**
 * Share audit (core only, core/audit/): per algorithm name, how often the core re-hashes the
 * accepted shares edges report. Unset keys take the defaults of the algorithm's PoW function
 * (core/audit/settings.ts). An edge ignores this section.
 */
const auditRate = z.strictObject({
  /** Audits an hour each edge should get: each accepted share is drawn with p = per_hour / the edge's accepted shares an hour. */
  per_hour: z.number().min(0).max(1_000_000).optional(),
  /** Least fraction (0–1) of an edge's accepted shares audited, however many it sends. */
  min_fraction: z.number().min(0).max(1).optional(),
});
const audit = z.record(z.string().regex(/^[A-Za-z0-9]+$/, "an algorithm name (letters and digits)"), auditRate).default({});

/** Per-kind defaults merged into every entry of that kind before validation (PowerPool's `defaults:`). */
const defaults = z
  .strictObject({
    coins: z.record(z.string(), z.unknown()).optional(),
    aux: z.record(z.string(), z.unknown()).optional(),
    stratum: z.record(z.string(), z.unknown()).optional(),
  })
  .optional();

/** Schemas of one entry of each keyed section, for salvaging the valid entries of a broken file. */
export const entrySchemas = { coins: coin, aux, switchers: switcher, stratum, edges: edge, reporters: reporter } as const;
export const sectionSchemas = { pool, logging, redis, monitor, audit } as const;

export const configSchema = z.strictObject({
  defaults,
  pool,
  logging,
  redis,
  coins: z.record(componentKey, coin).default({}),
  aux: z.record(componentKey, aux).default({}),
  switchers: z.record(componentKey, switcher).default({}),
  stratum: z.record(componentKey, stratum).default({}),
  edges: z.record(componentKey, edge).default({}),
  reporters: z.record(componentKey, reporter).default({}),
  monitor,
  audit,
});

export type PoolConfig = z.output<typeof configSchema>;
export type CoinConfig = z.output<typeof coin>;
export type AuxConfig = z.output<typeof aux>;
export type StratumConfig = z.output<typeof stratum>;
export type EdgeConfig = z.output<typeof edge>;
export type ReporterConfig = z.output<typeof reporter>;
export type CoinserverConfig = z.output<typeof coinserver>;
export type RedisConfig = z.output<typeof redis>;
export type VardiffConfig = z.output<typeof vardiff>;
export type LogLevel = (typeof LOG_LEVELS)[number];

// ── Edge view (issue 20) ────────────────────────────────────────────────────────────────────────
// An edge validates its config with this schema: the same as the core's, except that what only the
// core reads may be left out, so an edge's config need not hold coinserver credentials
// (`bun run edge-config` writes one; shared/config/edge-view.ts says what an edge keeps).
const edgeCoin = coin.partial({ pool_address: true, coinservs: true });
const edgeAux = aux.partial({ coinservs: true });

export const edgeConfigSchema = configSchema.extend({
  coins: z.record(componentKey, edgeCoin).default({}),
  aux: z.record(componentKey, edgeAux).default({}),
});
export type EdgePoolConfig = z.output<typeof edgeConfigSchema>;
export const edgeEntrySchemas = { ...entrySchemas, coins: edgeCoin, aux: edgeAux } as const;
