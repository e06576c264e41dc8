/**
 * @module Browser code, part 2: the hashrate chart — an inline SVG drawn at the container's pixel
 * width (so text is never stretched): pool total as a filled area, one line per currency, a
 * legend with current values and a hover read-out of the nearest sample.
 */

export const CLIENT_CHART = String.raw`
var STEPS = [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10];
/** The smallest round grid step (STEPS × 10^k) such that four steps cover v. */
function niceStep(v) {
  if (!(v > 0)) return 1;
  var raw = v / 4;
  var e = Math.pow(10, Math.floor(Math.log10(raw)));
  var m = raw / e;
  for (var i = 0; i < STEPS.length; i++) if (m <= STEPS[i] + 1e-9) return STEPS[i] * e;
  return 10 * e;
}

function chartSeries(points) {
  var names = [];
  points.forEach(function (p) { Object.keys(p.coins).forEach(function (c) { if (names.indexOf(c) < 0) names.push(c); }); });
  names.sort();
  // One coin: its line would lie on the pool's, so the pool series carries its name instead.
  var series = [{ name: names.length === 1 ? "Pool · " + names[0] : "Pool", color: COLORS[0], value: function (p) { return p.pool; }, area: true }];
  if (names.length > 1) names.forEach(function (c, i) {
    series.push({ name: c, color: COLORS[(i + 1) % COLORS.length], value: function (p) { return p.coins[c] || 0; } });
  });
  return series;
}

function drawChart(history) {
  var box = $("chart");
  box.textContent = "";
  var pts = history.points;
  var W = Math.max(320, box.clientWidth), H = box.clientHeight || 270;
  var L = 78, R = 14, T = 12, B = 26;
  var root = svg("svg", { width: W, height: H, viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": "Pool hashrate over time" });
  box.appendChild(root);
  var series = chartSeries(pts);
  fill("legend", series.map(function (s) {
    var cur = pts.length ? s.value(pts[pts.length - 1]) : 0;
    return el("span", {}, [el("span", { class: "sw", style: "background:" + s.color }), s.name, el("b", {}, rate(cur))]);
  }));
  if (pts.length < 2) {
    var t = svg("text", { x: W / 2, y: H / 2, "text-anchor": "middle" });
    t.textContent = "Collecting hashrate samples (one every " + Math.round(history.intervalMs / 1000) + " s)…";
    root.appendChild(t);
    return;
  }
  var t0 = pts[0].t, t1 = pts[pts.length - 1].t;
  var max = 0;
  pts.forEach(function (p) { series.forEach(function (s) { max = Math.max(max, s.value(p)); }); });
  var top = niceStep(max * 1.05) * 4;
  function x(t) { return L + ((t - t0) / (t1 - t0)) * (W - L - R); }
  function y(v) { return T + (1 - v / top) * (H - T - B); }

  var defs = svg("defs", {});
  var grad = svg("linearGradient", { id: "poolFill", x1: 0, y1: 0, x2: 0, y2: 1 });
  grad.appendChild(svg("stop", { offset: "0%", "stop-color": COLORS[0], "stop-opacity": 0.35 }));
  grad.appendChild(svg("stop", { offset: "100%", "stop-color": COLORS[0], "stop-opacity": 0.02 }));
  defs.appendChild(grad);
  root.appendChild(defs);

  for (var i = 0; i <= 4; i++) {
    var v = (top * i) / 4, gy = y(v);
    root.appendChild(svg("line", { x1: L, x2: W - R, y1: gy, y2: gy, stroke: "#262d3b", "stroke-width": 1 }));
    var label = svg("text", { x: L - 10, y: gy + 4, "text-anchor": "end" });
    label.textContent = rate(v);
    root.appendChild(label);
  }
  var ticks = Math.min(6, pts.length);
  for (var k = 0; k < ticks; k++) {
    var tt = t0 + ((t1 - t0) * k) / (ticks - 1);
    var tx = svg("text", { x: x(tt), y: H - 6, "text-anchor": k === 0 ? "start" : k === ticks - 1 ? "end" : "middle" });
    tx.textContent = clock(tt);
    root.appendChild(tx);
  }
  series.forEach(function (s) {
    var d = pts.map(function (p, j) { return (j ? "L" : "M") + x(p.t).toFixed(1) + " " + y(s.value(p)).toFixed(1); }).join(" ");
    if (s.area) root.appendChild(svg("path", { d: d + " L" + x(t1).toFixed(1) + " " + y(0) + " L" + x(t0).toFixed(1) + " " + y(0) + " Z", fill: "url(#poolFill)" }));
    root.appendChild(svg("path", { d: d, fill: "none", stroke: s.color, "stroke-width": s.area ? 2.2 : 1.6, "stroke-linejoin": "round" }));
  });
  var lastP = pts[pts.length - 1];
  root.appendChild(svg("circle", { cx: x(lastP.t), cy: y(lastP.pool), r: 3.5, fill: COLORS[0] }));

  var cursor = svg("line", { x1: 0, x2: 0, y1: T, y2: H - B, stroke: "#8b949e", "stroke-dasharray": "3 3", visibility: "hidden" });
  root.appendChild(cursor);
  var tip = el("div", { class: "tip" });
  box.appendChild(tip);
  root.addEventListener("mousemove", function (ev) {
    var bx = ev.offsetX, best = pts[0];
    pts.forEach(function (p) { if (Math.abs(x(p.t) - bx) < Math.abs(x(best.t) - bx)) best = p; });
    cursor.setAttribute("x1", x(best.t)); cursor.setAttribute("x2", x(best.t)); cursor.setAttribute("visibility", "visible");
    tip.textContent = "";
    append(tip, [el("div", { class: "muted" }, clock(best.t))].concat(series.map(function (s) { return el("div", {}, s.name + ": " + rate(s.value(best))); })));
    tip.style.display = "block";
    tip.style.left = Math.min(W - 160, x(best.t) + 12) + "px";
    tip.style.top = T + 6 + "px";
  });
  root.addEventListener("mouseleave", function () { cursor.setAttribute("visibility", "hidden"); tip.style.display = "none"; });
}
`;
