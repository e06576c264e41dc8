/**
 * @module Browser code, part 5: the share audit card (issue 20 §3–§4) — per edge identity its
 * contract (a v1 edge sends no proofs: unaudited, shown as a warning), audited / failed /
 * unverifiable / duplicate shares, the sampling probability per algorithm, and its warnings (many
 * unverifiable audits lately) — and the gate's totals. This core's counters since it started.
 *
 * Same rules as client-base.ts: String.raw, no template literals inside; text nodes only.
 */

export const CLIENT_AUDIT = String.raw`
function contractBadge(v) {
  if (v === 2) return badge("v2", "ok");
  if (v === 1) return el("span", { class: "badge warn", title: "contract v1: its shares carry no proof and are not audited" }, "v1 · unaudited");
  return el("span", { class: "badge muted", title: "the edge did not say which contract it writes" }, "v?");
}

function probabilities(p) {
  var algos = Object.keys(p);
  if (!algos.length) return el("span", { class: "muted" }, "–");
  return algos.map(function (a) {
    var v = p[a];
    return el("div", { title: a }, [v >= 0.1 ? num(v * 100, 0) + "%" : v >= 0.001 ? num(v * 100, 2) + "%" : v.toExponential(1), el("span", { class: "muted" }, " " + a)]);
  });
}

function auditRow(e) {
  var warn = e.warnings.length > 0;
  return el("tr", e.quarantined ? { class: "quarantined" } : {}, [
    el("td", { class: "who" }, [el("span", { class: "dot " + (e.quarantined || e.failed ? "bad" : warn ? "warn" : "ok") }), " ", el("b", {}, e.edge)]),
    el("td", {}, contractBadge(e.contract)),
    el("td", { class: "num" }, num(e.audited, 0)),
    el("td", { class: "num" }, e.failed ? badge(num(e.failed, 0), "bad") : "0"),
    el("td", { class: "num" }, e.unverifiableAlert ? badge(num(e.unverifiable, 0) + " · " + num(e.unverifiableRecent, 0) + " lately", "warn") : num(e.unverifiable, 0)),
    el("td", { class: "num" }, num(e.duplicates, 0)),
    el("td", { class: "num" }, e.unauditedV1 ? badge(num(e.unauditedV1, 0), "warn") : "0"),
    el("td", { class: "num" }, probabilities(e.p)),
    el("td", { class: "notes" }, warn ? e.warnings.map(function (w) { return el("div", { class: "warntext" }, w); }) : el("span", { class: "muted" }, "–")),
  ]);
}

function renderAudit(a) {
  if (!a) return;
  var g = a.gate;
  $("audit-scope").textContent = (a.auditing ? "" : "No auditor with counters on this core · ") + (g ? "gate: " + num(g.passed, 0) + " entries passed · " + num(g.deadLettered, 0) + " dead-lettered · " + num(g.identityMismatches, 0) + " identity mismatches · " + num(g.streams, 0) + " streams read · " : "") + a.scope;
  fill("audit", a.edges.length ? a.edges.map(auditRow) : empty(9, "No edge has sent shares or heartbeats"));
}
`;
