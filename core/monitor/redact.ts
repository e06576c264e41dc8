/**
 * @module Keeping secrets out of monitor responses (spec §15 item 2: PowerPool's `/config` and
 * `/debug/` handed out RPC passwords). Two layers: the config views go through `maskSecrets` (plus
 * coinserver user names), and every response body is scrubbed of each secret value the config
 * holds, so a secret that reaches a status string by some other path (an error message, a URL)
 * is still masked.
 */
import { MASK, maskSecrets } from "../../shared/config/mask.ts";

const SECRET_KEYS = new Set(["password", "sentinel_password", "secret", "api_key", "apikey"]);
const URL_KEYS = new Set(["url", "broker"]);
/**
 * Shorter values are not scrubbed from whole bodies: a 3-letter password would mangle ordinary
 * words. They are still masked in the config views, the only place they are stored.
 */
export const MIN_SCRUB_LENGTH = 6;

/** Every secret value in a config: passwords, secrets, API keys, and passwords inside URLs. */
export function collectSecrets(value: unknown, key = "", out = new Set<string>()): Set<string> {
  if (typeof value === "string") {
    const k = key.toLowerCase();
    if (SECRET_KEYS.has(k) && value !== "") out.add(value);
    if (URL_KEYS.has(k)) {
      const m = /^[a-z][a-z0-9+.-]*:\/\/[^:@/]*:([^@/]+)@/i.exec(value);
      if (m?.[1]) {
        out.add(m[1]);
        // ioredis and browsers also see it percent-decoded.
        try {
          out.add(decodeURIComponent(m[1]));
        } catch {
          // not valid percent-encoding: the raw form is enough
        }
      }
    }
  } else if (Array.isArray(value)) {
    for (const v of value) collectSecrets(v, "", out);
  } else if (typeof value === "object" && value !== null) {
    for (const [k, v] of Object.entries(value)) collectSecrets(v, k, out);
  }
  return out;
}

export interface Scrubber {
  (text: string): string;
  readonly secrets: number;
}

/** A function replacing every (long enough) secret in a text with the mask, longest first. */
export function createScrubber(secrets: Iterable<string>): Scrubber {
  const list = [...new Set(secrets)].filter((s) => s.length >= MIN_SCRUB_LENGTH).sort((a, b) => b.length - a.length);
  // JSON escapes some characters, so a secret with `"` or `\` also appears in its escaped form.
  const forms = [...new Set(list.flatMap((s) => [s, JSON.stringify(s).slice(1, -1)]))];
  const scrub = (text: string): string => {
    let out = text;
    for (const s of forms) if (out.includes(s)) out = out.split(s).join(MASK);
    return out;
  };
  return Object.assign(scrub, { secrets: list.length });
}

/** A component's config as the monitor shows it: secrets masked, coinserver user names too. */
export function configView(value: unknown): unknown {
  return hideUsernames(maskSecrets(value));
}

function hideUsernames(value: unknown, parent = ""): unknown {
  if (Array.isArray(value)) return value.map((v) => hideUsernames(v, parent));
  if (typeof value !== "object" || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    // An RPC user name is half a credential; PowerPool showed it (spec §15 item 2).
    out[k] = parent === "coinservs" && k === "username" && v !== "" ? MASK : hideUsernames(v, k);
  }
  return out;
}
