/** @module What the demo prints once it runs: where to point a miner, where to look, what it started. */
import { hostname } from "node:os";
import type { BcoinNode } from "./bcoin.ts";
import { DEMO_BUILTIN_ADDRESS, DEMO_MINER_ADDRESS, DEMO_POOL_ADDRESS } from "./config.ts";
import { formatHashrate } from "./status.ts";

export interface BannerInfo {
  readonly stratumPort: number;
  readonly listen: string;
  readonly monitorUrl: string;
  readonly node: BcoinNode;
  readonly redisNote: string;
  readonly dir: string;
  /** The built-in miner's hash budget, or null without one. */
  readonly hashrate: number | null;
  /** The Stratum V2 URL (stratum2+tcp://host:port/<authority key>), when the edge serves SV2. */
  readonly sv2Url?: string;
  /** The self-signed certificate of the port's stratum+ssl side, or null without TLS. */
  readonly tlsCert?: string | null;
}

export function banner(b: BannerInfo): string {
  const local = `stratum+tcp://127.0.0.1:${b.stratumPort}`;
  const wide = b.listen === "0.0.0.0" || b.listen === "::";
  const login = `${DEMO_MINER_ADDRESS}.rig1`;
  return `
PowerPool demo is running (bcoin regtest: every share is also a block).

  Stratum URL:  ${local}${wide ? `  (other machines: stratum+tcp://${hostname()}:${b.stratumPort})` : ""}
${b.sv2Url ? `  Stratum V2:   ${b.sv2Url}\n` : ""}${b.tlsCert ? `  Stratum TLS:  stratum+ssl://127.0.0.1:${b.stratumPort}  (same port; self-signed ${b.tlsCert}; cpuminer: -o stratum+tcps://127.0.0.1:${b.stratumPort} --cert ${b.tlsCert})
` : ""}  Dashboard:    ${b.monitorUrl}dashboard/
  Miner login:  username ${login}  password x
                (any bcoin regtest address works as the username: R…, G… or rb1…, then .<worker>)
  cpuminer:     minerd -a sha256d -o ${local} -u ${login} -p x

  coinserver    bcoin regtest in memory, RPC ${b.node.rpcUrl}; blocks pay ${DEMO_POOL_ADDRESS}
  redis         ${b.redisNote}
  core          monitor ${b.monitorUrl} (JSON), ${b.monitorUrl}metrics (Prometheus)
  edge          "local": vardiff from 1e-4, about one share a second per miner${wide ? "" : "; --listen 0.0.0.0 lets miners on your network in"}
  miner         ${b.hashrate === null ? "none (--no-miner)" : `built-in, ${formatHashrate(b.hashrate)}, as ${DEMO_BUILTIN_ADDRESS}.demo-cpu`}
  files         ${b.dir} (removed at exit)

Ctrl-C stops everything.
`;
}
