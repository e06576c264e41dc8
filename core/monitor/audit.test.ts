/**
 * The gate and the share audit as the operator sees them: `/metrics` families per edge and
 * algorithm, `/audit/`, and the dashboard's data — a v2 edge audited, a v1 edge flagged unaudited,
 * an edge with an unverifiable alert, a worker identity known only from the audit — and what a
 * core without an auditor shows.
 */
import { describe, expect, test } from "bun:test";
import type { AuditCounts, AuditMetrics, EdgeAuditStats } from "../audit/auditor.ts";
import type { GateStatus } from "../gate/index.ts";
import { edge, fakeCore, fixture, NOW } from "./testing.ts";

const counts = (over: Partial<AuditCounts> = {}): AuditCounts => ({ accepted: 0, audited: 0, failed: 0, unverifiable: 0, duplicates: 0, unaudited: 0, ...over });

function stats(over: Partial<EdgeAuditStats> & { algos: Record<string, AuditCounts> }): EdgeAuditStats {
  const sum = counts();
  for (const c of Object.values(over.algos)) for (const k of Object.keys(sum) as (keyof AuditCounts)[]) sum[k] += c[k];
  return { ...sum, rates: {}, lastFailure: null, unverifiableRecent: 0, unverifiableAlert: null, ...over };
}

const AUDIT: AuditMetrics = {
  totals: () => counts({ accepted: 1300, audited: 140, failed: 1, unverifiable: 25, duplicates: 2, unaudited: 40 }),
  edges: () =>
    new Map([
      ["eu1", stats({ algos: { sha256d: counts({ accepted: 1000, audited: 120, duplicates: 2 }), scrypt: counts({ accepted: 100, audited: 10, failed: 1 }) }, rates: { sha256d: { p: 0.12, perHour: 60_000 }, scrypt: { p: 1, perHour: 900 } }, lastFailure: { seq: 7, reason: "hash above target", detail: "share 7", at: NOW - 60_000 } })],
      ["eu1/1", stats({ algos: { sha256d: counts({ accepted: 200, audited: 10, unverifiable: 25 }) }, rates: { sha256d: { p: 1, perHour: 1200 } }, unverifiableRecent: 25, unverifiableAlert: { since: NOW - 30_000, threshold: 20, windowMs: 600_000 } })],
      ["us1", stats({ algos: { sha256d: counts({ unaudited: 40 }) } })],
    ]),
};

const GATE: GateStatus = {
  streams: [
    { stream: "mon:shares:eu1", group: "gate", consumer: "c", state: "running", lastError: undefined, entries: 510, lastEntryAt: NOW - 1000, kind: "shares", edge: "eu1" },
    { stream: "mon:agent:eu1", group: "gate", consumer: "c", state: "running", lastError: undefined, entries: 3, lastEntryAt: null, kind: "agent", edge: "eu1" },
    { stream: "mon:shares", group: "gate", consumer: "c", state: "running", lastError: undefined, entries: 40, lastEntryAt: NOW - 2000, kind: "shares", edge: null },
  ],
  quarantined: [],
  totals: { passed: 550, identityMismatches: 2, quarantines: 1, deadLettered: 3 },
  lastError: undefined,
};

function auditFixture(core = { ...fakeCore(), audit: AUDIT, gate: { status: () => GATE } }) {
  return fixture({ core, edges: [edge({ edge: "eu1", contract: 2 }), edge({ edge: "us1", session: "1a1b1c1d", edgeId: 2, contract: 1 }), edge({ edge: "ap1", session: "2a2b2c2d", edgeId: 3 })] });
}

/** `name{labels} value` lines of one family. */
async function family(fx: ReturnType<typeof fixture>, name: string): Promise<string[]> {
  const text = await (await fx.app.request("/metrics")).text();
  expect(text).toContain(`# TYPE ${name} `);
  return text.split("\n").filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
}

describe("/metrics", () => {
  test("audit counters and probability per edge and algorithm", async () => {
    const fx = auditFixture();
    expect(await family(fx, "powerpool_audit_shares_audited_total")).toEqual([
      'powerpool_audit_shares_audited_total{edge="eu1",algo="sha256d"} 120',
      'powerpool_audit_shares_audited_total{edge="eu1",algo="scrypt"} 10',
      'powerpool_audit_shares_audited_total{edge="eu1/1",algo="sha256d"} 10',
      'powerpool_audit_shares_audited_total{edge="us1",algo="sha256d"} 0',
    ]);
    expect(await family(fx, "powerpool_audit_failed_total")).toContain('powerpool_audit_failed_total{edge="eu1",algo="scrypt"} 1');
    expect(await family(fx, "powerpool_audit_shares_unverifiable_total")).toContain('powerpool_audit_shares_unverifiable_total{edge="eu1/1",algo="sha256d"} 25');
    expect(await family(fx, "powerpool_audit_shares_duplicates_total")).toContain('powerpool_audit_shares_duplicates_total{edge="eu1",algo="sha256d"} 2');
    expect(await family(fx, "powerpool_audit_shares_unaudited_v1_total")).toContain('powerpool_audit_shares_unaudited_v1_total{edge="us1",algo="sha256d"} 40');
    expect(await family(fx, "powerpool_audit_probability")).toEqual([
      'powerpool_audit_probability{edge="eu1",algo="sha256d"} 0.12',
      'powerpool_audit_probability{edge="eu1",algo="scrypt"} 1',
      'powerpool_audit_probability{edge="eu1/1",algo="sha256d"} 1',
    ]);
    expect(await family(fx, "powerpool_audit_unverifiable_alert")).toEqual(['powerpool_audit_unverifiable_alert{edge="eu1"} 0', 'powerpool_audit_unverifiable_alert{edge="eu1/1"} 1', 'powerpool_audit_unverifiable_alert{edge="us1"} 0']);
  });

  test("the gate's totals and streams, and each live edge's contract version", async () => {
    const fx = auditFixture();
    expect(await family(fx, "powerpool_gate_entries_passed_total")).toEqual(["powerpool_gate_entries_passed_total 550"]);
    expect(await family(fx, "powerpool_gate_identity_mismatches_total")).toEqual(["powerpool_gate_identity_mismatches_total 2"]);
    expect(await family(fx, "powerpool_gate_entries_dead_lettered_total")).toEqual(["powerpool_gate_entries_dead_lettered_total 3"]);
    expect(await family(fx, "powerpool_gate_streams")).toEqual(['powerpool_gate_streams{kind="shares"} 2', 'powerpool_gate_streams{kind="agent"} 1']);
    expect(await family(fx, "powerpool_gate_stream_entries_total")).toContain('powerpool_gate_stream_entries_total{stream="mon:shares",kind="shares",edge=""} 40');
    expect(await family(fx, "powerpool_edge_contract_version")).toEqual(['powerpool_edge_contract_version{edge="eu1"} 2', 'powerpool_edge_contract_version{edge="us1"} 1', 'powerpool_edge_contract_version{edge="ap1"} 0']);
  });

  test("a core without auditor or gate: contract versions only, no audit families", async () => {
    const fx = fixture({ edges: [edge({ contract: 2 })] });
    const text = await (await fx.app.request("/metrics")).text();
    expect(text).toContain('powerpool_edge_contract_version{edge="eu1"} 2');
    expect(text).not.toContain("powerpool_audit_");
    expect(text).not.toContain("powerpool_gate_");
  });
});

describe("/audit/", () => {
  test("per edge: contract, counters, probability, failure and warnings; the gate; the counters' scope", async () => {
    const fx = auditFixture();
    const res = await fx.app.request("/audit/");
    expect(res.status).toBe(200);
    const j = (await res.json()) as { scope: string; auditing: boolean; totals: Record<string, number>; gate: Record<string, unknown>; edges: Record<string, unknown>[] };
    expect(j.scope).toContain("since it started");
    expect(j.auditing).toBe(true);
    expect(j.totals).toEqual({ accepted: 1300, audited: 140, failed: 1, unverifiable: 25, duplicates: 2, unaudited_v1: 40 });
    expect(j.gate).toMatchObject({ passed: 550, identity_mismatches: 2, quarantines: 1, dead_lettered: 3, last_error: null });
    expect((j.gate.streams as unknown[]).length).toBe(3);
    expect(j.edges.map((e) => e.edge)).toEqual(["ap1", "eu1", "eu1/1", "us1"]);
    const by = Object.fromEntries(j.edges.map((e) => [e.edge, e]));
    expect(by.eu1).toMatchObject({ contract: 2, heartbeat: true, audited: 130, failed: 1, probability: { sha256d: 0.12, scrypt: 1 }, accepted_per_hour: { sha256d: 60_000, scrypt: 900 }, last_failure: { seq: 7, reason: "hash above target" }, warnings: [] });
    expect(by.eu1!.algos).toMatchObject({ scrypt: { accepted: 100, audited: 10, failed: 1 } });
    expect(by["eu1/1"]).toMatchObject({ contract: null, heartbeat: false, unverifiable: 25, unverifiable_recent: 25, unverifiable_alert: { since: NOW - 30_000, threshold: 20, window_seconds: 600 } });
    expect(by["eu1/1"]!.warnings).toEqual(["25 unverifiable audits within 10 min (jobs unknown to the archive)"]);
    expect(by.us1).toMatchObject({ contract: 1, unaudited_v1: 40, warnings: ["writes contract v1: its shares carry no proof and are not audited"] });
    expect(by.ap1).toMatchObject({ contract: null, heartbeat: true, audited: 0, warnings: [] });
    expect((await fx.app.request("/audit")).status).toBe(301);
  });

  test("shares through the v1 shared stream from an edge that did not say its contract: warned", async () => {
    const fx = fixture({ core: { ...fakeCore(), audit: AUDIT }, edges: [edge({ edge: "us1" })] });
    const j = (await (await fx.app.request("/audit/")).json()) as { gate: unknown; edges: { edge: string; warnings: string[] }[] };
    expect(j.gate).toBeNull();
    expect(j.edges.find((e) => e.edge === "us1")!.warnings).toEqual(["40 shares came through the v1 shared stream: not audited"]);
  });
});

describe("/dashboard/data", () => {
  test("the audit card's rows and each edge's contract", async () => {
    const fx = auditFixture();
    const d = (await (await fx.app.request("/dashboard/data")).json()) as { edges: { edge: string; contract: number | null }[]; audit: { auditing: boolean; gate: Record<string, number>; edges: Record<string, unknown>[] } };
    expect(d.edges.map((e) => [e.edge, e.contract])).toEqual([
      ["eu1", 2],
      ["us1", 1],
      ["ap1", null],
    ]);
    expect(d.audit.gate).toEqual({ passed: 550, identityMismatches: 2, deadLettered: 3, quarantines: 1, streams: 3 });
    const by = Object.fromEntries(d.audit.edges.map((e) => [e.edge, e]));
    expect(by.eu1).toEqual({ edge: "eu1", contract: 2, audited: 130, failed: 1, unverifiable: 0, duplicates: 2, unauditedV1: 0, p: { sha256d: 0.12, scrypt: 1 }, unverifiableRecent: 0, unverifiableAlert: false, quarantined: false, warnings: [] });
    expect(by["eu1/1"]).toMatchObject({ unverifiable: 25, unverifiableAlert: true });
    expect(by.us1).toMatchObject({ contract: 1, unauditedV1: 40 });
  });

  test("the page has the audit card and its script", async () => {
    const html = await (await auditFixture().app.request("/dashboard/")).text();
    expect(html).toContain('<tbody id="audit">');
    expect(html).toContain("function renderAudit(a)");
  });
});
