/**
 * No secret in any monitor response (spec §15 item 2): the config holds recognisable RPC
 * passwords and user names, a Redis URL password, a Celery broker password, an aux RPC password
 * and the datagram secret; every route's body — `/debug/` and every `/<comp>/config` included — is
 * searched for each of them, also when a secret reaches a status string by another path.
 */
import { describe, expect, test } from "bun:test";
import { listComponents } from "./components.ts";
import { MIN_SCRUB_LENGTH, collectSecrets, configView, createScrubber } from "./redact.ts";
import { client, edge, fakeCore, fixture, port, POOL_ADDRESS, SECRETS, secretConfig, server } from "./testing.ts";

function allPaths(fx: ReturnType<typeof fixture>): string[] {
  const fixed = ["/", "/counters/", "/debug/", "/metrics", "/05/", "/05/clients/", "/dashboard/", "/dashboard/data", "/main", "/nope/"];
  const perComponent = listComponents(fx.deps).flatMap((c) => [`/${c.key}/`, `/${c.name}/`, `/${c.key}/config`, `/${c.name}/config`, `/${c.key}/clients/`, `/${c.key}/client/${POOL_ADDRESS}`]);
  // Secrets in the request itself must not come back either (404 messages quote the key).
  const echoed = Object.values(SECRETS).flatMap((s) => [`/${s}/`, `/${s}/config`, `/main/client/${s}`]);
  return [...fixed, ...perComponent, ...echoed];
}

async function scan(fx: ReturnType<typeof fixture>): Promise<{ path: string; status: number; leaks: string[] }[]> {
  const out: { path: string; status: number; leaks: string[] }[] = [];
  for (const path of allPaths(fx)) {
    const res = await fx.app.request(path);
    const text = (await res.text()) + [...res.headers.values()].join("\n");
    out.push({ path, status: res.status, leaks: Object.values(SECRETS).filter((s) => text.includes(s) || text.includes(encodeURIComponent(s))) });
  }
  return out;
}

describe("no secret in any response", () => {
  test("the fixture's config really holds every secret (so the scan means something)", () => {
    const found = collectSecrets(secretConfig());
    for (const s of [SECRETS.rpc1, SECRETS.rpc2, SECRETS.aux, SECRETS.redis, SECRETS.broker, SECRETS.datagram]) expect(found).toContain(s);
    expect(JSON.stringify(secretConfig(), (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v))).toContain(SECRETS.rpcUser);
  });

  test("every route, every component: status, config, clients, debug, metrics, dashboard", async () => {
    const fx = fixture();
    const results = await scan(fx);
    expect(results.length).toBeGreaterThan(60);
    expect(results.filter((r) => r.leaks.length > 0)).toEqual([]);
    // The routes did answer with content (a scan of 404s would prove nothing).
    expect(results.filter((r) => r.status === 200).length).toBeGreaterThan(40);
  });

  test("a secret that reaches a status string (an error text, a worker name) is masked too", async () => {
    const fx = fixture({
      core: fakeCore({ servers: [server({ lastError: `HTTP 401 for user:${SECRETS.rpc1}@10.0.0.5`, subversion: `/x:${SECRETS.redis}/` })] }),
      edges: [edge({ ports: [port({ clientList: [client({ worker: `w${SECRETS.datagram}`, userAgent: `ua "${SECRETS.broker}"` })] })] })],
    });
    const results = await scan(fx);
    expect(results.filter((r) => r.leaks.length > 0)).toEqual([]);
    const btc = await (await fx.app.request("/BTC/")).text();
    expect(btc).toContain("HTTP 401 for user:********@10.0.0.5");
  });
});

describe("redaction helpers", () => {
  test("configView masks passwords, URL passwords and coinserver user names, and keeps the rest", () => {
    const v = configView({ coinservs: [{ address: "a", username: "u", password: "p" }], url: "redis://x:y@h:1/0", secret: "s", other: { username: "kept" } });
    expect(v).toEqual({ coinservs: [{ address: "a", username: "********", password: "********" }], url: "redis://x:********@h:1/0", secret: "********", other: { username: "kept" } });
  });

  test("the scrubber masks raw and JSON-escaped forms, longest first, and leaves very short secrets to the config views", () => {
    const scrub = createScrubber(["abc", "pa\"ss\\word1", "password12", "password1234"]);
    expect(scrub.secrets).toBe(3);
    expect(scrub("x password1234 y")).toBe("x ******** y");
    expect(scrub(JSON.stringify({ p: "pa\"ss\\word1" }))).toBe('{"p":"********"}');
    expect(scrub("abc")).toBe("abc");
    expect(MIN_SCRUB_LENGTH).toBeGreaterThan(3);
  });

  test("secrets inside URLs are collected raw and percent-decoded", () => {
    expect([...collectSecrets({ redis: { url: "redis://:p%40ss%21word@h/0" } })]).toEqual(["p%40ss%21word", "p@ss!word"]);
  });
});
