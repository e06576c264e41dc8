/**
 * @module Browser code, part 1: DOM and formatting helpers, the poll loop and the live "… ago"
 * clocks. Plain ES2017 in a string (no build step, no CDN). Miner-supplied text (worker names,
 * user agents, reject reasons) only ever becomes a text node, never markup.
 *
 * Written with String.raw and without template literals inside, so backslashes stay as typed and
 * nothing is interpolated.
 */

export const CLIENT_BASE = String.raw`
var POLL_MS = 5000;
var COLORS = ["#58a6ff", "#3fb950", "#d2a8ff", "#f0883e", "#ff7b72", "#56d4dd", "#e3b341"];
var SVGNS = "http://www.w3.org/2000/svg";
var skew = 0;
var latest = null;

function $(id) { return document.getElementById(id); }
function append(node, children) {
  if (children === undefined || children === null) return node;
  if (!Array.isArray(children)) children = [children];
  children.forEach(function (c) {
    if (c === null || c === undefined || c === false) return;
    node.appendChild(typeof c === "object" ? c : document.createTextNode(String(c)));
  });
  return node;
}
function el(tag, attrs, children) {
  var n = document.createElement(tag);
  Object.keys(attrs || {}).forEach(function (k) {
    if (k === "class") n.className = attrs[k]; else n.setAttribute(k, attrs[k]);
  });
  return append(n, children);
}
function svg(tag, attrs) {
  var n = document.createElementNS(SVGNS, tag);
  Object.keys(attrs || {}).forEach(function (k) { n.setAttribute(k, String(attrs[k])); });
  return n;
}
function fill(id, children) { var n = $(id); n.textContent = ""; append(n, children); }

var UNITS = ["H/s", "kH/s", "MH/s", "GH/s", "TH/s", "PH/s", "EH/s"];
function rate(h) {
  if (!(h > 0)) return "0 H/s";
  var i = 0;
  while (h >= 1000 && i < UNITS.length - 1) { h /= 1000; i++; }
  return (h >= 100 ? h.toFixed(0) : h >= 10 ? h.toFixed(1) : h.toFixed(2)) + " " + UNITS[i];
}
function num(n, digits) {
  if (n === null || n === undefined) return "–";
  return Number(n).toLocaleString("en-US", { maximumFractionDigits: digits === undefined ? 2 : digits });
}
/** Difficulties: exact below a million (miners know 65,536), compact above, exponent when tiny. */
function diff(d) {
  if (d === null || d === undefined) return "–";
  if (d > 0 && d < 0.001) return d.toExponential(2);
  if (d >= 1e6) return Number(d).toLocaleString("en-US", { notation: "compact", maximumFractionDigits: 2 });
  return num(d, 3);
}
function serverNow() { return Date.now() - skew; }
function ago(ts) {
  if (ts === null || ts === undefined) return "never";
  var s = Math.max(0, (serverNow() - ts) / 1000);
  if (s < 60) return Math.floor(s) + " s ago";
  if (s < 3600) return Math.floor(s / 60) + " min ago";
  if (s < 86400) return (s / 3600).toFixed(1) + " h ago";
  return (s / 86400).toFixed(1) + " d ago";
}
function dur(ms) {
  var s = Math.max(0, Math.floor(ms / 1000));
  var d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
  if (d) return d + "d " + h + "h";
  if (h) return h + "h " + m + "m";
  if (m) return m + "m " + (s % 60) + "s";
  return s + "s";
}
function since(ts, kind) {
  if (ts === null || ts === undefined) return el("span", { class: "muted" }, "never");
  return el("span", { "data-since": String(ts), "data-kind": kind || "ago" }, kind === "dur" ? dur(serverNow() - ts) : ago(ts));
}
function pad(n) { return n < 10 ? "0" + n : String(n); }
function clock(ts) { var d = new Date(ts); return pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()); }
function short(h, n) { n = n || 8; return h.length > n * 2 + 1 ? h.slice(0, n) + "…" + h.slice(-n) : h; }
function badge(text, kind) { return el("span", { class: "badge " + kind }, text); }
function empty(cols, text) { return el("tr", {}, el("td", { class: "empty", colspan: String(cols) }, text)); }

function tickClocks() {
  document.querySelectorAll("[data-since]").forEach(function (n) {
    var ts = Number(n.getAttribute("data-since"));
    n.textContent = n.getAttribute("data-kind") === "dur" ? dur(serverNow() - ts) : ago(ts);
  });
}

function setConnection(ok, message) {
  $("conn-dot").className = "dot " + (ok ? "ok" : "bad");
  $("conn-text").textContent = ok ? "live · updated " + clock(Date.now()) : "no answer from the core";
  var b = $("banner");
  b.style.display = ok ? "none" : "block";
  b.textContent = ok ? "" : "The dashboard lost contact with the core (" + message + "); showing the last data received.";
}

function poll() {
  fetch("data", { cache: "no-store", headers: { accept: "application/json" } })
    .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
    .then(function (d) {
      skew = Date.now() - d.generatedAt;
      latest = d;
      render(d);
      setConnection(true);
      document.body.setAttribute("data-ready", "1");
    })
    .catch(function (e) { setConnection(false, e && e.message ? e.message : "error"); })
    .then(function () { setTimeout(poll, POLL_MS); });
}
`;
