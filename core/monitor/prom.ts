/**
 * @module The Prometheus text exposition format (version 0.0.4), written by hand: a family is its
 * HELP and TYPE lines followed by its samples, label values escape `\`, `"` and newlines, and
 * histograms carry cumulative `_bucket{le}` lines with `_sum` and `_count`.
 */

export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export type Labels = Readonly<Record<string, string>>;
export interface Sample {
  readonly labels: Labels;
  readonly value: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

function formatLabels(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => {
    if (!LABEL.test(k)) throw new RangeError(`prometheus: expected a label name, got ${JSON.stringify(k)}`);
    return `${k}="${escapeLabelValue(v)}"`;
  });
  return parts.length === 0 ? "" : `{${parts.join(",")}}`;
}

/** Cumulative buckets over fixed upper bounds (seconds, say). */
export class Histogram {
  private readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(readonly bounds: readonly number[]) {
    this.counts = bounds.map(() => 0);
  }

  observe(v: number): void {
    this.sum += v;
    this.count++;
    for (let i = 0; i < this.bounds.length; i++) if (v <= (this.bounds[i] ?? Infinity)) this.counts[i] = (this.counts[i] ?? 0) + 1;
  }

  /** Cumulative count at each bound. */
  cumulative(): readonly number[] {
    return this.counts;
  }
}

export class PromWriter {
  private readonly lines: string[] = [];
  private readonly seen = new Set<string>();

  gauge(name: string, help: string, samples: readonly Sample[]): this {
    return this.family(name, "gauge", help, samples);
  }

  /** `name` should end in `_total` (the convention for counters). */
  counter(name: string, help: string, samples: readonly Sample[]): this {
    return this.family(name, "counter", help, samples);
  }

  histogram(name: string, help: string, series: readonly { labels: Labels; histogram: Histogram }[]): this {
    this.header(name, "histogram", help);
    for (const { labels, histogram: h } of series) {
      const cum = h.cumulative();
      h.bounds.forEach((b, i) => this.lines.push(`${name}_bucket${formatLabels({ ...labels, le: formatValue(b) })} ${cum[i] ?? 0}`));
      this.lines.push(`${name}_bucket${formatLabels({ ...labels, le: "+Inf" })} ${h.count}`);
      this.lines.push(`${name}_sum${formatLabels(labels)} ${formatValue(h.sum)}`);
      this.lines.push(`${name}_count${formatLabels(labels)} ${h.count}`);
    }
    return this;
  }

  text(): string {
    return this.lines.length === 0 ? "" : `${this.lines.join("\n")}\n`;
  }

  private family(name: string, type: "gauge" | "counter", help: string, samples: readonly Sample[]): this {
    this.header(name, type, help);
    for (const s of samples) this.lines.push(`${name}${formatLabels(s.labels)} ${formatValue(s.value)}`);
    return this;
  }

  private header(name: string, type: string, help: string): void {
    if (!NAME.test(name)) throw new RangeError(`prometheus: expected a metric name, got ${JSON.stringify(name)}`);
    // One family per name: a second HELP/TYPE for the same name makes scrapers refuse the page.
    if (this.seen.has(name)) throw new RangeError(`prometheus: metric ${name} written twice`);
    this.seen.add(name);
    this.lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`);
  }
}
