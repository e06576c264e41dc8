/**
 * @module Browser code, part 4: the red banner while any edge is quarantined (issue 20 §3) — edge,
 * since, reason, held entries — with the operator's two decisions as buttons that POST to
 * `../quarantine/release|discard` (two clicks: the first arms, the second sends, so a stray click
 * does nothing) and the same as curl lines for a shell. The monitor takes them from loopback only;
 * a refusal is shown as the monitor's message. Reasons come from Redis: text nodes only.
 *
 * Same rules as client-base.ts: String.raw, no template literals inside.
 */

export const CLIENT_QUARANTINE = String.raw`
var ARM_MS = 6000;
/** The button clicked once (edge, action, until), and the last answer per edge. */
var armed = null;
var answers = {};

function actionUrl(action) { return new URL("../quarantine/" + action, location.href).href; }
function curlLine(action, edge) {
  return "curl -X POST -H 'content-type: application/json' -d '" + JSON.stringify({ edge: edge }) + "' " + actionUrl(action);
}

function renderQuarantine(list) {
  var box = $("quarantine");
  Object.keys(answers).forEach(function (k) { if (!list.some(function (q) { return q.edge === k; })) delete answers[k]; });
  box.style.display = list.length ? "block" : "none";
  fill("quarantine", list.length ? [
    el("div", { class: "qtitle" }, list.length === 1 ? "An edge is quarantined: its shares are held and not credited" : list.length + " edges are quarantined: their shares are held and not credited"),
  ].concat(list.map(quarantineItem)) : null);
}

function quarantineItem(q) {
  var held = q.held === null ? "held entries: unknown" : num(q.held, 0) + " held " + (q.held === 1 ? "entry" : "entries");
  var when = q.since > 0 ? ["at " + clock(q.since) + " (", since(q.since), ")"] : ["at an unknown time"];
  var head = el("div", { class: "qhead" }, [el("b", { class: "qedge" }, q.edge), " quarantined "].concat(when, [" · ", held]));
  var why = el("div", { class: "qwhy" }, [el("b", {}, q.reason), q.detail ? el("span", { class: "muted" }, " · " + q.detail) : null]);
  var where = q.stream ? el("div", { class: "qwhere mono" }, q.stream + (q.entry ? " @ " + q.entry : "")) : null;
  var act;
  if (q.malformed) act = el("div", { class: "qmsg" }, "This key is not one the gate wrote (" + q.malformed + "): look at it with redis-cli.");
  else if (q.action) act = el("div", { class: "qmsg" }, [badge(q.action + " requested", "warn"), " ", q.actionAt ? since(q.actionAt) : "", " · waiting for the leader core's gate to carry it out"]);
  else act = el("div", { class: "qact" }, [
    actionButton(q, "release", "Release: credit the held shares"),
    actionButton(q, "discard", "Discard: drop the held shares"),
    el("div", { class: "qcurl mono" }, curlLine("release", q.edge)),
    el("div", { class: "qcurl mono" }, curlLine("discard", q.edge)),
  ]);
  return el("div", { class: "qitem", "data-edge": q.edge }, [head, why, where, act, answers[q.edge] ? el("div", { class: "qmsg" }, answers[q.edge]) : null]);
}

function actionButton(q, action, label) {
  var on = armed && armed.edge === q.edge && armed.action === action && armed.until > Date.now();
  var b = el("button", { type: "button", class: "qbtn " + action + (on ? " armed" : ""), "data-action": action }, on ? "Click again to " + action + " " + q.edge : label);
  b.addEventListener("click", function () {
    if (!(armed && armed.edge === q.edge && armed.action === action && armed.until > Date.now())) {
      armed = { edge: q.edge, action: action, until: Date.now() + ARM_MS };
      if (latest) renderQuarantine(latest.quarantines);
      return;
    }
    armed = null;
    b.disabled = true;
    sendDecision(q.edge, action);
  });
  return b;
}

function sendDecision(edge, action) {
  fetch(actionUrl(action), { method: "POST", cache: "no-store", headers: { "content-type": "application/json", accept: "application/json" }, body: JSON.stringify({ edge: edge }) })
    .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, status: r.status, j: j }; }); })
    .then(function (a) { answers[edge] = a.ok ? "Requested: " + a.j.will : "Refused (HTTP " + a.status + "): " + (a.j.message || a.j.error); })
    .catch(function (e) { answers[edge] = "No answer from the monitor: " + (e && e.message ? e.message : "error"); })
    .then(function () {
      if (latest) renderQuarantine(latest.quarantines);
      // Show the gate's progress (action requested, then the banner gone) without waiting for the next poll.
      refreshQuarantine();
    });
}

function refreshQuarantine() {
  fetch("data", { cache: "no-store", headers: { accept: "application/json" } })
    .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
    .then(function (d) { latest = d; render(d); })
    .catch(function () {});
}
`;
