/**
 * @module The SV2 listeners of an edge: one beside each stratum port with `sv2.enabled`, started by
 * edge/server.ts after the v1 listeners. Loads the edge's key file (checked whole: a missing,
 * mismatched or expired certificate stops the edge at start, not at a miner's first handshake) and
 * logs each `stratum2+tcp://` URL.
 */
import { dirname, isAbsolute, resolve } from "node:path";
import type { Config } from "../../shared/config/load.ts";
import type { Logger } from "../../shared/log.ts";
import type { IpGuard } from "../listener/ip-guard.ts";
import type { StratumPort } from "../stratum/port.ts";
import { aead } from "./aead.ts";
import { loadEdgeKeys, type EdgeKeys } from "./keys.ts";
import { startSv2Port, type Sv2Port } from "./port.ts";

export interface Sv2ListenOptions {
  /** Only its file name is read (key files are relative to it); an edge's config view has it too. */
  readonly config: Pick<Config, "file">;
  readonly ports: ReadonlyMap<string, StratumPort>;
  readonly guard: IpGuard;
  readonly log: Logger;
  readonly hostname?: string;
  /** Per-key SV2 listen port overrides (0: the OS picks; tests). */
  readonly listenPorts?: Readonly<Record<string, number>>;
  readonly reusePort?: boolean;
  /** Host for the printed URL (the edge's public_host). */
  readonly publicHost?: string;
  readonly nowSeconds?: number;
}

export function startSv2Listeners(opts: Sv2ListenOptions): Map<string, Sv2Port> {
  const out = new Map<string, Sv2Port>();
  const keyFiles = new Map<string, EdgeKeys>();
  try {
    for (const [key, port] of opts.ports) {
      const cfg = port.cfg;
      if (!cfg.sv2.enabled) continue;
      const file = isAbsolute(cfg.sv2.key_file) ? cfg.sv2.key_file : resolve(dirname(opts.config.file), cfg.sv2.key_file);
      let keys = keyFiles.get(file);
      if (!keys) keyFiles.set(file, (keys = loadEdgeKeys(file, opts.nowSeconds ?? Math.floor(Date.now() / 1000))));
      const log = opts.log.child(key).child("sv2");
      const sv2 = startSv2Port({
        port,
        keys,
        hostname: opts.hostname ?? cfg.address,
        listenPort: opts.listenPorts?.[key] ?? cfg.listenPort + cfg.sv2.port_diff,
        reusePort: opts.reusePort,
        publicHost: opts.publicHost ?? (cfg.address === "0.0.0.0" ? "localhost" : cfg.address),
        guard: opts.guard,
        maxConnectionsPerIp: cfg.limits.max_connections_per_ip,
        maxUnauthorizedPerIp: cfg.limits.max_unauthorized_per_ip,
        maxFrameBytes: cfg.sv2.max_frame_bytes,
        handshakesPerSecondPerIp: cfg.sv2.handshakes_per_second_per_ip,
        log,
      });
      out.set(key, sv2);
      const days = Math.floor((keys.certificate.notValidAfter - Date.now() / 1000) / 86400);
      opts.log.info(`stratum ${key}: Stratum V2 on ${sv2.hostname}:${sv2.port}: ${sv2.url} (certificate valid ${days} more days; ChaCha20-Poly1305 by ${aead.implementation})`);
      if (aead.implementation === "noble") log.notice("libsodium not found: SV2 encryption uses @noble/ciphers, about ten times the CPU per share (install libsodium23)");
      if (days < 14) log.warn(`the SV2 certificate expires in ${days} days: renew it with \`bun run sv2-keys certify --renew\``);
    }
  } catch (e) {
    for (const p of out.values()) p.stop();
    throw e;
  }
  return out;
}
