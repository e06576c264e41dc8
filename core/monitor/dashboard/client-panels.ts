/**
 * @module Browser code, part 3: one render pass over `/dashboard/data` — headline figures, the
 * chart, per-coin panels (job age, push-block signal, coinserver health), edges (with spool,
 * heartbeat age and a quarantine mark), recent blocks with their outcome, and workers.
 */

export const CLIENT_PANELS = String.raw`
var STALE_HEARTBEAT_MS = 20000;
var JOB_TYPES = ["flush", "push", "refresh"];

function render(d) {
  var p = d.pool;
  renderQuarantine(d.quarantines || []);
  $("version").textContent = p.procname + " · v" + p.version + " · up " + dur(serverNow() - p.startedAt);
  var accepted = 0, rejected = 0;
  d.coins.forEach(function (c) { accepted += c.blocks.accepts; rejected += c.blocks.rejects; });
  var spooled = d.edges.reduce(function (a, e) { return a + e.spooled; }, 0);
  var lastBlock = d.blocks.length ? d.blocks[0].at : null;
  fill("stats", [
    stat("Pool hashrate", rate(p.hashrate), [measured(p.hashrateMeasuredMs), " · ", d.coins.map(function (c) { return c.currency + " " + rate(c.hashrate); }).join(" · ")]),
    stat("Workers", num(p.workers, 0), d.workers.filter(function (w) { return w.idle; }).length + " idle · " + distinct(d.workers) + " addresses"),
    stat("Edges", num(p.edges, 0), spooled ? num(spooled, 0) + " shares spooled" : "no shares spooled"),
    stat("Blocks found", num(accepted, 0), [rejected + " rejected · last ", since(lastBlock)]),
  ]);
  // Coins first: the chart takes the height of the coins column beside it.
  fill("coins", d.coins.length ? d.coins.map(coinPanel) : el("div", { class: "empty" }, "No coins configured"));
  drawChart(d.history);
  fill("edges", d.edges.length ? d.edges.map(edgeRow) : empty(8, "No edge is sending heartbeats"));
  renderAudit(d.audit);
  fill("blocks", d.blocks.length ? d.blocks.map(blockRow) : empty(7, "No blocks found since the core started"));
  fill("workers", d.workers.length ? d.workers.map(workerRow) : empty(7, "No miners connected"));
  var ingest = p.ingestPending === null ? "backlog not measured yet" : num(p.ingestPending, 0) + " pending" + (p.ingestLag === null ? "" : " · " + num(p.ingestLag, 0) + " unread");
  $("foot").textContent = "Share stream on the core: " + ingest + (p.redisError ? " · Redis: " + p.redisError : "") + " · generated " + clock(d.generatedAt);
}

function distinct(workers) {
  var s = {};
  workers.forEach(function (w) { s[w.address] = 1; });
  return Object.keys(s).length;
}

function stat(label, value, hint) {
  return el("div", { class: "card stat" }, [el("div", { class: "label" }, label), el("div", { class: "value" }, value), el("div", { class: "hint" }, hint)]);
}

function kv(pairs) {
  var dl = el("dl", { class: "kv" });
  pairs.forEach(function (p) { append(dl, [el("dt", {}, p[0]), el("dd", {}, p[1])]); });
  return dl;
}

function coinPanel(c) {
  var job = c.lastJobAt === null ? el("span", { class: "muted" }, "none yet") : [since(c.lastJobAt), " ", el("span", { class: "muted" }, JOB_TYPES[c.lastJobType] || "")];
  var signal = c.lastSignal === null ? el("span", { class: "muted" }, "none (" + c.tipMode + ")") : [since(c.lastSignal), el("span", { class: "muted" }, " · " + c.signals + " total")];
  var servers = el("div", { class: "servers" }, c.coinservers.map(function (s) {
    var kind = s.state === "live" ? "ok" : s.state === "down" ? "bad" : "warn";
    return el("div", { title: s.lastError || s.subversion || "" }, [
      el("span", { class: "dot " + kind }),
      el("span", {}, s.name),
      s.current ? badge("current", "muted") : null,
      s.state !== "live" ? badge(s.state, kind) : null,
      el("span", { class: "rtt" }, s.rttMs === null ? "–" : num(s.rttMs, 1) + " ms"),
    ]);
  }));
  return el("div", { class: "coin" }, [
    el("div", { class: "title" }, [el("b", {}, c.currency), el("span", { class: "muted" }, c.algo + " · " + c.key)]),
    kv([
      ["Hashrate", hashrateCell(c.hashrate, c.hashrateMeasuredMs)],
      ["Height", num(c.height, 0)],
      ["Difficulty", diff(c.difficulty)],
      ["Last job", job],
      ["Jobs", num(c.jobCount, 0)],
      ["New blocks by", c.blockMethod],
      ["Push-block signal", signal],
      ["Blocks", c.blocks.accepts + " accepted · " + c.blocks.rejects + " rejected"],
    ]),
    c.templateError ? el("div", { class: "badge bad" }, c.templateError) : null,
    servers,
  ]);
}

function edgeRow(e) {
  var stale = serverNow() - e.heartbeatAt > STALE_HEARTBEAT_MS;
  var q = e.quarantined;
  var mark = q ? el("span", { class: "badge bad qmark", title: (q.edge !== e.edge ? q.edge + ": " : "") + q.reason }, "QUARANTINED") : null;
  // A v1 edge writes no proofs: nothing of it is audited.
  var v1 = e.contract === 1 ? el("span", { class: "badge warn qmark", title: "contract v1: its shares carry no proof and are not audited" }, "v1 · unaudited") : null;
  return el("tr", q ? { class: "quarantined" } : {}, [
    el("td", { class: "who" }, [el("span", { class: "dot " + (q ? "bad" : stale ? "warn" : "ok") }), " ", el("b", {}, e.edge), mark, v1, el("span", { class: "muted" }, e.publicHost || "")]),
    el("td", {}, e.ports.map(function (p) { return p.key + ":" + p.listenPort; }).join(", ")),
    el("td", { class: "num" }, since(e.startedAt, "dur")),
    el("td", { class: "num" }, since(e.heartbeatAt)),
    el("td", { class: "num" }, e.spooled ? badge(num(e.spooled, 0) + " spooled", "warn") : badge("0", "ok")),
    el("td", { class: "num" }, e.authed + " / " + e.clients),
    el("td", { class: "num" }, hashrateCell(e.hashrate, e.hashrateMeasuredMs)),
    el("td", { class: "num" }, [num(e.shares.acc, 0), el("span", { class: "muted" }, " / " + num(e.shares.rejected, 0))]),
  ]);
}

/** Hashrates are measured over the last minute, or over less while a port or connection is young. */
function measured(ms) {
  if (ms === null || ms === undefined) return "no miners yet";
  return ms >= 55000 ? "last minute" : "over " + Math.max(1, Math.round(ms / 1000)) + " s";
}

function hashrateCell(h, ms) {
  return ms !== null && ms !== undefined && ms < 55000 ? [rate(h), el("span", { class: "muted" }, " · " + measured(ms))] : rate(h);
}

function blockRow(b) {
  var outcome = b.accepted ? badge(b.chain === "best" || b.chain === "main-chain" ? "accepted" : "accepted · " + b.chain, "ok") : badge("rejected" + (b.reason ? ": " + b.reason : ""), "bad");
  return el("tr", {}, [
    el("td", {}, clock(b.at)),
    el("td", {}, b.merged ? [b.currency, el("span", { class: "muted" }, " aux")] : b.currency),
    el("td", { class: "num" }, num(b.height, 0)),
    el("td", { class: "mono", title: b.hash }, short(b.hash, 6)),
    el("td", { title: b.worker + (b.edge ? " via " + b.edge : "") }, workerName(b.worker)),
    el("td", {}, outcome),
    el("td", { class: "num" }, num(b.latencyMs, 0) + " ms"),
  ]);
}

/** "address.worker" → the worker part (the address is in the tooltip). */
function workerName(full) {
  var dot = full.indexOf(".");
  return dot < 0 ? short(full, 6) : full.slice(dot + 1) || short(full.slice(0, dot), 6);
}

function workerRow(w) {
  return el("tr", {}, [
    el("td", { class: "who", title: w.address + "." + w.worker + (w.userAgent ? " · " + w.userAgent : "") }, [el("b", {}, w.worker || "(default)"), el("span", { class: "muted mono" }, short(w.address, 4))].concat(w.protocol === "sv2" ? [badge("SV2", "ok")] : [])),
    el("td", {}, w.edge + " / " + w.port),
    el("td", { class: "num" }, diff(w.difficulty)),
    el("td", { class: "num" }, diff(w.acceptedDifficulty)),
    el("td", { class: "num" }, w.hashrate === null ? el("span", { class: "muted" }, "–") : hashrateCell(w.hashrate, w.hashrateMeasuredMs)),
    el("td", { class: "num" }, since(w.lastShareAt)),
    el("td", {}, w.idle ? badge("idle", "warn") : badge("active", "ok")),
  ]);
}
`;
