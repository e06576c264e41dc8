/**
 * @module The profit scores an external price service writes into the accounting Redis, read as
 * PowerPool read them (spec §7): `GET <CUR>_profit` (a JSON number or string; missing or
 * unparsable → score 0 with a warning) and `GET <CUR>_ratio` (a float; missing → 1.0, unparsable →
 * 1.0 with a warning).
 *
 * A warning is logged when a key's problem first appears or changes, not on every poll, and one
 * info line when the key is good again.
 */
import type { Logger } from "../../shared/log.ts";

/** The keys are SimpleCoin's/the price service's, unprefixed, like the accounting keys. */
export const profitKey = (currency: string): string => `${currency}_profit`;
export const ratioKey = (currency: string): string => `${currency}_ratio`;

export interface ParsedValue {
  readonly value: number;
  /** Why the stored value was not used (the default stands in), or null. */
  readonly problem: string | null;
}

const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

function parseDecimal(text: string): number | undefined {
  const t = text.trim();
  if (!DECIMAL.test(t)) return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

/** `<CUR>_profit`: a JSON number (`0.0123`), a JSON string (`"0.0123"`) or bare decimal text. */
export function parseScore(raw: string | null): ParsedValue {
  if (raw === null) return { value: 0, problem: "missing" };
  let n: number | undefined;
  try {
    const v: unknown = JSON.parse(raw);
    if (typeof v === "number") n = v;
    else if (typeof v === "string") n = parseDecimal(v);
  } catch {
    n = parseDecimal(raw);
  }
  if (n === undefined || !Number.isFinite(n)) return { value: 0, problem: `expected a decimal number, got ${quote(raw)}` };
  if (n < 0) return { value: 0, problem: `expected a score of 0 or more, got ${quote(raw)}` };
  return { value: n, problem: null };
}

/** `<CUR>_ratio`: a float; missing is the normal case (1.0, no warning). */
export function parseRatio(raw: string | null): ParsedValue {
  if (raw === null) return { value: 1, problem: null };
  const n = parseDecimal(raw);
  if (n === undefined) return { value: 1, problem: `expected a decimal number, got ${quote(raw)}` };
  if (n < 0) return { value: 1, problem: `expected a ratio of 0 or more, got ${quote(raw)}` };
  return { value: n, problem: null };
}

function quote(raw: string): string {
  return JSON.stringify(raw.length > 40 ? `${raw.slice(0, 40)}…` : raw);
}

export interface CoinScore {
  readonly score: number;
  readonly ratio: number;
}

/** The GET side of Redis the reader needs (ioredis' Redis and Cluster both fit). */
export interface ScoreStore {
  get(key: string): Promise<string | null>;
}

/**
 * Reads every currency's score and ratio; logs problems once per change. Throws only when Redis
 * itself fails (the caller keeps the previous scores then).
 */
export class ScoreReader {
  private readonly problems = new Map<string, string>();

  constructor(
    private readonly redis: ScoreStore,
    private readonly log: Logger,
  ) {}

  async read(currencies: readonly string[]): Promise<Map<string, CoinScore>> {
    const raws = await Promise.all(currencies.map((c) => Promise.all([this.redis.get(profitKey(c)), this.redis.get(ratioKey(c))])));
    const out = new Map<string, CoinScore>();
    currencies.forEach((cur, i) => {
      const [profitRaw, ratioRaw] = raws[i]!;
      const score = parseScore(profitRaw);
      const ratio = parseRatio(ratioRaw);
      this.report(profitKey(cur), score.problem, "its profitability is 0 until it is set");
      this.report(ratioKey(cur), ratio.problem, "ratio 1.0 is used");
      out.set(cur, { score: score.value, ratio: ratio.value });
    });
    return out;
  }

  private report(key: string, problem: string | null, consequence: string): void {
    const prior = this.problems.get(key);
    if (problem === null) {
      if (prior !== undefined) this.log.info(`profit switching: ${key} is usable again`);
      this.problems.delete(key);
      return;
    }
    if (prior === problem) return;
    this.problems.set(key, problem);
    this.log.warn(`profit switching: ${key} ${problem === "missing" ? "is not set" : problem}; ${consequence}`);
  }
}
