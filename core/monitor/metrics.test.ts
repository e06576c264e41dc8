/**
 * `/metrics` against the Prometheus text format (0.0.4), read back by an independent little
 * parser: HELP and TYPE once per family and before its samples, samples of declared families only,
 * label values escaped (`\\`, `\"`, `\n`) so they round-trip, histograms cumulative.
 */
import { describe, expect, test } from "bun:test";
import { escapeLabelValue, Histogram, PromWriter } from "./prom.ts";
import { edge, fixture, port, twoEdges } from "./testing.ts";

interface Family {
  help?: string;
  type?: string;
  samples: { name: string; labels: Record<string, string>; value: number }[];
}

/** A strict reader of the exposition format; throws on any line it cannot place. */
function parseProm(text: string): Map<string, Family> {
  expect(text.endsWith("\n")).toBe(true);
  const families = new Map<string, Family>();
  const fam = (name: string) => families.get(name) ?? families.set(name, { samples: [] }).get(name)!;
  for (const line of text.slice(0, -1).split("\n")) {
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta) {
      const f = fam(meta[2]!);
      if (f.samples.length > 0) throw new Error(`${meta[1]} after samples: ${line}`);
      if (meta[1] === "HELP") {
        if (f.help !== undefined) throw new Error(`second HELP: ${line}`);
        f.help = meta[3]!;
      } else {
        if (f.type !== undefined) throw new Error(`second TYPE: ${line}`);
        if (!["counter", "gauge", "histogram", "summary", "untyped"].includes(meta[3]!)) throw new Error(`bad TYPE: ${line}`);
        f.type = meta[3]!;
      }
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`unparsable line: ${JSON.stringify(line)}`);
    const name = m[1]!;
    const base = [...families.keys()].find((f) => families.get(f)!.type === "histogram" && /_(bucket|sum|count)$/.test(name) && name.replace(/_(bucket|sum|count)$/, "") === f) ?? name;
    const f = families.get(base);
    if (!f?.type || f.help === undefined) throw new Error(`sample before its HELP/TYPE: ${line}`);
    const value = m[3] === "+Inf" ? Infinity : Number(m[3]);
    if (Number.isNaN(value) && m[3] !== "NaN") throw new Error(`bad value: ${line}`);
    f.samples.push({ name, labels: parseLabels(m[2] ?? ""), value });
  }
  return families;
}

function parseLabels(raw: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (raw === "") return out;
  const body = raw.slice(1, -1);
  const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\\\|\\"|\\n)*)"(,|$)/y;
  let i = 0;
  while (i < body.length) {
    re.lastIndex = i;
    const m = re.exec(body);
    if (!m) throw new Error(`bad labels at ${i}: ${raw}`);
    out[m[1]!] = m[2]!.replace(/\\(\\|"|n)/g, (_x, c: string) => (c === "n" ? "\n" : c));
    i = re.lastIndex;
  }
  return out;
}

async function scrape(fx: ReturnType<typeof fixture>) {
  const res = await fx.app.request("/metrics");
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  return parseProm(await res.text());
}

describe("/metrics", () => {
  test("Stratum V2 channels per edge and port (edge/sv2's optional status field; 0 from edges without it)", async () => {
    const fams = await scrape(fixture({ edges: [edge({ edge: "eu1", ports: [port({ key: "main", sv2Clients: 3 })] }), edge({ edge: "us1", ports: [port({ key: "main" })] })] }));
    const samples = fams.get("powerpool_sv2_channels")!.samples.map((x) => [x.labels.edge, x.labels.port, x.value]);
    expect(samples).toEqual([
      ["eu1", "main", 3],
      ["us1", "main", 0],
    ]);
  });

  test("parses as Prometheus text, every family with HELP and TYPE, and covers the pool", async () => {
    const fams = await scrape(fixture());
    for (const [name, f] of fams) {
      expect([name, typeof f.help, typeof f.type]).toEqual([name, "string", "string"]);
      if (f.type === "counter") expect(name).toEndWith("_total");
    }
    const value = (name: string, labels: Record<string, string>) => fams.get(name)?.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
    expect(value("powerpool_stratum_connections", { edge: "eu1", port: "main" })).toBe(4);
    expect(value("powerpool_stratum_connections_authed", { edge: "us1", port: "second" })).toBe(1);
    expect(value("powerpool_shares_total", { edge: "eu1", port: "main", result: "stale" })).toBe(3);
    expect(fams.get("powerpool_shares_total")!.samples.filter((s) => s.labels.edge === "eu1").map((s) => s.labels.result)).toEqual(["acc", "dup", "low", "stale", "invalid"]);
    expect(value("powerpool_hashrate_hashes_per_second", { edge: "eu1", port: "main", currency: "BTC" })).toBe(1.5e12);
    expect(value("powerpool_edge_spooled_records", { edge: "us1" })).toBe(42);
    expect(value("powerpool_edge_heartbeat_age_seconds", { edge: "eu1" })).toBe(2);
    expect(value("powerpool_jobs_total", { coin: "BTC", type: "flush" })).toBe(1);
    expect(value("powerpool_job_age_seconds", { coin: "BTC" })).toBe(3);
    expect(value("powerpool_block_submissions_total", { coin: "BTC", outcome: "accepted" })).toBe(1);
    expect(value("powerpool_block_submissions_total", { coin: "BTC", outcome: "rejected" })).toBe(1);
    expect(value("powerpool_coinserver_up", { coin: "BTC", server: "btc-a" })).toBe(1);
    expect(value("powerpool_coinserver_up", { coin: "BTC", server: "10.0.0.6:18443" })).toBe(0);
    expect(value("powerpool_coinserver_rtt_seconds", { server: "btc-a" })).toBe(0.0032);
    expect(value("powerpool_redis_stream_lag", { stream: "mon:shares" })).toBe(5);
    expect(value("powerpool_push_signal_last_timestamp_seconds", { coin: "BTC" })).toBeGreaterThan(1.7e9);
    expect(value("powerpool_push_datagrams_total", { result: "rejected", reason: "bad_secret" })).toBe(1);
    expect(value("powerpool_counter_total", { owner: "main", counter: "acc_share_n1" })).toBe(2048);
  });

  test("block latency histograms are cumulative and end in +Inf = _count", async () => {
    const fams = await scrape(fixture());
    const h = fams.get("powerpool_block_share_to_submit_seconds")!;
    expect(h.type).toBe("histogram");
    const buckets = h.samples.filter((s) => s.name.endsWith("_bucket"));
    for (let i = 1; i < buckets.length; i++) expect(buckets[i]!.value).toBeGreaterThanOrEqual(buckets[i - 1]!.value);
    expect(buckets.at(-1)!.labels.le).toBe("+Inf");
    const count = h.samples.find((s) => s.name.endsWith("_count"))!.value;
    expect(buckets.at(-1)!.value).toBe(count);
    expect(count).toBe(2);
    expect(h.samples.find((s) => s.name.endsWith("_sum"))!.value).toBeCloseTo(0.08, 9);
  });

  test("edge and port names with quotes, backslashes and newlines are escaped and read back intact", async () => {
    const odd = 'we"ird\\edge\nname';
    const fams = await scrape(fixture({ edges: [edge({ edge: odd, publicHost: 'h"1', ports: [port({ key: 'p\\"0' })] })] }));
    const up = fams.get("powerpool_edge_up")!.samples;
    expect(up).toEqual([{ name: "powerpool_edge_up", labels: { edge: odd, public_host: 'h"1' }, value: 1 }]);
    expect(fams.get("powerpool_stratum_connections")!.samples[0]!.labels).toEqual({ edge: odd, port: 'p\\"0' });
  });
});

describe("PromWriter", () => {
  test("escapes label values as the format requires", () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
  });

  test("refuses bad names and a family written twice", () => {
    expect(() => new PromWriter().gauge("bad-name", "h", [])).toThrow(RangeError);
    expect(() => new PromWriter().gauge("ok", "h", [{ labels: { "bad-label": "x" }, value: 1 }])).toThrow(RangeError);
    const w = new PromWriter().gauge("x", "h", []);
    expect(() => w.counter("x", "h", [])).toThrow("written twice");
  });

  test("writes HELP with escaped newlines, special values, and histogram lines", () => {
    const h = new Histogram([1, 5]);
    h.observe(0.5);
    h.observe(3);
    h.observe(9);
    const text = new PromWriter().gauge("g", "line1\nline2", [{ labels: {}, value: Infinity }, { labels: { a: "b" }, value: NaN }]).histogram("h_seconds", "hist", [{ labels: {}, histogram: h }]).text();
    expect(text).toBe(
      [
        "# HELP g line1\\nline2", "# TYPE g gauge", "g +Inf", 'g{a="b"} NaN',
        "# HELP h_seconds hist", "# TYPE h_seconds histogram", 'h_seconds_bucket{le="1"} 1', 'h_seconds_bucket{le="5"} 2', 'h_seconds_bucket{le="+Inf"} 3', "h_seconds_sum 12.5", "h_seconds_count 3",
      ].join("\n") + "\n",
    );
    expect(parseProm(text).get("h_seconds")!.samples).toHaveLength(5);
  });
});

test("issue 19 §3: connections reset before set-up are a counter per edge and port (0 for edges that do not report it)", async () => {
  const edges = twoEdges();
  edges[1]!.ports[1] = { ...edges[1]!.ports[1]!, resetBeforeSetup: 2295 };
  const fams = await scrape(fixture({ edges }));
  const f = fams.get("powerpool_stratum_resets_before_setup_total")!;
  expect(f.type).toBe("counter");
  expect(f.samples.map((s) => [s.labels.edge, s.labels.port, s.value])).toEqual([
    ["eu1", "main", 0],
    ["us1", "main", 0],
    ["us1", "second", 2295],
  ]);
});
