/**
 * @module The e2e tests' one-coin pool config as YAML: sha256d on a bcoin regtest node, one stratum
 * port `main` at a fixed difficulty, one edge `e2e`, the Redis reporter. Each test adds only what it
 * is about (`pool`, `port`, `edge` and `monitor` take extra YAML flow-map entries).
 */
import { freePort } from "./redis.ts";

export interface BcoinPoolYamlOptions {
  readonly procname: string;
  /** `node.coinserver(…)` of the bcoin regtest node. */
  readonly coinserver: { readonly address: string; readonly port: number; readonly password: string };
  readonly poolAddress: string;
  /** The port's fixed difficulty; its manual floor and vardiff minimum are `minimumDifficulty`. */
  readonly difficulty: number;
  readonly minimumDifficulty?: number;
  readonly redisUrl: string;
  readonly prefix: string;
  readonly chain: number;
  /** Extra `pool:` lines, indented by two spaces (e.g. `  leader: {ttl: 2}`). */
  readonly pool?: string;
  /** Extra lines of `stratum.main`, indented by four spaces. */
  readonly port?: string;
  /** The edge entry's flow map (default `{}`). */
  readonly edge?: string;
  /** The `monitor:` flow map (default `{enabled: false}`). */
  readonly monitor?: string;
  readonly stratumPort?: number;
}

export function bcoinPoolYaml(o: BcoinPoolYamlOptions): string {
  const min = o.minimumDifficulty ?? 1.0e-9;
  const cs = o.coinserver;
  return `
pool:
  procname: ${o.procname}
  extranonce_serv_size: 4
  extranonce_size: 4
  datagram: {enabled: false}
  events: {enabled: false}
${o.pool ?? ""}
coins:
  BTC:
    algo: sha256d
    network: bcoin-regtest
    pool_address: ${o.poolAddress}
    coinservs:
      - {address: ${cs.address}, port: ${cs.port}, username: pool, password: "${cs.password}", name: bcoin}
    block_poll: 0.2
stratum:
  main:
    address: 127.0.0.1
    port: ${o.stratumPort ?? freePort()}
    start_difficulty: ${o.difficulty}
    minimum_manual_diff: ${min}
    vardiff: {enabled: false, minimum_difficulty: ${min}, maximum_difficulty: 1}
${o.port ?? ""}
edges:
  e2e: ${o.edge ?? "{}"}
reporters:
  redis: {type: redis, chain: ${o.chain}}
redis: {url: "${o.redisUrl}", prefix: "${o.prefix}"}
monitor: ${o.monitor ?? "{enabled: false}"}
`;
}
