/**
 * @module mining.configure `[extensions, parameters]` (BIP310; PowerPool answered error 20).
 *
 * - version-rolling: mask = the port coin's allowed mask AND the miner's (`version-rolling.mask`,
 *   all bits when absent). The allowed mask excludes bits the coin gives meaning to (Namecoin's
 *   chain id lives in bits 16+, so only 0x0000e000 is safe there). An empty result is answered
 *   `false`. min-bit-count is informational (BIP310): the miner decides whether fewer bits will do.
 * - minimum-difficulty: `minimum-difficulty.value` becomes this client's floor (clamped to the
 *   port's limits): vardiff tiers below it are dropped and a lower difficulty is raised.
 * - subscribe-extranonce: same as mining.extranonce.subscribe.
 * - anything else: `false`.
 */
import { clamp } from "../vardiff/retarget.ts";
import { StratumError } from "./errors.ts";
import { changeDifficulty } from "./push.ts";
import { errorReply, resultReply } from "./replies.ts";
import type { Session } from "./session.ts";

const MAX_EXTENSIONS = 16;
const MASK_HEX = /^(0x)?[0-9a-fA-F]{1,8}$/;

export function configure(s: Session, id: string, params: readonly unknown[], now: number): void {
  const extensions = params[0];
  const options = params[1] ?? {};
  if (!Array.isArray(extensions) || typeof options !== "object" || options === null || Array.isArray(options)) {
    s.send(errorReply(id, StratumError.OTHER));
    return;
  }
  const opts = options as Record<string, unknown>;
  // A Map, not an object: extension names are miner input ("__proto__").
  const result = new Map<string, unknown>();
  for (const ext of extensions.slice(0, MAX_EXTENSIONS)) {
    if (typeof ext !== "string" || result.has(ext)) continue;
    if (ext === "version-rolling") {
      const requested = parseMask(opts["version-rolling.mask"]);
      const mask = (s.ctx.allowedVersionMask & requested) >>> 0;
      s.versionMask = mask;
      result.set(ext, mask !== 0);
      if (mask !== 0) result.set("version-rolling.mask", mask.toString(16).padStart(8, "0"));
    } else if (ext === "minimum-difficulty") {
      const value = opts["minimum-difficulty.value"];
      const ok = typeof value === "number" && Number.isFinite(value) && value > 0;
      if (ok) setMinimumDifficulty(s, value, now);
      result.set(ext, ok);
    } else if (ext === "subscribe-extranonce") {
      s.extranonceSubscribed = true;
      result.set(ext, true);
    } else {
      result.set(ext, false);
    }
  }
  const json = `{${[...result].map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(",")}}`;
  s.send(resultReply(id, json));
}

function parseMask(raw: unknown): number {
  if (typeof raw === "string" && MASK_HEX.test(raw)) return Number.parseInt(raw.replace(/^0x/, ""), 16) >>> 0;
  if (typeof raw === "number" && Number.isInteger(raw) && raw >= 0 && raw <= 0xffffffff) return raw >>> 0;
  return 0xffffffff;
}

function setMinimumDifficulty(s: Session, value: number, now: number): void {
  const v = s.ctx.cfg.vardiff;
  const floor = clamp(value, v.minimum_difficulty, v.maximum_difficulty);
  s.minimumDifficulty = floor;
  s.vardiff.restrict(floor, undefined);
  if (s.nextDiff < floor) changeDifficulty(s, floor, now);
}
