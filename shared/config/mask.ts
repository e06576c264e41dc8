/**
 * @module Secret masking for `--dump-config`, logs and the monitor: nothing that would let a reader
 * reach a coinserver, Redis or the datagram port leaves the process.
 */
import { stringify } from "yaml";

export const MASK = "********";
const SECRET_KEYS = new Set(["password", "sentinel_password", "secret", "api_key", "apikey"]);
const URL_KEYS = new Set(["url", "broker"]);

/** Deep copy with secrets replaced; bigints become 0x hex strings, functions and symbols are dropped. */
export function maskSecrets(value: unknown, key = ""): unknown {
  if (typeof value === "bigint") return `0x${value.toString(16)}`;
  if (typeof value === "string") {
    if (SECRET_KEYS.has(key.toLowerCase()) && value !== "") return MASK;
    if (URL_KEYS.has(key.toLowerCase())) return maskUrlPassword(value);
    return value;
  }
  if (Array.isArray(value)) return value.map((v) => maskSecrets(v));
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (typeof v === "function" || typeof v === "symbol") continue;
      out[k] = maskSecrets(v, k);
    }
    return out;
  }
  return value;
}

/** `redis://user:pw@host` → `redis://user:********@host`. */
export function maskUrlPassword(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^:@/]*):([^@/]*)@/i, (_m, scheme: string, user: string) => `${scheme}${user}:${MASK}@`);
}

export function dumpConfig(config: object): string {
  return stringify(maskSecrets(config), { lineWidth: 0 });
}
