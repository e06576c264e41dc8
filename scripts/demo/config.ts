/**
 * @module The demo pool's configuration, as YAML through the normal loader (so the demo runs the
 * same checks as `bun run core -c …`). Regtest facts (shared/spec/bcoin-regtest.md): bcoin's
 * addresses are `R…`/`G…`/`rb1…`, and its network target is about 2^255, so at any share
 * difficulty above ~5e-10 every accepted share is also a block.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { certifyEdgeKey, newAuthorityKey } from "../../edge/sv2/keys.ts";
import { base58CheckEncode, concatBytes } from "../../shared/bitcoin/index.ts";
import { addressChecker } from "../../shared/config/addresses.ts";
import { parseConfig, type Config } from "../../shared/config/load.ts";
import type { BcoinNode } from "./bcoin.ts";

/** A bcoin regtest P2PKH address (version 0x3c, hash160 0x11×20): the pool's coinbase payout. */
export const DEMO_POOL_ADDRESS = "RAqS1bAuWqW2f6ufsU5H4XpKfy5Pqj2oHz";
/** Another one (hash160 0x22×20): the printed miner login's payout address. */
export const DEMO_MINER_ADDRESS = base58CheckEncode(concatBytes(Uint8Array.of(0x3c), new Uint8Array(20).fill(0x22)));
/** The built-in miner's payout address (hash160 0x33×20), so its credit is told apart from a visitor's. */
export const DEMO_BUILTIN_ADDRESS = base58CheckEncode(concatBytes(Uint8Array.of(0x3c), new Uint8Array(20).fill(0x33)));

/** Vardiff tiers: factor-2 steps from 1e-8 (a CPU miner sleeping between shares) up to ~1e4 (a small ASIC). */
export const DEMO_TIERS: readonly number[] = Array.from({ length: 40 }, (_, k) => Number((1e-8 * 2 ** k).toPrecision(6)));

export interface DemoConfigOptions {
  readonly node: BcoinNode;
  readonly redisUrl: string;
  readonly prefix: string;
  readonly stratumPort: number;
  readonly monitorPort: number;
  /** Stratum bind address (127.0.0.1 unless --listen). */
  readonly listen: string;
  /** Edge names; every edge serves the one stratum port key `main`. */
  readonly edges: readonly string[];
  /**
   * Fixed share difficulty with vardiff off (tests, where a share's difficulty must be known in
   * advance); by default vardiff on, starting at 1e-4 and aiming at one share a second.
   */
  readonly fixedDifficulty?: number;
  /** The core's process name (Redis client names, logs). */
  readonly procname?: string;
  /** An SV2 edge key file (`bun run sv2-keys`): the port also serves Stratum V2, on a port the OS picks. */
  readonly sv2KeyFile?: string;
  /** A certificate for stratum+ssl on the same port (tls.mode auto: TLS and plain text). */
  readonly tls?: { readonly cert: string; readonly key: string };
}

export function demoConfig(o: DemoConfigOptions): Config {
  const cs = o.node.coinserver({ name: "bcoin-regtest" });
  const fixed = o.fixedDifficulty;
  const diff =
    fixed === undefined
      ? `start_difficulty: 1.0e-4, minimum_manual_diff: 1.0e-8, vardiff: {enabled: true, spm_target: 60, interval: 5, tiers: [${DEMO_TIERS.join(", ")}], minimum_difficulty: 1.0e-8, maximum_difficulty: ${DEMO_TIERS[DEMO_TIERS.length - 1]}}`
      : `start_difficulty: ${fixed}, minimum_manual_diff: 1.0e-9, vardiff: {enabled: false, minimum_difficulty: 1.0e-9, maximum_difficulty: 1}`;
  const yaml = `
pool:
  procname: ${o.procname ?? "demo"}
  extranonce_serv_size: 4
  extranonce_size: 4
  datagram: {enabled: false}
  events: {enabled: false}
  term_timeout: 20
coins:
  BTC:
    algo: sha256d
    network: bcoin-regtest
    pool_address: ${DEMO_POOL_ADDRESS}
    coinservs:
      - {address: ${cs.address}, port: ${cs.port}, username: pool, password: "${cs.password}", name: ${cs.name}}
    block_poll: 0.2
stratum:
  main: {address: ${o.listen}, port: ${o.stratumPort}, ${diff}${o.sv2KeyFile ? `, sv2: {enabled: true, key_file: "${o.sv2KeyFile}"}` : ""}${o.tls ? `, tls: {mode: auto, cert: "${o.tls.cert}", key: "${o.tls.key}"}` : ""}}
edges:
${o.edges.map((e) => `  ${e}: {}`).join("\n")}
reporters:
  redis: {type: redis, chain: 1}
redis: {url: "${o.redisUrl}", prefix: "${o.prefix}"}
monitor: {enabled: true, address: 127.0.0.1, port: ${o.monitorPort}}
logging: {level: warn}
`;
  return parseConfig(yaml, "demo.yml", { addresses: addressChecker });
}

/**
 * A throw-away SV2 authority and an edge key signed by it, valid 30 days, written to `dir`: what
 * `bun run sv2-keys authority` and `certify` make for a real pool. Returns the key file's path.
 */
export function writeDemoSv2Keys(dir: string): string {
  const now = Math.floor(Date.now() / 1000);
  const file = join(dir, "sv2-edge-key.json");
  writeFileSync(file, certifyEdgeKey(newAuthorityKey(), now - 60, now + 30 * 86400), { mode: 0o600 });
  return file;
}
