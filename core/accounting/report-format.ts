/**
 * @module `worker_format_string` of `pool_report_configs` (spec §8.1 step 3): Python `str.format`
 * with named placeholders `{algo}`, `{currency}`, `{server_name}` and every key of `attrs`.
 *
 * PowerPool formatted per share, so a placeholder missing from `attrs` raised on every share and
 * broke that share's reporting. Here each string is compiled once at start-up against the names
 * it may use; a bad one is reported with its key path and skipped, and accounting carries on.
 * Only plain `{name}` fields and `{{`/`}}` escapes are accepted — conversions (`!r`), format
 * specs (`:>8`), indexes and attribute access are refused rather than half-implemented.
 */

export type FormatValues = Readonly<Record<string, string>>;

export type CompiledFormat = { ok: true; render(values: FormatValues): string } | { ok: false; reason: string };

type Part = { text: string } | { name: string };

export function compileFormat(template: string, allowed: ReadonlySet<string>): CompiledFormat {
  const parts: Part[] = [];
  let text = "";
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if (c === "}") {
      if (template[i + 1] !== "}") return { ok: false, reason: `single '}' at position ${i} (write '}}' for a literal brace)` };
      text += "}";
      i++;
      continue;
    }
    if (c !== "{") {
      text += c;
      continue;
    }
    if (template[i + 1] === "{") {
      text += "{";
      i++;
      continue;
    }
    const end = template.indexOf("}", i + 1);
    if (end < 0) return { ok: false, reason: `unclosed '{' at position ${i}` };
    const name = template.slice(i + 1, end);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return { ok: false, reason: `placeholder {${name}} is not a plain name (conversions, format specs and indexes are not supported)` };
    if (!allowed.has(name)) return { ok: false, reason: `placeholder {${name}} is not one of ${[...allowed].map((n) => `{${n}}`).join(", ")}` };
    if (text) parts.push({ text });
    text = "";
    parts.push({ name });
    i = end;
  }
  if (text) parts.push({ text });
  return {
    ok: true,
    render: (values) => {
      let out = "";
      for (const p of parts) out += "text" in p ? p.text : (values[p.name] ?? "");
      return out;
    },
  };
}
