/**
 * @module JSON codecs for the contract's low-rate messages (jobs, candidates, status): one schema
 * per message, checked on decode so a malformed or foreign message is refused with its reason.
 */
import { z } from "zod";
import { ContractError } from "./error.ts";

export const hex = (bytes?: number) =>
  bytes === undefined ? z.string().regex(/^(?:[0-9a-f]{2})*$/, "lower-case hex") : z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`), `${bytes} bytes of lower-case hex`);
export const u32 = z.number().int().min(0).max(0xffffffff);
export const name = z.string().min(1).max(64);

export interface JsonCodec<T> {
  encode(message: T): string;
  /** Throws ContractError naming the field and what was wrong. */
  decode(raw: string | Uint8Array): T;
}

export function jsonCodec<S extends z.ZodType<{ v: number }>>(kind: string, version: number, schema: S): JsonCodec<z.output<S>> {
  const decoder = new TextDecoder();
  return {
    encode(message) {
      if (message.v !== version) throw new ContractError(kind, `expected v=${version}, got v=${String(message.v)}`);
      return JSON.stringify(message);
    },
    decode(raw) {
      let value: unknown;
      try {
        value = JSON.parse(typeof raw === "string" ? raw : decoder.decode(raw));
      } catch {
        throw new ContractError(kind, "expected JSON, got unparsable text");
      }
      const v = (value as { v?: unknown } | null)?.v;
      if (v !== version) throw new ContractError(kind, `expected version ${version}, got ${JSON.stringify(v)}`);
      const parsed = schema.safeParse(value);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const where = issue?.path.map(String).join(".") || "(message)";
        throw new ContractError(kind, `${where}: ${issue?.message ?? "invalid"}`);
      }
      return parsed.data;
    },
  };
}
