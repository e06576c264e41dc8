/** @module A short printable form of an unexpected value, for "where: expected X, got Y" messages. */

export function describe(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (typeof value === "string") return value.length > 40 ? `string of ${value.length} chars` : JSON.stringify(value);
  if (typeof value === "bigint") return `${value}n`;
  if (Array.isArray(value)) return `array of ${value.length}`;
  if (typeof value === "object") return "object";
  return `${typeof value} ${String(value)}`;
}
